"""The comparison page shows what tells goods apart as the goods parser reads it, and lets a
user with ``view_personal_data`` see both sides of a person pair once, audited (issue 29,
item 4)."""

from __future__ import annotations

import pytest

from matching.models import MatchCandidate
from mdm.models import AuditLog, SourceRecord
from tests.mdm.stewardship.conftest import browser_for, make_user

pytestmark = pytest.mark.django_db

QUEUE = "/admin/matching/matchcandidate/"


def candidate_between(entity: str, left: str, right: str) -> MatchCandidate:
    """A pending pair of two stored records (as the matcher would queue it)."""
    a, b = sorted(
        SourceRecord.objects.filter(local_code__in=[left, right]).values_list("pk", flat=True)
    )
    return MatchCandidate.objects.create(entity=entity, left_id=a, right_id=b, score=0.8)


@pytest.fixture
def bolts(erp, shop) -> MatchCandidate:
    erp.put(
        "products",
        "P-1",
        {"name": "六角头螺栓 M12*30 8.8级 镀锌", "uom": "个", "model": "HB-1230"},
    )
    shop.put("products", "W-1", {"name": "六角头螺栓 M12*40 10.9级 镀锌", "uom": "个"})
    return candidate_between("products", "P-1", "W-1")


HOME = "上海市宝山区延安路411号世纪花城26栋2单元2101室"


@pytest.fixture
def twins(crm, shop) -> MatchCandidate:
    crm.put(
        "customers",
        "SH-C-1",
        {"name": "金秀敏", "customer_type": "person", "phone": "13812345678", "address": HOME},
    )
    shop.put(
        "customers",
        "WEB-1",
        {"name": "金浩国", "customer_type": "person", "phone": "13987654321", "address": HOME},
    )
    found = MatchCandidate.objects.filter(entity="customers").first()
    return found or candidate_between("customers", "SH-C-1", "WEB-1")


@pytest.fixture
def admin_browser(db):
    return browser_for(make_user("admin.zhou", "mdm_admin"))


def page(browser, candidate) -> str:
    response = browser.get(f"{QUEUE}{candidate.pk}/compare/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_comparison_shows_the_goods_attributes_that_conflict_first(steward_browser, bolts):
    content = page(steward_browser, bolts)

    panel = content[content.index('id="goods-attributes"') :]
    panel = panel[: panel.index("</table>")]
    rows = panel.split('data-dimension="')[1:]
    dimensions = [row[: row.index('"')] for row in rows]
    assert dimensions[:2] == ["property_class", "thread"]  # the two conflicts, first
    assert "mdm-key-differs" in panel.split('data-dimension="thread"')[0].rsplit("<tr", 1)[1]
    assert "8.8级" in rows[0] and "10.9级" in rows[0]
    assert "m12*30" in rows[1] and "m12*40" in rows[1]
    assert "HB-1230" in panel  # the model code, on the ERP's side only


def test_customers_have_no_goods_panel(steward_browser, twins):
    assert 'id="goods-attributes"' not in page(steward_browser, twins)


def test_a_steward_without_the_permission_gets_no_unmask(steward_browser, twins):
    content = page(steward_browser, twins)
    response = steward_browser.post(
        f"{QUEUE}{twins.pk}/compare/personal-data/", {"reason": "checking twins"}
    )

    assert 'id="unmask-form"' not in content
    assert "13812345678" not in content and "金秀敏" not in content
    assert response.status_code == 403
    assert not AuditLog.objects.exists()


def test_an_unmask_needs_a_reason_and_writes_nothing_without_one(admin_browser, twins):
    response = admin_browser.post(f"{QUEUE}{twins.pk}/compare/personal-data/", {"reason": " "})

    assert response.status_code == 200
    assert "13812345678" not in response.content.decode()
    assert not AuditLog.objects.exists()


def test_an_audited_unmask_shows_both_sides_once(admin_browser, twins):
    masked = page(admin_browser, twins)

    response = admin_browser.post(
        f"{QUEUE}{twins.pk}/compare/personal-data/", {"reason": "twins or one person?"}
    )
    clear = page(admin_browser, twins)
    again = page(admin_browser, twins)

    assert 'id="unmask-form"' in masked and "13812345678" not in masked
    assert response.status_code == 302
    for value in ("金秀敏", "金浩国", "+8613812345678", "+8613987654321"):
        assert value in clear
    assert "13812345678" not in again and "金秀敏" not in again  # once only
    rows = sorted(
        AuditLog.objects.values_list("actor_name", "action", "record", "reason", "fields")
    )
    assert [r[:4] for r in rows] == [
        ("admin.zhou", "unmask", "CRM:SH-C-1", "twins or one person?"),
        ("admin.zhou", "unmask", "ECOM:WEB-1", "twins or one person?"),
    ]
    assert all({"name", "phone", "address"} <= set(r[4]) for r in rows)
