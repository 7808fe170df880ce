"""Job kinds used by the tests, registered in the test process and in the worker (``--include``).

``test_squares`` sums the squares of its chunk keys; ``params`` decide the plan and which
chunks fail: ``flaky`` chunks fail on their first attempt, ``broken`` chunks always fail.
"""

from __future__ import annotations

import os
import time

import redis

from mdm.jobs.runner import JobKind, register_job_kind
from mdm.models import JobChunk, JobRun

SQUARES = "test_squares"


def _plan(run: JobRun) -> list[str]:
    return [str(n) for n in range(1, run.params.get("chunks", 6) + 1)]


def _run_chunk(run: JobRun, key: str) -> dict[str, int]:
    attempts = JobChunk.objects.get(job=run, key=key).attempts
    if key in run.params.get("broken", []):
        raise RuntimeError(f"chunk {key} is broken")
    if key in run.params.get("flaky", []) and attempts == 1:
        raise RuntimeError(f"chunk {key} fails on its first attempt")
    return {"items": 1, "sum_of_squares": int(key) ** 2}


def _finalize(run: JobRun) -> dict[str, int]:
    return {"finalized": 1}


register_job_kind(JobKind(name=SQUARES, plan=_plan, run_chunk=_run_chunk, finalize=_finalize))


#: ``test_sleepy``: the chunk named in ``params["slow"]`` tells on its first attempt which
#: process runs it (a Redis key, for the test to kill that process), then sleeps far longer
#: than any test waits; every other attempt and chunk is quick.
SLEEPY = "test_sleepy"


def _sleepy_plan(run: JobRun) -> list[str]:
    return list(run.params["chunks"])


def _sleepy_chunk(run: JobRun, key: str) -> dict[str, int]:
    attempts = JobChunk.objects.get(job=run, key=key).attempts
    if key == run.params.get("slow") and attempts == 1:
        client = redis.Redis.from_url(run.params["redis_url"])
        client.set(f"sleepy:{run.pk}", os.getpid(), ex=600)
        time.sleep(600)
    return {"items": 1}


register_job_kind(JobKind(name=SLEEPY, plan=_sleepy_plan, run_chunk=_sleepy_chunk))


#: ``test_rounds``: ``test_squares`` with a second round of chunks ``r2-1``… (``params["round"]``
#: of them, default 2) planned once the first round is done; a chunk of a round that started
#: before the first round finished would be a bug, so each second-round chunk checks it.
ROUNDS = "test_rounds"


def _next_round(run: JobRun) -> list[str]:
    return [f"r2-{n}" for n in range(1, run.params.get("round", 2) + 1)]


def _round_chunk(run: JobRun, key: str) -> dict[str, int]:
    if key.startswith("r2-"):
        first = JobChunk.objects.filter(job=run).exclude(key__startswith="r2-")
        if first.exclude(status="done").exists():
            raise RuntimeError("a second-round chunk ran before the first round was done")
        return {"second_round": 1}
    return _run_chunk(run, key)


register_job_kind(
    JobKind(
        name=ROUNDS,
        plan=_plan,
        run_chunk=_round_chunk,
        finalize=_finalize,
        next_round=_next_round,
    )
)
