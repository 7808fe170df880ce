"""Grey release (灰度发布) of a changed match rule: tried on some source systems, then on all.

A changed rule — a steward's edit, or the weights the learning would re-fit — does not replace
the entity's rule at once. It becomes a ``MatchRuleRollout`` for chosen source systems and goes
through stages, each a recorded step with the steward and a reason:

1. ``propose_rollout``: stage ``shadow``. Nothing is applied. From then on the real matching
   records the candidate's decisions beside the live rule's, for the records of those systems
   the write path decides and the batch match's pairs touching them
   (``mdm.linking.rule_rollout_shadow``). ``compare_rollout`` reports what the candidate would
   do differently: from those recorded decisions (``recorded``), and from the stored candidate
   pairs touching those systems' records scored now under both rules (the replay, available
   before anything was recorded): pairs it would link that the live rule does not (merge),
   pairs of one golden record it would no longer link (split), pairs it would queue for review
   or take out of the queue, with examples.
2. ``enable_rollout``: stage ``partial``. Records arriving from those systems (API and imports)
   are linked with the candidate (``mdm.linking.rule_store.load_rule_for``), the live rule's
   decisions recorded beside them; the nightly batch match keeps the live rule for all
   records until promotion, the candidate's decisions recorded.
3. ``promote_rollout``: stage ``promoted``. The candidate becomes the entity's rule for all
   systems; the rule it replaced is kept on the rollout.
4. ``roll_back_rollout``: stage ``rolled_back``. An open rollout is closed; a promoted one (the
   entity's latest) restores the rule it replaced.

At most one rollout per entity is open (shadow or partial) at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import combinations

from django.db import transaction
from django.utils import timezone

from matching.engine import Features, decide_prepared, prepare
from matching.models import (
    OPEN_ROLLOUT_STAGES,
    BlockKey,
    MatchRuleConfig,
    MatchRuleRollout,
    MatchRuleRolloutStageChoices,
)
from matching.rules import MatchRule, rule_from_dict, rule_to_dict
from mdm.errors import Conflict, NotFound, ServiceError
from mdm.linking.block_index import count_values
from mdm.linking.rule_rollout_shadow import shadow_report
from mdm.linking.rule_store import load_rule, store_rule
from mdm.models import SourceRecord, SourceSystem
from mdm.privacy.crypto import matching_view

__all__ = [
    "compare_rollout",
    "enable_rollout",
    "promote_rollout",
    "propose_rollout",
    "roll_back_rollout",
]

#: Pairs compared at most per comparison (the report says when it stopped there).
MAX_COMPARED_PAIRS = 200_000
#: Blocking keys held by more records than this are skipped, as the batch match skips them.
MAX_BLOCK = 200
#: Examples kept per kind of difference.
EXAMPLES = 5

Stage = MatchRuleRolloutStageChoices


def _save(rollout: MatchRuleRollout, actor, reason: str) -> None:
    rollout._history_user = actor
    rollout._change_reason = reason[:100]
    rollout.save()


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("请说明理由", "A reason is required", code="reason_required")
    return reason[:300]


def _locked(rollout_id: int) -> MatchRuleRollout:
    rollout = MatchRuleRollout.objects.select_for_update().filter(pk=rollout_id).first()
    if rollout is None:
        raise NotFound("灰度发布不存在", f"No rule rollout #{rollout_id}")
    return rollout


#: What a step is called in a refusal (Chinese, English).
_STEP_NAMES = {
    "compared": ("对比", "compared"),
    "enabled": ("启用", "enabled"),
    "promoted": ("全部启用", "promoted"),
    "rolled back": ("回滚", "rolled back"),
    "superseded": (
        "回滚（之后已有新的规则全部启用）",
        "rolled back (a later rollout was promoted)",
    ),
}


def _refuse(rollout: MatchRuleRollout, step: str) -> Conflict:
    zh, en = _STEP_NAMES[step]
    return Conflict(
        f"灰度发布 #{rollout.pk} 处于 {rollout.stage} 阶段，不能{zh}",
        f"Rule rollout #{rollout.pk} is {rollout.stage}: it cannot be {en}",
        code="rollout_stage",
    )


def propose_rollout(
    *, entity: str, rule: MatchRule, systems: Sequence[str], reason: str, actor=None, origin: str
) -> MatchRuleRollout:
    """Open a rollout of ``rule`` for ``systems`` in stage ``shadow`` (nothing applied)."""
    reason = _reason(reason)
    if rule.entity != entity:
        raise ServiceError(
            "规则的实体不符", f"The rule is for {rule.entity}, not {entity}", code="wrong_entity"
        )
    codes = sorted({code.strip().upper() for code in systems if code.strip()})
    known = set(SourceSystem.objects.filter(code__in=codes).values_list("code", flat=True))
    if not codes or known != set(codes):
        missing = ", ".join(sorted(set(codes) - known)) or "-"
        raise ServiceError(
            f"请指定已登记的源系统（未知：{missing}）",
            f"Name registered source systems (unknown: {missing})",
            code="unknown_system",
        )
    config = rule_to_dict(rule_from_dict(rule_to_dict(rule)))  # validated as stored
    with transaction.atomic():
        if MatchRuleRollout.objects.filter(entity=entity, stage__in=OPEN_ROLLOUT_STAGES).exists():
            raise Conflict(
                f"{entity} 已有进行中的灰度发布",
                f"{entity} already has an open rule rollout: promote or roll it back first",
                code="rollout_open",
            )
        rollout = MatchRuleRollout(
            entity=entity,
            config=config,
            systems=codes,
            stage=Stage.SHADOW,
            origin=origin,
            reason=reason,
            created_by=actor,
        )
        _save(rollout, actor, f"proposed: {reason}")
    return rollout


def _label(record: tuple[int, str, str]) -> str:
    return f"{record[1]}:{record[2]}"


def compare_rollout(*, rollout_id: int, actor=None) -> dict:
    """Score the candidate pairs that touch the rollout's systems under the live rule and the
    candidate; store and return what the candidate would do differently, with what the
    decisions recorded during real matching say (``recorded``: ``shadow_report``).

    Steps: (1) the active records of the entity from the rollout's systems; (2) the records
    that share a blocking key with one of them (keys held by more than ``MAX_BLOCK`` records
    skipped), paired, each pair with at least one record from those systems, at most
    ``MAX_COMPARED_PAIRS``; (3) each pair decided under both rules; (4) counted by change:
    ``would_merge`` (the candidate links a pair of two golden records that the live rule does
    not), ``would_split`` (a pair of one golden record that the candidate would no longer
    link while the live rule does), ``would_queue`` / ``would_unqueue`` (review under one rule
    only), with examples. Pairs are judged alone: the batch merge may still refuse a merge
    that would join conflicting golden records.
    """
    rollout = MatchRuleRollout.objects.filter(pk=rollout_id).first()
    if rollout is None:
        raise NotFound("灰度发布不存在", f"No rule rollout #{rollout_id}")
    if rollout.stage not in OPEN_ROLLOUT_STAGES:
        raise _refuse(rollout, "compared")
    entity = rollout.entity
    live, candidate = load_rule(entity), rule_from_dict(rollout.config)
    in_scope = SourceRecord.objects.filter(
        entity=entity, is_active=True, system__code__in=rollout.systems
    )
    scoped = set(in_scope.values_list("pk", flat=True))
    keys = sorted(
        set(
            BlockKey.objects.filter(entity=entity, record__in=in_scope).values_list(
                "key", flat=True
            )
        )
    )
    members: dict[str, list[int]] = {}
    for start in range(0, len(keys), 2000):
        for key, record in (
            BlockKey.objects.filter(
                entity=entity, key__in=keys[start : start + 2000], record__is_active=True
            )
            .order_by("key", "record_id")
            .values_list("key", "record_id")
        ):
            members.setdefault(key, []).append(record)
    pairs: set[tuple[int, int]] = set()
    truncated = False
    for ids in members.values():
        if len(ids) > MAX_BLOCK:
            continue
        for a, b in combinations(sorted(set(ids)), 2):
            if a in scoped or b in scoped:
                pairs.add((a, b))
        if len(pairs) >= MAX_COMPARED_PAIRS:
            truncated = True
            break
    needed = sorted({pk for pair in pairs for pk in pair})
    features: dict[int, Features] = {}
    named: dict[int, tuple[int, str, str]] = {}
    golden: dict[int, str | None] = {}
    for start in range(0, len(needed), 5000):
        for pk, system, code, gold, attributes, flagged, index in SourceRecord.objects.filter(
            pk__in=needed[start : start + 5000]
        ).values_list(
            "pk",
            "system__code",
            "local_code",
            "golden_code",
            "attributes",
            "flagged",
            "blind_index",
        ):
            features[pk] = prepare(entity, matching_view(attributes, index), flagged)
            named[pk], golden[pk] = (pk, system, code), gold
    count_values(entity, features.values())
    changes: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for a, b in sorted(pairs):
        before, _s, _v = decide_prepared(live, features[a], features[b])
        after, score, _v = decide_prepared(candidate, features[a], features[b])
        if before == after:
            continue
        changes[f"{before}->{after}"] += 1
        same_golden = golden[a] is not None and golden[a] == golden[b]
        kinds = []
        if after == "auto" and not same_golden:
            kinds.append("would_merge")
        if before == "auto" and same_golden:
            kinds.append("would_split")
        if after == "review":
            kinds.append("would_queue")
        if before == "review":
            kinds.append("would_unqueue")
        for kind in kinds:
            changes[kind] += 1
            shown = examples.setdefault(kind, [])
            if len(shown) < EXAMPLES:
                line = f"{_label(named[a])} ~ {_label(named[b])} {before}->{after} {score:.4f}"
                shown.append(line)
    report = {
        "compared_at": timezone.now().isoformat(),
        "systems": list(rollout.systems),
        "records": len(scoped),
        "pairs": len(pairs),
        "truncated": truncated,
        "changed": sum(v for k, v in changes.items() if "->" in k),
        **{kind: changes.get(kind, 0) for kind in _KINDS},
        "transitions": {k: v for k, v in sorted(changes.items()) if "->" in k},
        "examples": examples,
        "recorded": shadow_report(rollout.pk),
    }
    with transaction.atomic():
        locked = _locked(rollout_id)
        locked.report = report
        _save(locked, actor, f"compared: {report['changed']} of {len(pairs)} pairs differ")
    return report


_KINDS = ("would_merge", "would_split", "would_queue", "would_unqueue")


def enable_rollout(*, rollout_id: int, reason: str, actor=None) -> MatchRuleRollout:
    """Shadow -> partial: records arriving from the rollout's systems are linked with it."""
    reason = _reason(reason)
    with transaction.atomic():
        rollout = _locked(rollout_id)
        if rollout.stage != Stage.SHADOW:
            raise _refuse(rollout, "enabled")
        rollout.stage = Stage.PARTIAL
        _save(rollout, actor, f"enabled for {', '.join(rollout.systems)}: {reason}")
    return rollout


