"""mdm.devtools.synth: seeded synthetic master data with ground truth. Pure, no database.

.venv/bin/pytest tests/matching/test_synth.py -p no:django -q --noconftest
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import os
import random
import re
import subprocess
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from stdnum import ean, numdb
from stdnum.cn import ric, uscc

from mdm.devtools import synth
from mdm.devtools.synth import SynthRecord
from mdm.devtools.synth.customers import _persons

REPO_ROOT = Path(__file__).resolve().parents[2]

N_COMPANIES, N_PERSONS = 400, 120


@pytest.fixture(scope="module")
def customers() -> list[SynthRecord]:
    return synth.generate_customers(N_COMPANIES, N_PERSONS, seed=11)


@pytest.fixture(scope="module")
def products() -> list[SynthRecord]:
    return synth.generate_products(300, seed=11)


@pytest.fixture(scope="module")
def materials() -> list[SynthRecord]:
    return synth.generate_materials(200, seed=11)


@pytest.fixture
def no_name_noise(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every copy of a company carries its registered name; a person their real name."""
    quiet = {
        "legal_form": 0.0,
        "name_region": 0.0,
        "half_width_brackets": 0.0,
        "traditional": 0.0,
        "homophone": 0.0,
        "short_name": 0.0,
        "extra_space": 0.0,
        "english_in_shop": 0.0,
        "pinyin_name": 0.0,
    }
    monkeypatch.setattr(synth.params, "NOISE", dataclasses.replace(synth.NOISE, **quiet))


def normalized_credit_code(value: str) -> str:
    return uscc.compact(unicodedata.normalize("NFKC", value))


def is_person(record: SynthRecord) -> bool:
    return record.truth_id.startswith("P")


def digest(records: Iterable[SynthRecord]) -> str:
    h = hashlib.sha256()
    for r in records:
        h.update(
            repr(
                (r.system, r.entity, r.local_code, sorted(r.attributes.items()), r.truth_id)
            ).encode()
        )
    return h.hexdigest()


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
)


def parse_birth_date(value: str) -> dt.date:
    for pattern in _DATE_PATTERNS:
        m = pattern.match(value)
        if m:
            return dt.date(*map(int, m.groups()))
    raise AssertionError(f"unexpected birth date format {value!r}")


# --- determinism --------------------------------------------------------------------------------


def test_same_seed_gives_identical_output() -> None:
    assert synth.generate_customers(80, 20, seed=3) == synth.generate_customers(80, 20, seed=3)
    assert synth.generate_products(60, seed=3) == synth.generate_products(60, seed=3)
    assert synth.generate_materials(60, seed=3) == synth.generate_materials(60, seed=3)
    assert list(synth.iter_customers_fast(3000, seed=3)) == list(
        synth.iter_customers_fast(3000, seed=3)
    )


def test_other_seed_gives_other_output() -> None:
    assert digest(synth.generate_customers(80, 20, seed=3)) != digest(
        synth.generate_customers(80, 20, seed=4)
    )
    assert digest(synth.iter_customers_fast(500, seed=3)) != digest(
        synth.iter_customers_fast(500, seed=4)
    )


def test_output_does_not_depend_on_string_hash_randomisation() -> None:
    # Iterating a set of strings, or hash(str), would make output differ between processes.
    code = (
        "import hashlib; from mdm.devtools import synth\n"
        "recs = synth.generate_customers(60, 15, seed=5) + synth.generate_products(40, seed=5)"
        " + synth.generate_materials(40, seed=5) + list(synth.iter_customers_fast(1500, seed=5))\n"
        "print(hashlib.sha256(repr(recs).encode()).hexdigest())\n"
    )
    outputs = set()
    for hash_seed in ("0", "4711"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(REPO_ROOT)}
        result = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(result.stdout.strip())
    assert len(outputs) == 1


# --- shape --------------------------------------------------------------------------------------


def test_records_have_exactly_the_documented_keys(
    customers: list[SynthRecord], products: list[SynthRecord], materials: list[SynthRecord]
) -> None:
    for records, entity, keys in (
        (customers, "customers", synth.CUSTOMER_KEYS),
        (products, "products", synth.PRODUCT_KEYS),
        (materials, "materials", synth.MATERIAL_KEYS),
    ):
        for r in records:
            assert r.entity == entity
            assert tuple(r.attributes) == keys
            assert all(isinstance(v, str) for v in r.attributes.values())
            assert r.attributes["name"].strip()


