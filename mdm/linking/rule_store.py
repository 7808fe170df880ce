"""The match rule in the database: the active rule of an entity (or of a rollout enabled for a
system), storing a rule with its change record, and fitting one on stored records."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from django.db import connections

from dictionary.models import DataElement, ElementBinding
from matching.engine import (
    Features,
    PairOutcome,
    Record,
    RecordId,
    comparison_signature,
    fit_rule,
    prepare,
    prepare_all,
)
from matching.models import (
    MatchRuleChange,
    MatchRuleChangeKindChoices,
    MatchRuleConfig,
    MatchRuleRollout,
    MatchRuleRolloutStageChoices,
)
from matching.rules import DEFAULT_RULES, MatchRule, rule_from_dict, rule_to_dict
from mdm.db.forking import can_fork
from mdm.models import SourceRecord
from mdm.privacy.crypto import matching_view

#: A key shared by more records than this is too common to block on (e.g. a frequent surname).


#: Parsed rules by entity: ``(row id, row version, rule)``. A stored rule is parsed once per
#: version in each process and the object shared (rules are immutable once used, see
#: ``matching.engine.compiled``, so its compiled form is shared too): every upsert asks for
#: the rule, and parsing and compiling it cost a tenth of the request.
_PARSED: dict[str, tuple[int, str, MatchRule]] = {}

#: The active row's id and version, and its rule only when that is not the version given
#: (``config`` is never NULL): one statement, one snapshot.
_RULE_SQL = (
    "SELECT id, v, CASE WHEN id = %s AND v = %s THEN NULL ELSE config END, "
    "auto_threshold, review_threshold FROM (SELECT id, xmin::text || ctid::text AS v, config, "
    "auto_threshold, review_threshold "
    f"FROM {MatchRuleConfig._meta.db_table} "  # noqa: S608
    "WHERE entity = %s AND is_active ORDER BY entity LIMIT 1) AS active"
)


def load_rule(entity: str) -> MatchRule:
    """The entity's active rule from the database, else the shipped default.

    On PostgreSQL one query reads the row's version (its transaction id and place, which
    change with every write to the row, whatever path wrote it, and differ between
    transactions) and, only when that is not the version parsed last, the rule, which is then
    parsed again."""
    if connections["default"].vendor == "postgresql":
        return _load_rule_versioned(entity)
    row = MatchRuleConfig.objects.filter(entity=entity, is_active=True).first()
    if row is None:
        return DEFAULT_RULES[entity]
    rule = rule_from_dict(row.config)
    rule.auto_threshold, rule.review_threshold = row.auto_threshold, row.review_threshold
    return rule


def _load_rule_versioned(entity: str) -> MatchRule:
    cached = _PARSED.get(entity)
    known = (cached[0], cached[1]) if cached is not None else (None, None)
    with connections["default"].cursor() as cursor:
        cursor.execute(_RULE_SQL, [*known, entity])
        row = cursor.fetchone()
    if row is None:
        return DEFAULT_RULES[entity]
    pk, version, config, auto_threshold, review_threshold = row
    if config is None and cached is not None:
        return cached[2]
    rule = rule_from_dict(json.loads(config) if isinstance(config, str) else config)
    rule.auto_threshold, rule.review_threshold = auto_threshold, review_threshold
    _PARSED[entity] = (pk, version, rule)
    return rule


def load_rule_for(entity: str, system: str | None) -> MatchRule:
    """The rule that links records arriving from ``system``: the candidate of a rule rollout
    enabled for that system (stage ``partial``: ``mdm.linking.rule_rollout``), else the
    entity's rule."""
    if system:
        rollout = (
            MatchRuleRollout.objects.filter(
                entity=entity, stage=MatchRuleRolloutStageChoices.PARTIAL
            )
            .only("config", "systems")
            .first()
        )
        if rollout is not None and system in rollout.systems:
            return rule_from_dict(rollout.config)
    return load_rule(entity)


@dataclass
class FitPairs:
    """The candidate pairs a re-fit estimates m and the prior on: the batch match's own pairs
    (``mdm.linking.batch.pairs``, the identifier vetoes dropped), all of them or a uniform
    sample. ``codes`` are sorted pair codes (``low id << 32 | high id``); ``total`` is the
    number of candidate pairs they were drawn from."""

    codes: np.ndarray
    total: int
    #: Candidate pairs whose identifiers answer for them (same or different valid credit code),
    #: to check the fit on, and the answers (True: the same identifier). Their records are
    #: prepared with the others.
    labelled: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    same: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))
    #: The run's counts of common values (``block_index.value_frequencies``): the pairs the fit
    #: decides (its safeguards, the auto-link cut) are weighed as the run will score them.
    frequencies: Mapping[str, int] = field(default_factory=dict)


