"""Exceptions raised by the hub's services; the API turns them into HTTP answers."""

from __future__ import annotations

from django.utils.translation import get_language


class ServiceError(Exception):
    """Base of the hub's expected failures (never a 500)."""

    status = 400
    code = "invalid"

    def __init__(self, message_zh: str, message_en: str, *, code: str | None = None):
        super().__init__(f"{message_zh} / {message_en}")
        self.message_zh = message_zh
        self.message_en = message_en
        if code:
            self.code = code

    @property
    def message(self) -> str:
        return f"{self.message_zh} / {self.message_en}"

    @property
    def localized(self) -> str:
        """The message in the active language: the admin speaks one language at a time, while
        API bodies keep both (``message_zh``, ``message_en``)."""
        return self.message_zh if (get_language() or "zh").startswith("zh") else self.message_en


class RecordRejected(ServiceError):
    """The record failed the dictionary: field-level errors, nothing stored."""

    def __init__(self, errors: dict[str, list[dict[str, str]]]):
        super().__init__("记录未通过数据字典校验", "The record failed dictionary validation")
        self.errors = errors


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Forbidden(ServiceError):
    """The caller is known but not allowed this (e.g. another system's codes, ungranted)."""

    status = 403
    code = "forbidden"