def test_customer_types_are_written_the_way_each_system_writes_them(
    customers: list[SynthRecord],
) -> None:
    seen: dict[tuple[str, bool], set[str]] = defaultdict(set)
    for r in customers:
        seen[(r.system, is_person(r))].add(r.attributes["customer_type"])
    assert seen[("ERP", False)] == {"企业"} and seen[("ERP", True)] == {"个人"}
    assert seen[("CRM", False)] == {"B", "org"} and seen[("CRM", True)] == {"C", "person"}
    assert seen[("ECOM", False)] == {"", "org"} and seen[("ECOM", True)] == {"", "person"}


# --- identifiers --------------------------------------------------------------------------------


def test_credit_codes_are_valid_with_consistent_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        synth.params, "NOISE", dataclasses.replace(synth.NOISE, credit_code_typo=0.0)
    )
    records = synth.generate_customers(300, 0, seed=21)
    codes = [(r, normalized_credit_code(r.attributes["credit_code"])) for r in records]
    codes = [(r, c) for r, c in codes if c]
    assert len(codes) > 200
    loc = numdb.get("cn/loc")
    for r, code in codes:
        assert uscc.is_valid(code), (r.local_code, code)
        assert code.startswith("91")
        assert loc.info(code[2:8])[0][1], code  # a real division code
        region = r.attributes["region_code"]
        if region:  # same province, and same city unless one of them is province level
            assert code[2:4] == region[:2]
            assert code[4:6] == region[2:4] or "00" in (code[4:6], region[2:4])


def test_corrupted_credit_codes_are_exactly_one_typo_away(customers: list[SynthRecord]) -> None:
    by_truth: dict[str, list[str]] = defaultdict(list)
    for r in customers:
        if r.attributes["credit_code"]:
            by_truth[r.truth_id].append(normalized_credit_code(r.attributes["credit_code"]))
    invalid = 0
    total = sum(len(v) for v in by_truth.values())
    for truth_id, codes in by_truth.items():
        valid = {c for c in codes if uscc.is_valid(c)}
        assert len(valid) <= 1, f"{truth_id} has two different valid codes: {valid}"
        for code in codes:
            if code in valid:
                continue
            invalid += 1
            assert len(code) == 18
            if valid:
                (good,) = valid
                assert sum(a != b for a, b in zip(code, good, strict=True)) == 1
    assert 0 < invalid < 0.1 * total


def test_different_companies_have_different_credit_codes(customers: list[SynthRecord]) -> None:
    owner: dict[str, str] = {}
    for r in customers:
        code = normalized_credit_code(r.attributes["credit_code"])
        if code and uscc.is_valid(code):
            assert owner.setdefault(code, r.truth_id) == r.truth_id


def test_resident_ids_are_valid_and_match_birth_date(customers: list[SynthRecord]) -> None:
    checked = 0
    for r in customers:
        number = r.attributes["id_number"].replace(" ", "")
        if not number:
            continue
        assert is_person(r)
        assert ric.is_valid(number), number
        birth = r.attributes["birth_date"]
        if birth:
            assert ric.get_birth_date(number) == parse_birth_date(birth)
        checked += 1
    assert checked > 50


def test_gtins_are_valid_chinese_ean13_and_identify_products(products: list[SynthRecord]) -> None:
    owner: dict[str, str] = {}
    for r in products:
        gtin = r.attributes["gtin"].replace(" ", "")
        if not gtin:
            continue
        assert ean.is_valid(gtin) and len(gtin) == 13, gtin
        assert 690 <= int(gtin[:3]) <= 699
        assert owner.setdefault(gtin, r.truth_id) == r.truth_id
    assert len(owner) > 250


# --- codes and ground truth ---------------------------------------------------------------------

LOCAL_CODE_FORMATS = {
    ("customers", "ERP"): re.compile(r"^SD\d{2}-\d{6}$"),
    ("customers", "CRM"): re.compile(r"^[A-Z]{2}-[BC]-\d{5,}$"),
    ("customers", "ECOM"): re.compile(r"^WEB\d{8,}$"),
    ("products", "ERP"): re.compile(r"^PD\d{2}-\d{6}$"),
    ("products", "ECOM"): re.compile(r"^WEB\d{8,}$"),
    ("materials", "ERP"): re.compile(r"^MM\d{2}-\d{6}$"),
}


def assert_local_codes_unique_and_well_formed(records: Iterable[SynthRecord]) -> int:
    seen: set[tuple[str, str]] = set()
    for r in records:
        assert LOCAL_CODE_FORMATS[(r.entity, r.system)].match(r.local_code), r.local_code
        key = (r.system, r.local_code)
        assert key not in seen, key
        seen.add(key)
    return len(seen)


def test_local_codes_are_unique_per_system(
    customers: list[SynthRecord], products: list[SynthRecord], materials: list[SynthRecord]
) -> None:
    for records in (customers, products, materials):
        assert assert_local_codes_unique_and_well_formed(records) == len(records)