@dataclass
class PreparedRecords:
    """What a re-fit prepared, for the batch match that follows it in the same process:
    the records' features by id, and the comparison levels of the pairs it compared, by pair
    code (``low id << 32 | high id``), valid under rules of comparison ``signature``."""

    features: dict[int, Features] = field(default_factory=dict)
    levels: dict[int, tuple[int, ...]] = field(default_factory=dict)
    signature: tuple = ()
    #: The compared pairs counted by outcome (``matching.engine.PairOutcome``), by the fit.
    outcomes: Counter[PairOutcome] | None = None
    #: The number of pairs the fit's prior is a share of (see ``fit_rule(total_pairs=…)``).
    total_pairs: int = 0


def fit_rule_on_records(
    entity: str,
    *,
    base: MatchRule | None = None,
    sample: int = 50_000,
    seed: int = 0,
    prepared: PreparedRecords | None = None,
    processes: int = 1,
    pairs: FitPairs | None = None,
) -> MatchRule:
    """Re-estimate the entity's rule (``base``, else the stored one) on its own stored records,
    without labels, and return it without storing it.

    u comes from random pairs, m and the prior from EM on the candidate pairs
    (``matching.engine.fit_rule``); the thresholds are kept. ``prepared``: filled with the
    records prepared for the fit, by id, and the comparison levels of the pairs it compared,
    for a batch match that follows (``run_batch_match(prepared=…)`` scores them without
    preparing them again) or for checking the fit (``mdm.linking.learning``).
    ``processes`` > 1 (outside a transaction): the pairs are compared in that many forked
    processes.
    ``pairs``: fit on these candidate pairs (the batch match's, so that the pairs it compares
    are the pairs the match scores next, and no blocking key is computed again); u then comes
    from the records when they fit in ``sample``, else from a random ``sample`` of them, and
    the prior is scaled by the share of the candidate pairs given. Without ``pairs``, the
    records (all, or a random ``sample``) are blocked in memory.
    """
    if pairs is not None:
        return _fit_on_pairs(
            entity,
            pairs,
            base=base,
            sample=sample,
            seed=seed,
            prepared=prepared,
            processes=processes,
        )
    active = SourceRecord.objects.filter(entity=entity, is_active=True)
    # All records when they fit in the sample, in the order of their systems' codes and local
    # codes: the same records give the same rule, whatever order a parallel import stored them
    # in (ids follow it); else a random sample of them.
    if sample and active.count() > sample:
        ordered = active.order_by("?")
    else:
        ordered = active.order_by("system__code", "local_code", "pk")
    rows = ordered.values_list("pk", "attributes", "flagged", "blind_index")[:sample]
    records = [
        Record(pk, matching_view(attributes, index), frozenset(flagged))
        for pk, attributes, flagged, index in rows
    ]
    current = base or load_rule(entity)
    features = prepare_all(current, records)
    if processes > 1:
        if can_fork():
            connections.close_all()  # a forked child must not inherit the open connection
        else:
            processes = 1
    compared: dict[tuple[RecordId, RecordId], tuple[int, ...]] | None = None
    outcomes: Counter[PairOutcome] | None = None
    if prepared is not None:
        compared, outcomes = {}, Counter()
    fitted = fit_rule(
        current,
        records,
        seed=seed,
        features=features,
        processes=processes,
        compared=compared,
        outcomes=outcomes,
    )
    if prepared is not None:
        # The hub's record ids are integers (Record allows text ids too).
        prepared.features = dict(zip((int(r.id) for r in records), features, strict=True))
        # Keyed as the batch match scores a pair, low id first (the comparators are symmetric:
        # the levels of a pair do not depend on which record is on the left).
        assert compared is not None  # filled by fit_rule
        prepared.levels = {
            (min(a, b) << 32) | max(a, b): levels
            for (a, b), levels in compared.items()
            if isinstance(a, int) and isinstance(b, int)  # the hub's record ids are
        }
        prepared.signature = comparison_signature(current)
        prepared.outcomes = outcomes
        prepared.total_pairs = len(records) * (len(records) - 1) // 2
    return fitted


def _records(rows) -> list[Record]:
    return [
        Record(pk, matching_view(attributes, index), frozenset(flagged))
        for pk, attributes, flagged, index in rows
    ]


_ROW = ("pk", "attributes", "flagged", "blind_index")


