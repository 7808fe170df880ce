"""Backups with a manifest, restore into an empty database, verification by restoring."""

from mdm.operations.backup.service import (
    BackupResult,
    RestoreResult,
    VerifyResult,
    backup,
    default_output,
    read_manifest,
    restore,
    verify_backup,
)
from mdm.operations.backup.target import BackupError, Database

__all__ = [
    "BackupError",
    "BackupResult",
    "Database",
    "RestoreResult",
    "VerifyResult",
    "backup",
    "default_output",
    "read_manifest",
    "restore",
    "verify_backup",
]
