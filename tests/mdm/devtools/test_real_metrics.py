"""The real-data bench's pure scoring: what it calls linked, reached, queued and mixed."""

from mdm.devtools.benchmarks.real.companies_cn import clean_short_name
from mdm.devtools.benchmarks.real.metrics import (
    QueueEntry,
    by_system_pair,
    purity,
    run_figures,
    top_precision,
    truth_from_pairs,
)

A1, A2, A3 = ("ERP", "1"), ("ERP", "2"), ("ERP", "3")
B1, B2, B3 = ("CRM", "1"), ("CRM", "2"), ("CRM", "3")
# items: x = {A1, B1}, y = {A2, B2, B3}, z = {A3}
TRUTH = {A1: "x", B1: "x", A2: "y", B2: "y", B3: "y", A3: "z"}


def test_auto_links_reach_and_queue_are_scored_against_the_truth():
    links = {A1: "G1", B1: "G1", A2: "G2", B2: "G3", B3: "G4", A3: "G4"}
    queue = [QueueEntry(A2, B2, 0.9), QueueEntry(A1, A3, 0.8)]

    figures = run_figures(TRUTH, links, queue)

    # true pairs: A1-B1, A2-B2, A2-B3, B2-B3; linked: A1-B1 (true), B3-A3 (false)
    assert (figures.auto.true_pairs, figures.auto.predicted_pairs) == (4, 2)
    assert (figures.auto.precision, figures.auto.recall) == (0.5, 0.25)
    # reached: A1-B1 linked, A2-B2 one accept away (G2~G3); A2-B3 and B2-B3 not
    assert figures.reach == 0.5
    assert (figures.queue, figures.queue_true, figures.queue_precision) == (2, 1, 0.5)


def test_a_record_rejected_at_import_costs_recall():
    links = {A1: "G1", A2: "G2", B2: "G2", B3: "G2", A3: "G3"}  # B1 never reached the hub

    figures = run_figures(TRUTH, links, [])

    assert figures.auto.recall == 0.75
    assert figures.reach == 0.75
    assert figures.queue_precision == 0.0


def test_top_precision_takes_the_head_of_the_queue_in_its_order():
    queue = [QueueEntry(A1, A3, 1.0), QueueEntry(A2, B2, 0.9), QueueEntry(A1, B1, 0.5)]

    assert top_precision(TRUTH, queue, 0.2) == 0.0  # one entry at least: the false one
    assert top_precision(TRUTH, queue, 0.67) == 0.5
    assert top_precision(TRUTH, [], 0.2) == 0.0


def test_purity_counts_mixing_golden_records_and_split_items():
    links = {A1: "G1", B1: "G1", A2: "G1", B2: "G2", B3: "G3", A3: "G4"}

    found = purity(TRUTH, links)

    assert found.mixed == [["x", "y"]]
    assert (found.items, found.split_items) == (2, 1)  # y is in G1, G2 and G3
    assert found.split_share == 0.5


def test_per_system_pair_breakdown():
    links = {A1: "G1", B1: "G1", A2: "G2", B2: "G3", B3: "G3", A3: "G4"}

    rows = by_system_pair(TRUTH, links, [QueueEntry(A2, B3, 0.7)])

    assert rows == {("CRM", "CRM"): (1, 1, 1), ("CRM", "ERP"): (3, 1, 3)}


def test_truth_from_pairs_joins_chains_and_keeps_singletons():
    truth = truth_from_pairs([A1, B1, A2, B2, A3], [(A1, B1), (B1, A2), (B2, ("X", "9"))])

    assert truth == {A1: B1, B1: B1, A2: B1, B2: B2, A3: A3}


def test_short_names_lose_exchange_markers_not_their_letters():
    assert clean_short_name("*ST长运") == "长运"
    assert clean_short_name("XD东方证") == "东方证"
    assert clean_short_name("万  科Ａ") == "万科A"
    assert clean_short_name("TCL集团") == "TCL集团"
    assert clean_short_name("浦发银行") == "浦发银行"
