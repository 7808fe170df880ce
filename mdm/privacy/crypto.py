"""Encryption at rest of ``sensitive_personal`` values, and their blind index.

* A value is stored as ``enc:v1:<Fernet token>``. ``MultiFernet`` over ``MDM_ENCRYPTION_KEYS``
  (first key encrypts, every key decrypts), so a key rotation re-encrypts row by row while
  everything stays readable (``manage.py rotate_keys``).
* Its blind index is ``HMAC-SHA256(MDM_BLIND_INDEX_KEY, element code + value)`` in hex: equal
  values have equal indexes, so exact matching, blocking, survivorship's ``most_frequent`` and
  idempotency work without the plaintext. The key makes it useless to someone holding only the
  database (resident IDs are few enough to enumerate an unkeyed hash).

Plaintext leaves this module only through :func:`decrypt`, which the masking service calls to
mask a value and the unmasking paths (audited) call to show one.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Mapping
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

PREFIX = "enc:v1:"


class DecryptionError(Exception):
    """A stored ciphertext that no configured key opens (a key was removed too early)."""


@lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    if not keys:
        raise DecryptionError("MDM_ENCRYPTION_KEYS is empty")
    fernets = [Fernet(key.encode() if isinstance(key, str) else key) for key in keys]
    return MultiFernet(fernets), fernets[0]


def _current() -> tuple[MultiFernet, Fernet]:
    return _fernets(tuple(settings.MDM_ENCRYPTION_KEYS))


def is_encrypted(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def encrypt(value: Any) -> Any:
    """``enc:v1:<token>`` of a value's text; None, empty and already encrypted values unchanged."""
    if value is None or value == "" or is_encrypted(value):
        return value
    text = value if isinstance(value, str) else str(value)
    return PREFIX + _current()[0].encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(value: Any) -> Any:
    """The plaintext of an encrypted value; any other value is returned as it is."""
    if not is_encrypted(value):
        return value
    try:
        return _current()[0].decrypt(value[len(PREFIX) :].encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError) as exc:
        raise DecryptionError("no configured key decrypts this value") from exc


def needs_rotation(value: Any) -> bool:
    """True for a ciphertext the current key did not write."""
    if not is_encrypted(value):
        return False
    try:
        _current()[1].decrypt(value[len(PREFIX) :].encode("ascii"))
    except (InvalidToken, ValueError):
        return True
    return False


def rotate(value: Any) -> Any:
    """The value re-encrypted with the current key (unchanged when it already is)."""
    if not needs_rotation(value):
        return value
    try:
        token = _current()[0].rotate(value[len(PREFIX) :].encode("ascii"))
    except InvalidToken as exc:
        raise DecryptionError("no configured key decrypts this value") from exc
    return PREFIX + token.decode("ascii")


def blind_index(code: str, value: Any) -> str:
    """Keyed hash of a standardized value; the element code separates the domains."""
    text = value if isinstance(value, str) else str(value)
    key = settings.MDM_BLIND_INDEX_KEY.encode("utf-8")
    return hmac.new(key, f"{code}\x00{text}".encode(), hashlib.sha256).hexdigest()


def blind_indexes(codes: Collection[str], attributes: Mapping[str, Any]) -> dict[str, str]:
    """Blind indexes of the encrypted elements present in plaintext ``attributes``."""
    return {
        code: blind_index(code, attributes[code])
        for code in sorted(codes)
        if attributes.get(code) not in (None, "") and not is_encrypted(attributes[code])
    }


def seal(
    codes: Collection[str],
    attributes: Mapping[str, Any],
    index: Mapping[str, str],
    *,
    previous: Mapping[str, Any] | None = None,
    previous_index: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``attributes`` with the values of ``codes`` encrypted.

    A value whose blind index equals the stored one keeps the stored ciphertext: a record that
    is re-sent with the same resident ID does not change its golden record's column.
    """
    previous = previous or {}
    previous_index = previous_index or {}
    sealed = dict(attributes)
    for code in codes:
        value = sealed.get(code)
        if value in (None, "") or is_encrypted(value):
            continue
        kept = previous.get(code)
        if index.get(code) and previous_index.get(code) == index[code] and is_encrypted(kept):
            sealed[code] = kept
        else:
            sealed[code] = encrypt(value)
    return sealed


def matching_view(attributes: Mapping[str, Any], index: Mapping[str, str] | None) -> dict[str, Any]:
    """What matching sees of a stored record: its attributes with blind indexes in place of
    ciphertexts (equal values compare equal; a ciphertext never reaches a block key)."""
    view = dict(attributes)
    for code, value in list(view.items()):
        if is_encrypted(value):
            view.pop(code)
    view.update(index or {})
    return view


def seal_value(entity: str, code: str, value: Any) -> Any:
    """``value`` encrypted when ``code`` is a sensitive personal element of ``entity``."""
    from dictionary.services import encrypted_elements

    return encrypt(value) if code in encrypted_elements(entity) else value
