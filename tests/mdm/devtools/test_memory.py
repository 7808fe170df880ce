"""The scale benchmark's memory sampler counts a process and the processes it starts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from mdm.devtools.benchmarks.memory import PeakSampler, _children, tree_memory_mb

#: A parent that starts a child holding 200 MB; both then sleep until killed.
HOLDER = (
    "import subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', "
    "'import time; block = bytearray(200 * 1024 * 1024); print(1, flush=True); time.sleep(60)'],"
    " stdout=subprocess.PIPE)\n"
    "child.stdout.readline(); print('ready', flush=True); time.sleep(60)\n"
)


def test_the_peak_counts_the_memory_of_a_child_process():
    parent = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    try:
        assert parent.stdout.readline().strip() == "ready"
        alone = sum(1 for _ in _children().get(parent.pid, []))
        with PeakSampler(parent.pid, interval=0.05) as sampler:
            now = tree_memory_mb(parent.pid)
        assert alone == 1
        assert now > 200  # the parent itself holds some 10 MB: the child's block is counted
        assert sampler.peak_mb > 200
    finally:
        for child in _children().get(parent.pid, []):
            os.kill(child, signal.SIGKILL)
        parent.kill()
        parent.wait()


def test_a_process_that_is_gone_has_no_memory():
    assert tree_memory_mb(2**22 + 7) == 0  # above Linux's highest pid: never a process