def test_every_real_thing_appears_in_at_least_one_system(
    customers: list[SynthRecord], products: list[SynthRecord], materials: list[SynthRecord]
) -> None:
    expected = {f"C{i:06d}" for i in range(1, N_COMPANIES + 1)}
    expected |= {f"P{i:06d}" for i in range(1, N_PERSONS + 1)}
    assert {r.truth_id for r in customers} == expected
    assert {r.truth_id for r in products} == {f"PRD{i:05d}" for i in range(1, 301)}
    assert {r.truth_id for r in materials} == {f"MAT{i:05d}" for i in range(1, 201)}


def test_systems_argument_restricts_the_output() -> None:
    records = synth.generate_customers(50, 10, seed=2, systems=("CRM",))
    assert {r.system for r in records} == {"CRM"}
    assert len({r.truth_id for r in records}) == 60
    with pytest.raises(ValueError):
        synth.generate_customers(5, systems=("SAP",))


def test_duplicates_exist_across_and_within_systems(customers: list[SynthRecord]) -> None:
    systems_per_truth: dict[str, list[str]] = defaultdict(list)
    for r in customers:
        systems_per_truth[r.truth_id].append(r.system)
    across = sum(1 for s in systems_per_truth.values() if len(set(s)) > 1)
    within = sum(1 for s in systems_per_truth.values() if len(s) > len(set(s)))
    assert across > 0.5 * len(systems_per_truth)
    assert within > 0


def test_copies_of_one_company_vary(customers: list[SynthRecord]) -> None:
    names: dict[str, set[str]] = defaultdict(set)
    for r in customers:
        if not is_person(r):
            names[r.truth_id].add(r.attributes["name"])
    assert sum(1 for n in names.values() if len(n) > 1) > 0.2 * len(names)
    all_names = "".join(n for group in names.values() for n in group)
    assert "(" in all_names and "（" in all_names  # both bracket widths
    assert re.search(r"Co\.?,? ?Ltd|Company Limited|CO\., LTD", all_names, re.IGNORECASE)


def test_english_names_can_be_switched_off() -> None:
    records = synth.generate_customers(150, seed=8, english_names=False)
    assert not any(r.attributes["english_name"] for r in records)
    assert not any(re.search(r"[A-Za-z]{4}", r.attributes["name"]) for r in records)


# --- hard negatives -----------------------------------------------------------------------------


def test_branches_are_other_companies_than_their_head_office(no_name_noise: None) -> None:
    records = synth.generate_customers(600, seed=13, systems=("ERP", "CRM"))
    truths_by_name: dict[str, set[str]] = defaultdict(set)
    for r in records:
        truths_by_name[r.attributes["name"]].add(r.truth_id)
    pairs = 0
    for name, truths in truths_by_name.items():
        m = re.match(r"^(.*公司)(..)分公司$", name)
        if m and m.group(1) in truths_by_name:
            assert truths.isdisjoint(truths_by_name[m.group(1)]), name
            pairs += 1
    assert pairs > 0


def test_no_two_companies_share_a_registered_name(no_name_noise: None) -> None:
    records = synth.generate_customers(600, seed=13, systems=("ERP", "CRM"))
    truths_by_name: dict[str, set[str]] = defaultdict(set)
    for r in records:
        if not is_person(r):
            truths_by_name[r.attributes["name"]].add(r.truth_id)
    assert all(len(t) == 1 for t in truths_by_name.values())


def test_same_core_name_in_another_city_is_another_company(no_name_noise: None) -> None:
    records = synth.generate_customers(600, seed=13, systems=("ERP", "CRM"))
    city_prefix = re.compile(
        "^(" + "|".join(sorted((c.name + "市?" for c in synth.CITIES), key=len, reverse=True)) + ")"
    )
    by_rest: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    codes: dict[str, set[str]] = defaultdict(set)
    for r in records:
        name = r.attributes["name"]
        m = city_prefix.match(name)
        if m and not is_person(r) and "分公司" not in name:
            rest = name[m.end() :]
            city = m.group(1).rstrip("市")
            by_rest[rest][city].add(r.truth_id)
            code = normalized_credit_code(r.attributes["credit_code"])
            if uscc.is_valid(code):
                codes[r.truth_id].add(code)
    groups = [cities for cities in by_rest.values() if len(cities) > 1]
    assert groups, "expected the same core name in two cities"
    for cities in groups:
        truth_sets = list(cities.values())
        for i, a in enumerate(truth_sets):
            for b in truth_sets[i + 1 :]:
                assert a.isdisjoint(b)
                assert {c for t in a for c in codes[t]}.isdisjoint({c for t in b for c in codes[t]})


