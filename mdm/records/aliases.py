"""The names a golden record is known by: steward-confirmed aliases, and how matching uses them.

A steward who accepts a pair confirms that its two records, under whatever names they hold (a
short name, an English or a former name), are the same company. Those names become aliases of
the golden record (``learned``); a steward may add one by hand (``steward``). A record that
arrives later under a name with the same matching key (:func:`alias_key`) links to that golden
record automatically — the same variant sent by another system is not queued again — unless a
hard rule forbids it (different valid credit codes, branch vs head office, a rejected pair).

Only organizations' names are aliases: a person's name is shared by too many people to decide
anything alone. The names the source records hold are matched through the records themselves
(block keys, the name comparator); :func:`known_names` lists both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import connection, transaction

from matching.normalize import company_name_parts, customer_kind
from mdm.errors import ServiceError
from mdm.models import (
    GoldenAlias,
    GoldenAliasOriginChoices,
    GoldenStatusChoices,
    SourceRecord,
    golden_model,
)

#: The attributes that name a customer.
NAME_FIELDS = ("name", "english_name", "former_name")
#: Entities whose golden records have aliases.
ALIAS_ENTITIES = ("customers",)


def alias_key(name: str) -> str:
    """The matching form of a company name: region, core and branch, without legal form,
    punctuation, case or spacing (``Han's Laser Technology Industry Group Co., Ltd.`` and
    ``HAN'S LASER TECHNOLOGY INDUSTRY GROUP CO LTD`` have one key; 上海华信科技 and 北京华信科技
    two). "" for a name with no core."""
    parts = company_name_parts(name or "")
    if not parts.core:
        return ""
    return "|".join((parts.region_code, parts.core.replace(" ", ""), parts.branch))


def alias_names(entity: str, attrs: Mapping[str, str], flagged: Iterable[str] = ()) -> list[str]:
    """The names of a record that may be aliases: an organization's name, English and former
    name (none for a person, nor for other entities)."""
    if entity not in ALIAS_ENTITIES:
        return []
    flagged = set(flagged)
    usable = {k: v for k, v in attrs.items() if k not in flagged and isinstance(v, str)}
    kind = customer_kind(
        usable.get("customer_type", ""),
        usable.get("name", ""),
        has_credit_code=bool(usable.get("credit_code")),
        has_id_number=bool(usable.get("id_number")),
    )
    if kind == "person":
        return []
    return [value.strip() for field in NAME_FIELDS if (value := usable.get(field, "")).strip()]


def _add(entity: str, golden_code: str, names: Iterable[str], origin: str, actor) -> int:
    keyed = {key: name for name in names if (key := alias_key(name))}
    if not keyed:
        return 0
    known = set(
        GoldenAlias.objects.filter(
            entity=entity, golden_code=golden_code, key__in=list(keyed)
        ).values_list("key", flat=True)
    )
    user = actor if getattr(actor, "pk", None) else None
    new = [
        GoldenAlias(
            entity=entity,
            golden_code=golden_code,
            name=name[:200],
            key=key[:200],
            origin=origin,
            created_by=user,
        )
        for key, name in keyed.items()
        if key not in known
    ]
    GoldenAlias.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def learn_from_pair(entity: str, golden_code: str, records: Iterable[SourceRecord], actor) -> int:
    """Keep the names of the records of an accepted pair as aliases of the golden record they
    now share; returns how many names were new."""
    names = [
        name
        for record in records
        for name in alias_names(entity, record.attributes or {}, record.flagged or ())
    ]
    return _add(entity, golden_code, names, GoldenAliasOriginChoices.LEARNED, actor)


def add_alias(*, entity: str, golden_code: str, name: str, actor, reason: str) -> GoldenAlias:
    """A steward states that the golden record is also known as ``name``."""
    if entity not in ALIAS_ENTITIES:
        raise ServiceError(f"{entity} 不支持别名", f"{entity} have no aliases", code="no_aliases")
    if not (reason or "").strip():
        raise ServiceError("请填写理由", "A reason is required", code="reason_required")
    key = alias_key(name)
    if not key:
        raise ServiceError("名称无效", "The name has no distinctive part", code="invalid_name")
    with transaction.atomic():
        golden = golden_model(entity).objects.filter(code=golden_code).first()
        if golden is None or golden.status != GoldenStatusChoices.ACTIVE:
            raise ServiceError(
                f"全局编码 {golden_code} 不是有效的黄金记录",
                f"Golden code {golden_code} is not an active golden record",
                code="not_active",
            )
        _add(entity, golden_code, [name], GoldenAliasOriginChoices.STEWARD, actor)
        return GoldenAlias.objects.get(entity=entity, golden_code=golden_code, key=key)


_ALIASES_OF_KEYS_SQL = (
    f"SELECT key, golden_code FROM {GoldenAlias._meta.db_table} "  # noqa: S608
    "WHERE entity = %s AND key = ANY(%s)"
)


def goldens_of_keys(entity: str, keys: Iterable[str]) -> dict[str, set[str]]:
    """Alias key -> the active golden records known by it (a code retired by a merge is
    followed to its survivor): two queries, whatever the number of keys."""
    keys = {k for k in keys if k}
    if entity not in ALIAS_ENTITIES or not keys:
        return {}
    if connection.vendor == "postgresql":
        # Hand-written: every upsert of a name asks, and the ORM's building cost more than it.
        with connection.cursor() as cursor:
            cursor.execute(_ALIASES_OF_KEYS_SQL, [entity, sorted(keys)])
            rows = cursor.fetchall()
    else:
        rows = list(
            GoldenAlias.objects.filter(entity=entity, key__in=keys).values_list(
                "key", "golden_code"
            )
        )
    if not rows:
        return {}
    model = golden_model(entity)
    codes = {code for _, code in rows}
    live: dict[str, str | None] = {}
    for _ in range(5):  # merges chain rarely; a cycle cannot exist
        pending = codes - set(live)
        if not pending:
            break
        for code, status, survivor in model.objects.filter(code__in=pending).values_list(
            "code", "status", "merged_into__code"
        ):
            if status == GoldenStatusChoices.ACTIVE:
                live[code] = code
            elif status == GoldenStatusChoices.MERGED and survivor:
                live[code] = survivor
                codes.add(survivor)
            else:
                live[code] = None
    found: dict[str, set[str]] = {}
    for key, code in rows:
        target = code
        for _ in range(5):
            nxt = live.get(target)
            if nxt is None or nxt == target:
                break
            target = nxt
        if live.get(target) == target:
            found.setdefault(key, set()).add(target)
    return found


def known_names(entity: str, golden_code: str) -> list[tuple[str, str]]:
    """Every name the golden record is known by, as ``(name, origin)``: its aliases, then the
    names its active source records hold (origin ``source``)."""
    names = list(
        GoldenAlias.objects.filter(entity=entity, golden_code=golden_code)
        .order_by("created_at", "pk")
        .values_list("name", "origin")
    )
    seen = {alias_key(name) for name, _ in names}
    members = SourceRecord.objects.filter(
        entity=entity, golden_code=golden_code, is_active=True
    ).order_by("pk")
    for record in members:
        for name in alias_names(entity, record.attributes or {}, record.flagged or ()):
            key = alias_key(name)
            if key and key not in seen:
                seen.add(key)
                names.append((name, "source"))
    return names
