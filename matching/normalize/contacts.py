"""Person names, phones and e-mail addresses in their matching form."""

from __future__ import annotations

import re
from functools import lru_cache

from dictionary.standardizers import collapse_whitespace, fold_width
from matching.normalize.text import _NAME_PUNCT_RE, digits, has_cjk, normalize_text

#: A title a CRM writes after a Chinese person's name (张强经理, 李娜老师): not part of it. Forms of
#: address that say a sex (先生, 女士) stay: 王伟先生 and 王伟女士 are two people.
_TITLES = ("经理", "董事长", "总裁", "总监", "主管", "主任", "老师", "师傅")
#: What may stand before a title (张强副总经理, 李娜采购经理): a rank or a department.
_TITLE_QUALIFIERS = (
    "副总",
    "副",
    "总",
    "采购",
    "销售",
    "财务",
    "市场",
    "技术",
    "行政",
    "人事",
    "项目",
)
#: Surnames of two characters: 欧阳经理 is a surname and a title, no name to take the title from.
_COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "令狐",
        "夏侯",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "轩辕",
        "呼延",
        "申屠",
        "闻人",
        "澹台",
        "百里",
    ]
)
#: A bracketed note after a name (王伟(销售), 李娜（采购部）).
_NOTE_RE = re.compile(r"\([^()]*\)")


@lru_cache(maxsize=262_144)
def person_name(name: str) -> str:
    """Comparable person name: Latin names lower-case with single spaces and no punctuation;
    Chinese names without spaces or the middle dot of transliterated names (阿卜杜·热合曼), a
    bracketed note or a title after them (王伟(销售), 张强经理 -> 王伟, 张强; 王经理 and 欧阳经理,
    a surname and a title, stay as they are)."""
    text = normalize_text(name)
    if has_cjk(text):
        text = _NOTE_RE.sub("", text).replace("(", "").replace(")", "")
    text = collapse_whitespace(_NAME_PUNCT_RE.sub(" ", text))
    if has_cjk(text):
        text = text.replace(" ", "")
        title = next((t for t in _TITLES if text.endswith(t)), "")
        rest = text[: -len(title)] if title else ""
        qualifier = next((q for q in _TITLE_QUALIFIERS if rest.endswith(q)), "")
        if qualifier:
            rest = rest[: -len(qualifier)]  # 王总经理: a surname, a rank and a title
        if len(rest) >= 2 and rest not in _COMPOUND_SURNAMES:
            return rest
    return text


@lru_cache(maxsize=262_144)
def person_name_tokens(name: str) -> tuple[str, ...]:
    """Name tokens for token-wise comparison; a Chinese name is one token (surname + given)."""
    text = person_name(name)
    return tuple(text.split()) if text else ()


def phone_key(phone: str) -> str:
    """National significant number of an E.164 phone (``+8613812345678`` -> ``13812345678``).

    Numbers that arrive without ``+`` are reduced to digits, dropping a Chinese trunk ``0`` and a
    leading ``86``/``0086`` so that the same line typed either way agrees.
    """
    text = fold_width(phone).strip()
    if text.startswith("+86") and text[3:].isdigit() and text[3:4] != "0":
        return text[3:]  # what phonenumbers answers for a Chinese E.164 number, 50x faster
    if text.startswith("+"):
        try:
            import phonenumbers

            parsed = phonenumbers.parse(text, None)
            return phonenumbers.national_significant_number(parsed)
        except Exception:  # noqa: BLE001 - phonenumbers raises its own NumberParseException
            return digits(text)
    number = digits(text)
    if number.startswith("0086"):
        number = number[4:]
    elif number.startswith("86") and len(number) == 13:
        number = number[2:]
    return number.lstrip("0")


#: What separates the numbers or addresses of a contact field that holds several
#: (010-62345678;13912345678, 电话 010-62345678，13912345678): not a space, which a number is
#: written with (010 6234 5678).
_LIST_RE = re.compile(r"[;；,，/、|]+")


def phone_keys(phone: str) -> tuple[str, ...]:
    """The national numbers of a phone field: one (:func:`phone_key`), or each number of a list
    of seven digits or more (a CRM's "office; mobile"). Empty when nothing is a number."""
    parts = [part for part in _LIST_RE.split(phone) if part.strip()]
    if len(parts) > 1:
        keys = [phone_key(part) for part in parts]
        numbers = tuple(dict.fromkeys(n for n in keys if len(n) >= 7))
        # Every part a number (the same one twice too); else 010/62345678, an area code
        if len(numbers) > 1 or (numbers and all(len(n) >= 7 for n in keys)):
            return numbers
    number = phone_key(phone)
    return (number,) if number else ()


def email_key(email: str) -> str:
    """Lower-case e-mail; googlemail is gmail. Dots and +tags are kept (most providers honour them)."""
    text = fold_width(email).strip().lower()
    return text.replace("@googlemail.com", "@gmail.com")


#: Mail providers anyone can sign up with: a domain of theirs says nothing of whose mailbox it
#: is. Chinese (QQ, NetEase, Sina, Sohu, the carriers, Alibaba) and international ones.
PUBLIC_MAIL_DOMAINS = frozenset(
    (
        *("qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "188.com", "163.net"),
        *("sina.com", "sina.cn", "sohu.com", "139.com", "189.cn", "wo.cn", "wo.com.cn"),
        *("aliyun.com", "21cn.com", "tom.com", "263.net", "qq.cn", "outlook.cn"),
        *("gmail.com", "hotmail.com", "outlook.com", "live.com", "msn.com", "yahoo.com"),
        *("yahoo.com.cn", "yahoo.cn", "icloud.com", "me.com", "mac.com", "aol.com", "gmx.com"),
        *("gmx.de", "web.de", "mail.ru", "yandex.ru", "yandex.com", "protonmail.com"),
        *("proton.me", "zoho.com", "mail.com", "hotmail.co.uk", "live.cn", "hotmail.com.cn"),
        *("sina.com.cn", "china.com", "yahoo.co.jp", "yahoo.co.uk", "hotmail.fr", "live.com.cn"),
        *("citiz.net", "eyou.com", "chinaren.com", "netease.com", "googlemail.com"),
        # What forms are filled with when the real address is unknown.
        *("example.com", "example.cn", "test.com", "none.com", "null.com", "nomail.com"),
    )
)
#: Second-level labels under a country code: ``huaxin.com.cn`` is one registrable domain.
_SECOND_LEVEL = frozenset(("com", "net", "org", "gov", "edu", "ac", "co", "or", "ne"))


def company_mail_domain(email: str) -> str:
    """The registrable domain of an address at an organization's own domain
    (``li.ming@mail.huaxin.com.cn`` -> ``huaxin.com.cn``); "" for a public provider's
    (``vip.163.com`` too), a placeholder's, a mistyped provider's (``qq.con``) or no address."""
    key = email_key(email)
    if "@" not in key:
        return ""
    labels = [label for label in key.rpartition("@")[2].strip(". ").split(".") if label]
    if len(labels) < 2:
        return ""
    size = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    domain = ".".join(labels[-size:])
    if domain in PUBLIC_MAIL_DOMAINS or ".".join(labels) in PUBLIC_MAIL_DOMAINS:
        return ""
    if labels[-size] in _PROVIDER_NAMES:  # qq.con, 163.cm: a provider mistyped
        return ""
    return domain


#: The names of the providers, whatever their suffix.
_PROVIDER_NAMES = frozenset(d.split(".")[0] for d in PUBLIC_MAIL_DOMAINS if d.count(".") == 1)
