"""Commands that print to a pipe stop quietly when the reader goes away (`… | head -1`)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

COMMANDS = [
    ["export_crosswalk", "--entity", "customers"],
    ["export_dictionary", "--format", "json"],
    ["export_dictionary", "--format", "md"],
    ["quality_report", "--format", "csv"],
]


def environment() -> dict[str, str]:
    """The test database for commands run in a subprocess (the dictionary is committed there)."""
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {**os.environ, "PYTHONPATH": str(settings.BASE_DIR), "DATABASE_URL": url}


@pytest.fixture
def committed(restore_after_flush, transactional_db):
    """The subprocess commits (quality_report stores a snapshot): the tables are flushed after
    the test and the reference data restored, so later tests start from a clean hub."""


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: "-".join(c[:2]))
def test_a_reader_that_closes_the_pipe_at_once_stops_the_command_quietly(committed, command):
    process = subprocess.Popen(
        [sys.executable, "manage.py", *command],
        cwd=settings.BASE_DIR,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()  # the reader is gone before the first line

    stderr = process.stderr.read().decode()
    status = process.wait(timeout=300)

    assert (status, stderr) == (141, "")


def test_export_dictionary_piped_into_head_prints_one_line_and_no_traceback(committed):
    result = subprocess.run(
        f"{sys.executable} manage.py export_dictionary --format md | head -1",
        shell=True,
        executable="/bin/bash",
        cwd=settings.BASE_DIR,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.stdout == "# 核心数据元字典 Core data-element dictionary\n"
    assert result.stderr == ""
    assert result.returncode == 0
