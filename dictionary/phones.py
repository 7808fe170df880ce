"""Telephone numbers the phone standardizer parsed, by the E.164 text it made of them.

The validator of an E.164 value would parse it again: a value just standardized is validated
from the number already parsed instead (a parse is most of what a phone costs an import).
"""

from __future__ import annotations

from typing import Any

#: At most this many numbers are kept; beyond it the table starts over (it only saves work).
MAX_NUMBERS = 4096
_NUMBERS: dict[str, Any] = {}


def remember(e164: str, number: Any) -> None:
    """Keep ``number`` (a ``phonenumbers.PhoneNumber``) as what ``e164`` was formatted from."""
    if len(_NUMBERS) >= MAX_NUMBERS:
        _NUMBERS.clear()
    _NUMBERS[e164] = number


def parsed(e164: str) -> Any | None:
    """The number ``e164`` was formatted from by the standardizer, if it is still kept."""
    return _NUMBERS.get(e164)
