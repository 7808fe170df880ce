"""Chinese customers across ERP, CRM and web shop: pairwise quality of the pure engine.

Run: ``.venv/bin/python -m mdm.devtools.engine_bench.companies [--companies 3000] [--persons 0]``

Records come from ``mdm.devtools.synth`` (seeded, with ground truth). They are standardized
*minimally* here — width folding, white space, traditional -> simplified, codes upper-cased
without separators, invalid credit codes / ID numbers flagged, phones to E.164 — so that the
engine's own normalizers do the rest, as they will behind the dictionary. The truth ids are
used for evaluation only.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Sequence

from dictionary.standardizers import collapse_whitespace, fold_width, to_simplified
from matching.engine import Record, dedupe
from matching.normalize import identifier
from matching.rules import default_rule
from mdm.devtools.engine_bench import cluster_pairs, metrics

_CHINESE_TEXT = {"name", "contact_name", "address", "legal_representative"}
_CODES = {"credit_code": "uscc", "id_number": "ric"}


def _e164(raw: str) -> str:
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        return raw
    if not phonenumbers.is_possible_number(number):
        return raw
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _valid(kind: str, code: str) -> bool:
    from stdnum.cn import ric, uscc

    return bool(uscc.is_valid(code) if kind == "uscc" else ric.is_valid(code))


def standardize(attributes: dict[str, str]) -> tuple[dict[str, str], frozenset[str]]:
    """Minimal standardization of one raw record; returns (attributes, flagged fields)."""
    clean: dict[str, str] = {}
    flagged: set[str] = set()
    for key, raw in attributes.items():
        value = collapse_whitespace(fold_width(raw or ""))
        if not value:
            continue
        if key in _CHINESE_TEXT:
            value = to_simplified(value)
        if key in _CODES:
            value = identifier(value)
            if not _valid(_CODES[key], value):
                flagged.add(key)
        if key == "phone":
            value = _e164(value)
        clean[key] = value
    return clean, frozenset(flagged)


def load(n_companies: int, n_persons: int, seed: int) -> tuple[list[Record], dict[str, str]]:
    from mdm.devtools.synth import generate_customers

    records: list[Record] = []
    truth: dict[str, str] = {}
    for synth in generate_customers(n_companies, n_persons, seed=seed):
        record_id = f"{synth.system}:{synth.local_code}"
        attributes, flagged = standardize(synth.attributes)
        records.append(Record(record_id, attributes, flagged))
        truth[record_id] = synth.truth_id
    return records, truth


def true_pairs(truth: dict[str, str]) -> set[tuple[str, str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for record_id, truth_id in truth.items():
        groups[truth_id].append(record_id)
    return cluster_pairs(groups.values())


def run(records: Sequence[Record], truth: set[tuple[str, str]], *, fit: bool) -> None:
    rule = default_rule("customers")
    started = time.perf_counter()
    result = dedupe(records, rule, fit=fit)
    elapsed = time.perf_counter() - started
    predicted = cluster_pairs(result.clusters)
    m = metrics(predicted, truth)
    label = "EM-fitted rule" if fit else "default rule"
    print(
        f"{label:<15} P={m.precision:.4f} R={m.recall:.4f} F1={m.f1:.4f} "
        f"(TP {m[3]}, FP {m[4]}, FN {m[5]})  pairs scored {result.pairs_scored:,}, "
        f"auto {len(result.auto_pairs):,}, review {len(result.review_pairs):,}, "
        f"vetoed {result.vetoed:,}, keys skipped {len(result.skipped_keys)}  {elapsed:.2f} s"
    )
    review = {(min(a, b), max(a, b)) for a, b, _ in result.review_pairs}
    caught = len((review - predicted) & truth)
    print(f"{'':<15} + review queue: {caught:,} more true pairs among {len(review):,} proposed")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=3000)
    parser.add_argument("--persons", type=int, default=0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    try:
        started = time.perf_counter()
        records, truth_ids = load(args.companies, args.persons, args.seed)
    except ImportError:
        print("mdm.devtools.synth is not available: nothing to benchmark")
        return
    truth = true_pairs(truth_ids)
    print(
        f"{args.companies:,} companies + {args.persons:,} persons (seed {args.seed}): "
        f"{len(records):,} records, {len(truth):,} true pairs "
        f"(generated and standardized in {time.perf_counter() - started:.1f} s)"
    )
    run(records, truth, fit=False)
    run(records, truth, fit=True)


if __name__ == "__main__":
    main()
