"""Peak memory of a process and every process below it, sampled from /proc (Linux).

A benchmark runs each contestant in a child process and samples that child's whole tree (the
forked scorers of `match`, DuckDB's threads live in their process) while it runs: the sum of
their proportional set sizes (PSS: each shared page divided among the processes that map it,
so the pages a forked scorer shares with its parent are counted once) at each sample, and the
largest sum seen. Where /proc/<pid>/smaps_rollup cannot be read, the resident set size.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

PROC = Path("/proc")


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids, from every /proc/<pid>/stat readable now."""
    found: dict[int, list[int]] = {}
    for entry in os.scandir(PROC):
        if not entry.name.isdigit():
            continue
        try:
            stat = (PROC / entry.name / "stat").read_text()
        except OSError:  # gone since the listing
            continue
        # The command name is in parentheses and may hold spaces: fields follow the last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        found.setdefault(int(fields[1]), []).append(int(entry.name))
    return found


def _memory_kib(pid: int) -> int:
    for name, field in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            for line in (PROC / str(pid) / name).read_text().splitlines():
                if line.startswith(field):
                    return int(line.split()[1])
        except OSError:
            continue
    return 0


def tree_memory_mb(pid: int) -> float:
    """Memory of ``pid`` and all its descendants now (PSS summed), in MB."""
    children = _children()
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += _memory_kib(current)
        stack.extend(children.get(current, ()))
    return total / 1024


class PeakSampler:
    """Samples ``tree_memory_mb(pid)`` every ``interval`` seconds in a thread until stopped."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.pid, self.interval = pid, interval
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, tree_memory_mb(self.pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
