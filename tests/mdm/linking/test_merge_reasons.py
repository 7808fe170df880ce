"""Which pair explains a golden record the batch match merged away (pure, no database)."""

from __future__ import annotations

import dataclasses
import json

from matching.engine import PairTrace
from mdm.linking.merge_reasons import AutoPair, auto_pair, merge_reasons, pair_evidence

TRACE = PairTrace(None, None, (0, 1, -1), (1.0, 0.93, None), False)


def test_the_reason_is_the_strongest_pair_into_the_rest_of_the_cluster():
    clusters = [["G1", "G2", "G3"], ["G4", "G5"]]
    pairs = [
        AutoPair("G1", "G2", 0.991, 1, 2, TRACE),
        AutoPair("G2", "G3", 0.999, 20, 3, TRACE),
        AutoPair("G1", "G3", 0.995, 10, 30, TRACE),
        # Across two clusters (a union refused): it explains nothing.
        AutoPair("G3", "G4", 1.0, 3, 4, TRACE),
        AutoPair("G5", "G4", 0.992, 5, 4, TRACE),
    ]

    reasons = merge_reasons(clusters, pairs)

    # Survivors (each cluster's first code) are not merged away: no reason.
    assert set(reasons) == {"G2", "G3", "G5"}
    assert (reasons["G2"].record_id, reasons["G2"].partner_id) == (20, 3)
    assert (reasons["G3"].record_id, reasons["G3"].partner_id, reasons["G3"].score) == (
        3,
        20,
        0.999,
    )
    assert (reasons["G5"].record_id, reasons["G5"].partner_id) == (5, 4)
    assert reasons["G5"].trace is TRACE


def test_on_equal_scores_the_first_pair_is_the_reason_and_pairs_without_records_are_skipped():
    pairs = [
        AutoPair("G1", "G2", 0.99),  # kept by an older release: no records, no trace
        AutoPair("G1", "G2", 0.99, 7, 8, TRACE),
        AutoPair("G1", "G2", 0.99, 9, 10, TRACE),
    ]

    (reason,) = merge_reasons([["G1", "G2"]], pairs).values()

    assert (reason.record_id, reason.partner_id) == (8, 7)


def test_a_distributed_job_keeps_the_pair_and_its_trace_in_json():
    pair = AutoPair("G1", "G2", 0.997, 11, 12, TRACE)
    common = AutoPair("G1", "G2", 0.997, 11, 12, dataclasses.replace(TRACE, counts=(24, 0, 0)))

    assert auto_pair("G1", "G2", 0.997, pair_evidence(pair)) == pair
    # The count a common value was weighed down for goes with it, to the merge's explanation.
    assert auto_pair("G1", "G2", 0.997, json.loads(json.dumps(pair_evidence(common)))) == common
    # Rows of an older release hold no evidence: golden codes and score only.
    assert auto_pair("G1", "G2", 0.997, {}) == AutoPair("G1", "G2", 0.997)
    assert pair_evidence(AutoPair("G1", "G2", 0.997)) == {}
