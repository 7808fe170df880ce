#!/usr/bin/env python
"""Django's command-line utility for the MDM hub."""

import os
import select
import sys

#: The exit status of a command whose reader went away (128 + SIGPIPE), as a shell reports a
#: tool that SIGPIPE stopped (`export_crosswalk --entity customers | head`).
EXIT_BROKEN_PIPE = 141


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mdm.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
        sys.stdout.flush()  # what is still buffered, while a closed pipe can still be caught
    except BrokenPipeError:
        if not _stdout_reader_gone():
            raise
        # Stop quietly: no traceback, and nothing more for Python to flush into the closed pipe
        # at exit (it would print "Exception ignored … BrokenPipeError").
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_BROKEN_PIPE)


def _stdout_reader_gone() -> bool:
    """Whether standard output is a pipe whose reader has closed it (not another broken pipe,
    such as a network connection, which is a real error)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll (Windows), stdout without a file
        return True


if __name__ == "__main__":
    main()