def promote_rollout(*, rollout_id: int, reason: str, actor=None) -> MatchRuleRollout:
    """Shadow or partial -> promoted: the candidate becomes the entity's rule for every system;
    the rule it replaces (none: the shipped default) is kept for a roll-back."""
    reason = _reason(reason)
    with transaction.atomic():
        rollout = _locked(rollout_id)
        if rollout.stage not in OPEN_ROLLOUT_STAGES:
            raise _refuse(rollout, "promoted")
        current = (
            MatchRuleConfig.objects.select_for_update()
            .filter(entity=rollout.entity, is_active=True)
            .first()
        )
        rollout.previous = (
            {
                "config": current.config,
                "auto_threshold": current.auto_threshold,
                "review_threshold": current.review_threshold,
            }
            if current is not None
            else {}
        )
        store_rule(
            rollout.entity,
            rule_from_dict(rollout.config),
            reason=f"rollout #{rollout.pk} promoted: {reason}",
        )
        rollout.stage = Stage.PROMOTED
        _save(rollout, actor, f"promoted to all systems: {reason}")
    return rollout


def roll_back_rollout(*, rollout_id: int, reason: str, actor=None) -> MatchRuleRollout:
    """Close an open rollout, or undo a promoted one: the entity's rule becomes the one the
    promotion replaced again (the shipped default when there was none stored). Only the
    entity's latest promoted rollout can be undone: an older one was replaced since."""
    reason = _reason(reason)
    with transaction.atomic():
        rollout = _locked(rollout_id)
        if rollout.stage == Stage.PROMOTED:
            latest = (
                MatchRuleRollout.objects.filter(entity=rollout.entity, stage=Stage.PROMOTED)
                .order_by("-pk")
                .values_list("pk", flat=True)
                .first()
            )
            if latest != rollout.pk:
                raise _refuse(rollout, "superseded")
            _restore(rollout, reason)
        elif rollout.stage not in OPEN_ROLLOUT_STAGES:
            raise _refuse(rollout, "rolled back")
        rollout.stage = Stage.ROLLED_BACK
        _save(rollout, actor, f"rolled back: {reason}")
    return rollout


def _restore(rollout: MatchRuleRollout, reason: str) -> None:
    why = f"rollout #{rollout.pk} rolled back: {reason}"
    config = MatchRuleConfig.objects.select_for_update().filter(entity=rollout.entity).first()
    previous = rollout.previous
    if previous:
        rule = rule_from_dict(previous["config"])
        rule.auto_threshold = previous["auto_threshold"]
        rule.review_threshold = previous["review_threshold"]
        store_rule(rollout.entity, rule, reason=why)
    elif config is not None:
        # No stored rule before the promotion: the shipped default is the entity's rule again.
        config.is_active = False
        config._change_reason = why[:100]
        config.save()
