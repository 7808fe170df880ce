"""Matching state in the database: rules stewards edit, the block-key index, candidate pairs.

The scoring itself is pure Python (``matching.engine``); these tables feed it and record what it
decided, so that every decision is explainable and a rejected pair is never proposed again.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dictionary.history import TranslatedHistory
from dictionary.models import EntityChoices


class MatchRuleConfig(models.Model):
    """The match rule of one entity: field weights, hard rules and the two thresholds.

    ``config`` is ``matching.rules.rule_to_dict`` of a ``MatchRule``; the defaults come from
    ``fixtures/match_rules.json`` and a steward may edit them in admin.
    """

    entity = models.CharField(_("entity"), max_length=20, choices=EntityChoices, unique=True)
    auto_threshold = models.FloatField(_("auto-link threshold"))
    review_threshold = models.FloatField(_("review threshold"))
    config = models.JSONField(_("rule configuration"))
    is_active = models.BooleanField(pgettext_lazy("switched on", "active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = TranslatedHistory()
    # Set before a save or delete for simple_history to read (who and why); not fields.
    _history_user: Any
    _change_reason: str

    class Meta:
        verbose_name = _("match rule")
        verbose_name_plural = _("match rules")
        ordering = ["entity"]

    def __str__(self) -> str:
        return f"{self.entity} ({self.review_threshold:.2f} / {self.auto_threshold:.2f})"


class MatchRuleChangeKindChoices(models.TextChoices):
    REFIT = "refit", _("weights re-fitted")
    THRESHOLDS = "thresholds", _("thresholds recalibrated")


class MatchRuleChange(models.Model):
    """One learning step of an entity's match rule, applied or refused, and why.

    The batch match re-fits the weights when the stored ones are stale and recalibrates the
    thresholds from steward decisions (``mdm.linking.learning``); each attempt is a row,
    whether it changed the rule or a safeguard refused the change. ``records`` and
    ``decisions`` are what the step saw (the next step compares with them to know whether the
    rule is stale), ``rule_version`` the shipped rule's and dictionary's version it ran under,
    ``detail`` the figures behind the decision (before / after, checks).
    """

    entity = models.CharField(_("entity"), max_length=20, choices=EntityChoices)
    kind = models.CharField(_("kind"), max_length=20, choices=MatchRuleChangeKindChoices)
    applied = models.BooleanField(_("applied"))
    records = models.PositiveIntegerField(_("active records"), default=0)
    decisions = models.PositiveIntegerField(_("steward decisions"), default=0)
    rule_version = models.CharField(_("rule version"), max_length=64, blank=True)
    message = models.TextField(_("message"))
    detail = models.JSONField(_("detail"), default=dict)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("match rule learning step")
        verbose_name_plural = _("match rule learning steps")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["entity", "kind", "-created_at"], name="matchrulechange_latest_idx"
            )
        ]

    def __str__(self) -> str:
        state = "applied" if self.applied else "refused"
        return f"{self.entity} {self.kind} {state} {self.created_at:%Y-%m-%d %H:%M}"


class MatchRuleRolloutStageChoices(models.TextChoices):
    SHADOW = "shadow", _("shadow")
    PARTIAL = "partial", _("enabled for some systems")
    PROMOTED = "promoted", _("promoted to all")
    ROLLED_BACK = "rolled_back", _("rolled back")


#: Stages of a rollout that is still open (at most one per entity).
OPEN_ROLLOUT_STAGES = (MatchRuleRolloutStageChoices.SHADOW, MatchRuleRolloutStageChoices.PARTIAL)


class MatchRuleRollout(models.Model):
    """A changed match rule in grey release (灰度发布): tried on some source systems first.

    ``config`` is the candidate rule (``matching.rules.rule_to_dict``), ``systems`` the codes of
    the source systems it is tried on. Stages: ``shadow`` (its decisions are compared with the
    live rule's on those systems' records, nothing applied), ``partial`` (records arriving from
    those systems are linked with it), ``promoted`` (it became the entity's rule; ``previous``
    keeps the rule it replaced, so that a roll-back restores it), ``rolled_back``. ``report``
    is the last comparison (``mdm.linking.rule_rollout``). Every step is a history row with
    the steward and the reason.
    """

    entity = models.CharField(_("entity"), max_length=20, choices=EntityChoices)
    config = models.JSONField(_("candidate rule"))
    previous = models.JSONField(_("replaced rule"), default=dict, blank=True)
    systems = models.JSONField(_("systems tried on"), default=list)
    stage = models.CharField(
        _("stage"),
        max_length=20,
        choices=MatchRuleRolloutStageChoices,
        default=MatchRuleRolloutStageChoices.SHADOW,
    )
    origin = models.CharField(_("origin"), max_length=20, default="steward")
    reason = models.CharField(_("reason"), max_length=300)
    report = models.JSONField(_("comparison report"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = TranslatedHistory()
    # Set before a save or delete for simple_history to read (who and why); not fields.
    _history_user: Any
    _change_reason: str

    class Meta:
        verbose_name = _("match rule rollout")
        verbose_name_plural = _("match rule rollouts")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity"],
                condition=models.Q(stage__in=["shadow", "partial"]),
                name="matchrulerollout_one_open_per_entity",
            )
        ]

    def __str__(self) -> str:
        return f"{self.entity} #{self.pk} {self.stage} ({', '.join(self.systems)})"


class MatchRuleShadowDecision(models.Model):
    """One decision of an open rule rollout, recorded during real matching beside the live
    rule's (``mdm.linking.rule_rollout_shadow``); nothing of it is applied by itself.

    ``origin`` ``realtime``: a record of one of the rollout's systems decided by the write
    path (API, import, admin), one row per decision, whether the two rules agree or not;
    ``record`` is the record, the golden codes are where each rule links it (empty: a new golden
    record). ``batch``: a candidate pair of the batch match touching those systems' records on
    which the two rules disagree (the pairs they agree on are counted in
    ``MatchRuleShadowPass``); ``record`` and ``other`` are the pair, ``same_golden`` tells
    that they already share a golden record. ``applied`` is the rule whose decision the hub
    applied: ``live`` in shadow (and in the batch), ``rollout`` when it is enabled for the
    record's system.
    """

    rollout = models.ForeignKey(
        MatchRuleRollout, on_delete=models.CASCADE, related_name="decisions"
    )
    origin = models.CharField(_("origin"), max_length=10)
    record = models.ForeignKey(
        "mdm.SourceRecord", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    other = models.ForeignKey(
        "mdm.SourceRecord",
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
        db_constraint=False,
    )
    same_golden = models.BooleanField(default=False)
    live_decision = models.CharField(_("live rule"), max_length=10)
    live_golden = models.CharField(max_length=40, blank=True)
    live_score = models.FloatField(null=True, blank=True)
    rollout_decision = models.CharField(_("rollout rule"), max_length=10)
    rollout_golden = models.CharField(max_length=40, blank=True)
    rollout_score = models.FloatField(null=True, blank=True)
    applied = models.CharField(_("applied"), max_length=10)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("shadow decision")
        verbose_name_plural = _("shadow decisions")
        ordering = ["pk"]
        indexes = [models.Index(fields=["rollout", "origin"], name="shadowdecision_rollout_idx")]

    def __str__(self) -> str:
        return f"#{self.rollout_id} {self.live_decision}->{self.rollout_decision}"


class MatchRuleShadowPass(models.Model):
    """One scoring pass of the batch match (a run, a chunk or a forked slice of one) under an
    open rule rollout: how many candidate pairs touching its systems were decided under both
    rules, and on how many they disagreed (those are ``MatchRuleShadowDecision`` rows)."""

    rollout = models.ForeignKey(MatchRuleRollout, on_delete=models.CASCADE, related_name="passes")
    pairs = models.PositiveIntegerField(default=0)
    differing = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    def __str__(self) -> str:
        return f"#{self.rollout_id} {self.differing}/{self.pairs}"


class BlockKey(models.Model):
    """One blocking key of one active source record: the candidate index."""

    entity = models.CharField(max_length=20, choices=EntityChoices)
    key = models.CharField(max_length=120)
    # No foreign-key constraint in the database: the index is derived data that the write path
    # replaces with its record (and Django deletes with it), and checking the constraint was a
    # tenth of PostgreSQL's work in an import (a record has about ten keys, each checked at
    # commit). A key whose record is gone finds nothing: every reader joins the records.
    record = models.ForeignKey(
        "mdm.SourceRecord",
        on_delete=models.CASCADE,
        related_name="block_keys",
        db_constraint=False,
    )

    class Meta:
        # The record ids ride in the index: a candidate look-up is an index-only scan.
        indexes = [
            models.Index(
                fields=["entity", "key"], include=["record"], name="blockkey_entity_key_idx"
            )
        ]

    def __str__(self) -> str:
        return self.key


class BlockKeyScheme(models.Model):
    """Under which way of making keys (``matching.keys.keys_version``) an entity's stored
    records were keyed: a release that makes keys differently leaves the records stored before
    it under the old keys until ``match --rekey`` rebuilds them."""

    entity = models.CharField(_("entity"), max_length=20, choices=EntityChoices, unique=True)
    version = models.PositiveIntegerField(_("version"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("block-key scheme")
        verbose_name_plural = _("block-key schemes")

    def __str__(self) -> str:
        return f"{self.entity}: {self.version}"


class MatchCandidateStatusChoices(models.TextChoices):
    PENDING = "pending", _("pending")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")


class MatchCandidate(models.Model):
    """A pair of source records the engine could not decide alone, or a steward decided.

    ``left`` always has the lower id, so a pair has one row. ``explanation`` holds the per-field
    evidence a steward reads; a ``rejected`` pair is never proposed or auto-linked again.
    """

    entity = models.CharField(_("entity"), max_length=20, choices=EntityChoices)
    left = models.ForeignKey("mdm.SourceRecord", on_delete=models.CASCADE, related_name="+")
    right = models.ForeignKey("mdm.SourceRecord", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(_("score"))
    explanation = models.JSONField(_("explanation"), default=list)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=MatchCandidateStatusChoices,
        default=MatchCandidateStatusChoices.PENDING,
    )
    origin = models.CharField(_("origin"), max_length=20, default="realtime")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    history = TranslatedHistory()
    #: Not stored: the other pending pairs decided with this one (set by ``decide_candidate``),
    #: and the same ids as the API reports them.
    siblings: list[int]
    siblings_decided: list[int]

    class Meta:
        verbose_name = _("match candidate")
        verbose_name_plural = _("match candidates")
        ordering = ["-score", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["left", "right"], name="matchcandidate_unique_pair"),
            models.CheckConstraint(
                condition=models.Q(left__lt=models.F("right")), name="matchcandidate_ordered_pair"
            ),
        ]
        indexes = [
            models.Index(fields=["entity", "status", "-score"], name="matchcandidate_queue_idx"),
            models.Index(fields=["right"], name="matchcandidate_right_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.left_id}~{self.right_id} {self.score:.3f} {self.status}"


class BatchMatchPair(models.Model):
    """An auto pair found by one chunk of a distributed batch match, kept until the end step.

    ``job`` is the JobRun id; ``identities`` holds, per golden code, the identity values the
    end step's conflict check needs (valid identifiers, customer kind, branch); ``evidence``
    the two records and what comparing them found, for the merge's explanation
    (``mdm.linking.merge_reasons.pair_evidence``; empty for pairs of an older release).
    """

    job = models.BigIntegerField(db_index=True)
    chunk = models.CharField(max_length=400)
    golden_a = models.CharField(max_length=20)
    golden_b = models.CharField(max_length=20)
    score = models.FloatField()
    identities = models.JSONField(default=dict)
    evidence = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.golden_a}~{self.golden_b} {self.score:.3f}"


class BatchMatchMerge(models.Model):
    """One batch of the clusters a distributed batch match merges, planned once every pair is
    scored and merged by one chunk of the job's second round.

    ``clusters`` are lists of golden codes, the survivor first; ``reasons`` say, per golden
    code merged away, the pair that brought it into its cluster
    (``mdm.linking.merge_reasons.reason_evidence``). ``job`` is the JobRun id; the rows go with
    the end step.
    """

    job = models.BigIntegerField()
    part = models.PositiveIntegerField()
    clusters = models.JSONField(default=list)
    reasons = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "part"], name="batch_match_merge_job_part"),
        ]

    def __str__(self) -> str:
        return f"job {self.job} merge {self.part}"


class BatchMatchPlan(models.Model):
    """One chunk's share of the candidate pairs of a distributed batch match.

    The plan step finds the candidate pairs once (ids only) and stores each chunk's slice as the
    bytes of a NumPy ``int64`` array of ``(low id << 32) | high id``; the chunk reads its own
    row. ``job`` is the JobRun id; the rows go with the end step.
    """

    job = models.BigIntegerField()
    part = models.PositiveIntegerField()
    pairs = models.BinaryField()
    #: On part 0: the run's counts of common values (``block_index.value_frequencies``), which
    #: every chunk weighs its pairs by.
    frequencies = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "part"], name="batch_match_plan_job_part"),
        ]

    def __str__(self) -> str:
        return f"job {self.job} part {self.part}"
