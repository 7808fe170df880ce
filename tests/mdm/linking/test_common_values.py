"""Common values weigh less in the hub: real time and the batch match count them alike."""

from __future__ import annotations

import pytest
from django.db.models import Q

from matching.engine import frequency
from matching.models import MatchCandidate
from mdm.linking.batch.match import run_batch_match
from mdm.linking.merge_reasons import explanation_rows
from mdm.linking.rule_store import load_rule
from mdm.models import SourceRecord
from tests.support.matching import set_thresholds

pytestmark = pytest.mark.django_db

#: Namesakes: with the new record, 24 share the name, three times the reference
#: (``frequency.REFERENCE``), and few enough that both paths still block on it (the batch skips
#: a name block past 24 records, real time past 50).
NAMESAKES = 3 * frequency.REFERENCE - 1


def birth(i: int) -> str:
    # Years, months and days that all differ: no two namesakes are near in date either.
    return f"{1940 + i}-{i % 12 + 1:02d}-{i % 28 + 1:02d}"


def person(name: str, born: str = "", email: str = "") -> dict[str, str]:
    attrs = {"customer_type": "person", "name": name, "birth_date": born, "email": email}
    return {k: v for k, v in attrs.items() if v}


#: One mailbox at two providers: with the same name, enough for a rare name only.
MAILBOX = ("wangwei1980@163.com", "wangwei1980@126.com")


def write_namesakes(system, name: str = "王伟") -> None:
    for i in range(NAMESAKES):
        email = MAILBOX[0] if i == 0 else ""  # the first: real time reads it among the first
        system.put("customers", f"NS-{i}", person(name, birth(i), email))


def test_a_rare_name_and_mailbox_link_automatically(erp, crm):
    first = erp.put("customers", "P-1", person("欧阳修远", email=MAILBOX[0])).json()

    second = crm.put("customers", "C-1", person("欧阳修远", email=MAILBOX[1])).json()

    assert second["link"] == "auto"
    assert second["golden_code"] == first["golden_code"]


def test_a_common_name_and_mailbox_go_to_review_with_the_count_stated(erp, crm):
    write_namesakes(erp)
    goldens = SourceRecord.objects.values("golden_code").distinct().count()
    assert goldens == NAMESAKES  # namesakes born on other days are other people

    body = crm.put("customers", "C-1", person("王伟", email=MAILBOX[1])).json()

    assert body["link"] == "review"
    candidate = MatchCandidate.objects.get(status="pending")
    name = {row["field"]: row for row in candidate.explanation}["person_name"]
    assert name["note"].endswith(f"a value {NAMESAKES + 1} records share")  # itself included


def test_the_batch_match_weighs_a_common_name_as_real_time_does(erp, crm):
    set_thresholds(auto=0.999999999999, review=0.999999999)  # stored apart, for the batch
    write_namesakes(erp)
    crm.put("customers", "C-1", person("王伟", email=MAILBOX[1]))
    erp.put("customers", "P-1", person("欧阳修远", email=MAILBOX[0]))
    crm.put("customers", "C-2", person("欧阳修远", email=MAILBOX[1]))
    set_thresholds(auto=0.99, review=0.5)

    run_batch_match(entity="customers")

    def goldens(*codes: str) -> int:
        records = SourceRecord.objects.filter(local_code__in=codes)
        return records.values("golden_code").distinct().count()

    assert goldens("P-1", "C-2") == 1
    assert goldens("NS-0", "C-1") == 2
    pending = MatchCandidate.objects.get(
        Q(left__local_code="C-1") | Q(right__local_code="C-1"),
        Q(left__local_code="NS-0") | Q(right__local_code="NS-0"),
        status="pending",
    )
    name = {row["field"]: row for row in pending.explanation}["person_name"]
    assert name["note"].endswith(f"a value {NAMESAKES + 1} records share")  # itself included


def test_a_batch_merge_explains_the_common_value_as_it_weighed_it(erp, crm):
    # The same 王伟, born the same day, one mailbox: linked, though 25 records hold the name.
    set_thresholds(auto=0.999999999999, review=0.999999999)  # stored apart, for the batch
    write_namesakes(erp)
    crm.put("customers", "C-9", person("王伟", birth(0), MAILBOX[0]))
    set_thresholds(auto=0.99, review=0.5)

    run_batch_match(entity="customers")

    merged = SourceRecord.objects.get(local_code="C-9")
    assert merged.golden_code == SourceRecord.objects.get(local_code="NS-0").golden_code
    rows = {row["field"]: row for row in explanation_rows("customers", merged.link_explanation)}
    name = rows["person_name"]
    shipped = next(f for f in load_rule("customers").fields if f.name == "person_name")
    assert name["note"] == f"same name; a value {NAMESAKES + 1} records share"
    taken = frequency.penalty(NAMESAKES + 1, shipped.levels[0].weight)
    assert name["weight"] == pytest.approx(shipped.levels[0].weight - taken, abs=1e-3)
    assert rows["email"]["note"] == "same address"


def test_a_merge_explained_before_a_level_was_added_reads_its_own_level(erp, crm):
    # Stored when the birth-date field had five levels, "different" the fifth (index 4); the
    # shipped rule has six since, and index 4 is now "two digits off, same year".
    erp.put("customers", "P-1", person("欧阳修远", "1980-05-17"))
    crm.put("customers", "C-1", person("欧阳修远", "1958-11-02"))
    ids = list(
        SourceRecord.objects.filter(local_code__in=["P-1", "C-1"])
        .order_by("local_code")
        .values_list("pk", flat=True)
    )
    stored = {
        "merge": ["CU1", "CU2"],
        "pair": ids,
        "auto_field": None,
        "fields": {"person_name": [0, 1.0, 11.288], "birth_date": [4, 0.0, -4.64]},
    }

    rows = {row["field"]: row for row in explanation_rows("customers", stored)}

    assert rows["birth_date"]["note"] == "different"
    assert rows["birth_date"]["weight"] == -4.64  # the weight it was decided by
    assert rows["person_name"]["note"] == "same name"
    # Stored under the current rule, a similarity rounded up onto the level above keeps its
    # own level (0.79996 -> 0.8: still "same day and month, another year", not "one digit off").
    stored["fields"]["birth_date"] = [3, 0.8, 1.889]
    rows = {row["field"]: row for row in explanation_rows("customers", stored)}
    assert rows["birth_date"]["note"] == "same day and month, another year"