def _fit_on_pairs(
    entity: str,
    pairs: FitPairs,
    *,
    base: MatchRule | None,
    sample: int,
    seed: int,
    prepared: PreparedRecords | None,
    processes: int,
) -> MatchRule:
    """``fit_rule_on_records`` on given candidate pairs (see there)."""
    active = SourceRecord.objects.filter(entity=entity, is_active=True)
    count = active.count()
    codes = pairs.codes
    if count <= sample:
        # In the order of the systems' codes and local codes: the same records give the same
        # rule, whatever order a parallel import stored them in.
        records = _records(active.order_by("system__code", "local_code", "pk").values_list(*_ROW))
        u_records = None
    else:
        ends = [codes >> 32, codes & 0xFFFFFFFF, pairs.labelled >> 32, pairs.labelled & 0xFFFFFFFF]
        touched = np.unique(np.concatenate(ends)).tolist()
        records = []
        for start in range(0, len(touched), 20_000):
            chunk = active.filter(pk__in=touched[start : start + 20_000])
            records.extend(_records(chunk.order_by("pk").values_list(*_ROW)))
        # A random sample drawn with ``seed``: the same records give the same rule.
        ids = np.fromiter(active.values_list("pk", flat=True).iterator(chunk_size=50_000), np.int64)
        chosen = np.sort(np.random.default_rng(seed).choice(ids, size=sample, replace=False))
        u_records = []
        for start in range(0, len(chosen), 20_000):
            part = chosen[start : start + 20_000].tolist()
            u_records.extend(_records(active.filter(pk__in=part).order_by("pk").values_list(*_ROW)))
    current = base or load_rule(entity)
    features = [prepare(entity, r.attrs, r.flagged) for r in records]
    if pairs.frequencies:
        for prepared_record in features:
            prepared_record.frequencies = pairs.frequencies
    position = {int(r.id): i for i, r in enumerate(records)}
    positions = [
        (position[low], position[high])
        for low, high in zip((codes >> 32).tolist(), (codes & 0xFFFFFFFF).tolist(), strict=True)
        if low in position and high in position  # a record deactivated meanwhile
    ]
    if processes > 1:
        if can_fork():
            connections.close_all()  # a forked child must not inherit the open connection
        else:
            processes = 1
    share = len(codes) / pairs.total if pairs.total else 1.0
    total_pairs = max(1, round(count * (count - 1) // 2 * share))
    compared: dict[tuple[RecordId, RecordId], tuple[int, ...]] = {}
    outcomes: Counter[PairOutcome] = Counter()
    fitted = fit_rule(
        current,
        records,
        seed=seed,
        features=features,
        processes=processes,
        compared=compared,
        pairs=positions,
        u_features=(
            None if u_records is None else [prepare(entity, r.attrs, r.flagged) for r in u_records]
        ),
        total_pairs=total_pairs,
        outcomes=outcomes,
    )
    if prepared is not None:
        prepared.features = dict(zip((int(r.id) for r in records), features, strict=True))
        prepared.levels = {(int(a) << 32) | int(b): levels for (a, b), levels in compared.items()}
        prepared.signature = comparison_signature(current)
        prepared.outcomes = outcomes
        prepared.total_pairs = total_pairs
    return fitted


def store_rule(entity: str, rule: MatchRule, *, reason: str) -> MatchRuleConfig:
    """Make ``rule`` (weights and thresholds) the entity's active rule, with a history row that
    says why."""
    config = MatchRuleConfig.objects.filter(entity=entity).first() or MatchRuleConfig(entity=entity)
    config.config = rule_to_dict(rule)
    config.auto_threshold, config.review_threshold = rule.auto_threshold, rule.review_threshold
    config.is_active = True
    config._change_reason = reason[:100]
    config.save()
    return config


def rule_version(entity: str) -> str:
    """A digest of what the stored weights were fitted for: the shipped rule's comparisons,
    hard rules and version, and the versions of the entity's data elements."""
    default = DEFAULT_RULES[entity]
    elements = sorted(
        DataElement.objects.filter(
            code__in=ElementBinding.objects.filter(entity=entity).values("element__code")
        ).values_list("code", "version")
    )
    text = json.dumps(
        [
            [list(map(str, part)) for part in comparison_signature(default)],
            rule_to_dict(default)["hard"],
            default.version,
            elements,
        ],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha1(text.encode()).hexdigest()


def fit_rule_from_records(
    entity: str,
    *,
    sample: int = 50_000,
    seed: int = 0,
    prepared: PreparedRecords | None = None,
    processes: int = 1,
) -> MatchRuleConfig:
    """Re-estimate the entity's rule on its own stored records (``fit_rule_on_records``) and
    store it, as it comes out (the manual ``fit_match_rule``; the batch match re-fits with
    safeguards: ``mdm.linking.learning``), recorded as a ``MatchRuleChange``. The
    thresholds a steward set are kept."""
    fitted = fit_rule_on_records(
        entity, sample=sample, seed=seed, prepared=prepared, processes=processes
    )
    config = store_rule(entity, fitted, reason="fit_match_rule")
    # A fit all the same: the batch match's staleness counts from it.
    records = SourceRecord.objects.filter(entity=entity, is_active=True).count()
    MatchRuleChange.objects.create(
        entity=entity,
        kind=MatchRuleChangeKindChoices.REFIT,
        applied=True,
        records=records,
        rule_version=rule_version(entity),
        message=f"fitted by fit_match_rule on {records} records, without safeguards",
    )
    return config