def test_namesakes_and_twins_are_different_persons(no_name_noise: None) -> None:
    records = synth.generate_customers(0, 400, seed=17, systems=("ERP",))
    by_name: dict[str, set[str]] = defaultdict(set)
    by_birth_and_address: dict[tuple[str, str], set[str]] = defaultdict(set)
    ids: dict[str, set[str]] = defaultdict(set)
    for r in records:
        by_name[r.attributes["name"]].add(r.truth_id)
        if r.attributes["id_number"]:
            ids[r.truth_id].add(r.attributes["id_number"].replace(" ", "").upper())
    namesakes = [t for t in by_name.values() if len(t) > 1]
    assert namesakes
    for truths in namesakes:  # different persons, so different resident IDs
        numbers = [ids[t] for t in truths if ids[t]]
        assert all(len(n) == 1 for n in numbers)
        assert len(set().union(*numbers)) == len(numbers)
    # Twins share birth date and address; the records cannot show that reliably (addresses
    # vary per copy), so look at the generated persons themselves.
    people = _persons(400, random.Random(1))
    for p in people:
        by_birth_and_address[(p.birth.isoformat(), repr(p.address))].add(p.truth_id)
    twins = [t for t in by_birth_and_address.values() if len(t) > 1]
    assert twins
    names = {p.truth_id: p.name for p in people}
    for truths in twins:
        assert len({names[t] for t in truths}) == len(truths)


# --- products and materials ---------------------------------------------------------------------


def test_products_overlap_between_erp_and_shop(products: list[SynthRecord]) -> None:
    systems: dict[str, set[str]] = defaultdict(set)
    for r in products:
        systems[r.truth_id].add(r.system)
    both = sum(1 for s in systems.values() if s == {"ERP", "ECOM"})
    assert 0.3 * len(systems) < both < 0.9 * len(systems)


def test_product_variants_are_different_products(products: list[SynthRecord]) -> None:
    # HC-3201 and HC-3202: same line, one digit apart, different real products.
    truth_by_model: dict[str, set[str]] = defaultdict(set)
    for r in products:
        if r.system == "ERP" and r.attributes["model"]:
            truth_by_model[r.attributes["model"].upper().replace("-", "")].add(r.truth_id)
    lines: dict[str, set[str]] = defaultdict(set)
    for model, truths in truth_by_model.items():
        assert len(truths) == 1, model
        lines[model[:-2]] |= truths
    assert any(len(t) > 1 for t in lines.values())


def test_materials_have_in_system_duplicates(materials: list[SynthRecord]) -> None:
    copies = Counter(r.truth_id for r in materials)
    assert any(n > 1 for n in copies.values())
    assert {r.system for r in materials} == {"ERP"}


# --- the million-record stream ------------------------------------------------------------------


def test_fast_stream_is_lazy() -> None:
    stream = synth.iter_customers_fast(10**9)
    assert isinstance(stream, Iterator)
    assert isinstance(next(stream), SynthRecord)


def test_fast_stream_yields_n_realistic_records() -> None:
    n = 100_000
    records = list(synth.iter_customers_fast(n, seed=1))
    assert len(records) == n

    assert assert_local_codes_unique_and_well_formed(records) == n
    seen: set[str] = set()
    repeats = 0
    for r in records:
        repeats += r.truth_id in seen
        seen.add(r.truth_id)
    assert 0.25 < repeats / n < 0.35  # ~30% re-describe an earlier company or person
    assert 0.05 * n < sum(1 for r in records if is_person(r)) < 0.15 * n
    assert {r.system for r in records} == {"ERP", "CRM", "ECOM"}


def test_fast_stream_companies_have_unique_names_and_valid_codes(no_name_noise: None) -> None:
    owner: dict[str, str] = {}
    for r in synth.iter_customers_fast(30_000, seed=2):
        if is_person(r):
            continue
        assert owner.setdefault(r.attributes["name"], r.truth_id) == r.truth_id
        code = normalized_credit_code(r.attributes["credit_code"])
        if code and not uscc.is_valid(code):
            assert len(code) == 18  # a deliberate one-character typo


def test_committed_demo_fixtures_are_current(tmp_path: Path) -> None:
    demo = REPO_ROOT / "fixtures" / "demo"
    if not (demo / "erp_customers.csv").exists():
        pytest.skip("demo fixtures not generated")
    subprocess.run(
        [sys.executable, str(REPO_ROOT / "fixtures" / "generate_demo.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for fresh in sorted(tmp_path.glob("*.csv")):
        assert fresh.read_bytes() == (demo / fresh.name).read_bytes(), (
            f"{fresh.name} is stale: run fixtures/generate_demo.py"
        )
    with (demo / "truth_customers.csv").open(encoding="utf-8") as f:
        assert next(csv.reader(f)) == ["system", "local_code", "truth_id"]
