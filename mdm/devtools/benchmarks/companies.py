"""The Chinese companies benchmark through the whole hub path: import -> match -> crosswalk."""

from __future__ import annotations

import time
from collections import defaultdict

from matching.models import MatchRuleConfig
from mdm.access.accounts import create_source_system
from mdm.devtools.benchmarks.common import crosswalk, pair_metrics, pairs_of
from mdm.devtools.synth import generate_customers
from mdm.intake.importing import import_rows
from mdm.linking.batch.match import run_batch_match
from mdm.models import SourceSystem

ORDER = ("ERP", "CRM", "ECOM")


def run(n_companies: int, n_persons: int, *, seed: int = 2024) -> dict:
    # The shipped default rule, not one fitted on another benchmark's data in this database.
    MatchRuleConfig.objects.filter(entity="customers").delete()
    records = generate_customers(n_companies, n_persons, seed=seed)
    by_system: dict[str, list[dict]] = defaultdict(list)
    truth: dict[tuple[str, str], str] = {}
    for r in records:
        by_system[r.system].append({"local_code": r.local_code, **r.attributes})
        truth[(r.system, r.local_code)] = r.truth_id
    started = time.perf_counter()
    rejected = 0
    for code in ORDER:
        system = (
            SourceSystem.objects.filter(code=code).first()
            or create_source_system(code=code, name=code)[0]
        )
        rejected += import_rows(system=system, entity="customers", rows=by_system[code]).rejected
    imported = time.perf_counter()
    report = run_batch_match(entity="customers")
    matched = time.perf_counter()
    predicted = crosswalk("customers")
    keys = set(truth) & set(predicted)
    realtime_only = None
    metrics = pair_metrics(
        pairs_of({k: truth[k] for k in keys}), pairs_of({k: predicted[k] for k in keys})
    )
    return {
        "records": len(records),
        "stored": len(keys),
        "rejected": rejected,
        "import_s": imported - started,
        "match_s": matched - imported,
        "metrics": metrics,
        "merged_by_batch": report.golden_merged,
        "review_candidates": report.review_candidates,
        "realtime_only": realtime_only,
    }
