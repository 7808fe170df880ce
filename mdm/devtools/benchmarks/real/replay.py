"""Steward decisions replayed from a set's truth, and what the next `match` makes of them.

After a set's run, the pending queue is worked in rounds as a steward would work it in the admin
(first candidate first): each candidate is accepted when the truth says its two records are one
item, else rejected, through the hub's steward service (`decide_candidate`). After each round
`match --entity E` runs again and the queue and the links are scored. The rounds end when a
share (10 %, 25 %, 50 %) of the first queue has been decided.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from matching.models import MatchCandidate, MatchCandidateStatusChoices
from mdm.devtools.benchmarks.common import crosswalk
from mdm.devtools.benchmarks.real.base import RealSet
from mdm.devtools.benchmarks.real.hubpath import match, pending_queue
from mdm.devtools.benchmarks.real.metrics import RunFigures, run_figures
from mdm.errors import ServiceError
from mdm.stewardship.actions import decide_candidate

ROUNDS = (0.10, 0.25, 0.50)
REASON = "bench: truth replayed as a steward decision"


@dataclass(frozen=True)
class ReplayRound:
    share: float
    accepted: int
    rejected: int
    figures: RunFigures
    match_seconds: float


def _steward():
    user, _ = get_user_model().objects.get_or_create(
        username="bench-steward", defaults={"is_staff": True}
    )
    return user


def replay_truth(real: RealSet, first: RunFigures) -> list[ReplayRound]:
    """Rounds of decisions on a hub that holds ``real`` matched once (``first`` its figures)."""
    steward = _steward()
    accepted = rejected = 0
    rounds = [ReplayRound(0.0, 0, 0, first, 0.0)]
    for share in ROUNDS:
        target = round(first.queue * share)
        while accepted + rejected < target:
            pending = (
                MatchCandidate.objects.filter(
                    entity=real.entity, status=MatchCandidateStatusChoices.PENDING
                )
                .order_by(*(MatchCandidate._meta.ordering or ()))
                .values_list(
                    "pk",
                    "left__system__code",
                    "left__local_code",
                    "right__system__code",
                    "right__local_code",
                )[: target - accepted - rejected]
            )
            batch = list(pending)
            if not batch:
                break
            for pk, a, b, c, d in batch:
                left, right = real.truth.get((a, b)), real.truth.get((c, d))
                accept = left is not None and left == right
                try:
                    decide_candidate(candidate_id=pk, accept=accept, actor=steward, reason=REASON)
                except ServiceError:
                    continue  # decided already by an earlier merge
                accepted += accept
                rejected += not accept
        started = time.perf_counter()
        match(real.entity)
        seconds = time.perf_counter() - started
        figures = run_figures(real.truth, crosswalk(real.entity), pending_queue(real.entity))
        rounds.append(ReplayRound(share, accepted, rejected, figures, seconds))
    return rounds


REPLAY_HEADER = (
    "decided",
    "accepted",
    "rejected",
    "queue",
    "queue P",
    "auto P",
    "auto R",
    "auto F1",
    "reach",
    "match s",
)


def replay_rows(rounds: list[ReplayRound]) -> list[tuple]:
    rows: list[tuple] = [REPLAY_HEADER]
    for r in rounds:
        f = r.figures
        rows.append(
            (
                f"{r.share:.0%} of first queue" if r.share else "none (first run)",
                r.accepted,
                r.rejected,
                f.queue,
                f"{f.queue_precision:.4f}" if f.queue else "-",
                f"{f.auto.precision:.4f}",
                f"{f.auto.recall:.4f}",
                f"{f.auto.f1:.4f}",
                f"{f.reach:.4f}",
                f"{r.match_seconds:.1f}" if r.share else "",
            )
        )
    return rows
