"""One message in both of the hub's languages: ``(Chinese, English)``.

The hub writes its own messages as ``"中文 / English"`` (or as a service error with both parts);
DRF, Django and django-filter write theirs in the request's language through their gettext
catalogues. An error body carries both (``message_zh``, ``message_en``), so a message in one
language is found in the Simplified Chinese catalogue, by its msgid or by its translation,
placeholders included, and rendered in the other.
"""

from __future__ import annotations

import re
from functools import cache

from django.utils.translation import trans_real

SEPARATOR = " / "
CHINESE = "zh-hans"
_PLACEHOLDER = re.compile(r"\{(\w+)\}|%\((\w+)\)[sd]")
MIN_LITERAL = 6


def split(message: str) -> tuple[str, str] | None:
    """The two halves of a hub message ``"中文 / English"``, or None for a one-language text."""
    zh, sep, en = message.partition(SEPARATOR)
    if not sep or not zh.strip() or not en.strip():
        return None
    return zh, en


def _pattern(template: str) -> re.Pattern[str] | None:
    parts, names, last = [], set(), 0
    for match in _PLACEHOLDER.finditer(template):
        name = match.group(1) or match.group(2)
        if name in names:
            return None
        names.add(name)
        parts.append(re.escape(template[last : match.start()]))
        parts.append(f"(?P<{name}>.+?)")
        last = match.end()
    if not names:
        return None
    parts.append(re.escape(template[last:]))
    try:
        return re.compile("".join(parts) + r"\Z", re.DOTALL)
    except re.error:
        return None


def _fill(template: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        return values.get(match.group(1) or match.group(2), match.group(0))

    return _PLACEHOLDER.sub(one, template)


def _literal(template: str) -> str:
    """The template's own text, without placeholders and spaces."""
    return "".join(_PLACEHOLDER.sub("", template).split())


@cache
def _index() -> tuple[dict[str, tuple[str, str]], list[tuple[re.Pattern[str], str, str]]]:
    """Exact texts and templates of the Chinese catalogue, each to its (msgstr, msgid) pair."""
    exact: dict[str, tuple[str, str]] = {}
    ranked: list[tuple[int, re.Pattern[str], str, str]] = []
    # gettext's parsed catalogue; typeshed does not declare this attribute of GNUTranslations.
    catalogue = trans_real.translation(CHINESE)._catalog  # type: ignore[attr-defined]
    for msgid, msgstr in catalogue.items():
        if not isinstance(msgid, str) or not msgid or not msgstr or msgstr == msgid:
            continue  # plural forms are keyed (msgid, n); an untranslated text says nothing
        for text in (msgid, msgstr):
            if text in exact:
                continue
            exact[text] = (msgstr, msgid)
            pattern = _pattern(text)
            literal = len(_literal(text))
            # A template that is mostly placeholders ("%(name)s %(value)s") matches anything.
            if pattern is not None and literal >= MIN_LITERAL:
                ranked.append((literal, pattern, msgstr, msgid))
    ranked.sort(key=lambda entry: -entry[0])  # the most specific template first
    return exact, [(pattern, msgstr, msgid) for _, pattern, msgstr, msgid in ranked]


def both(message: str) -> tuple[str, str]:
    """``(Chinese, English)`` of any message the API sends; an unknown text stands for both."""
    halves = split(message)
    if halves is not None:
        return halves
    exact, patterns = _index()
    if message in exact:
        return exact[message]
    for pattern, msgstr, msgid in patterns:
        found = pattern.match(message)
        if found is not None:
            values = found.groupdict()
            return _fill(msgstr, values), _fill(msgid, values)
    return message, message
