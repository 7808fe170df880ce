"""Every admin page a role can reach shows personal data masked and never a ciphertext.

The crawl logs in as each role (an mdm_admin who has not unmasked, a steward, a viewer, an
auditor), opens the admin index and follows every link it finds inside the admin: model lists
with each filter choice and each sort, change pages, history pages and their versions, action
pages; then posts the export actions. No fixture phone, e-mail, resident ID, birth date,
address or person name may appear in clear, and ``enc:v1:`` nowhere.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib import admin
from django.contrib.admin import helpers

from matching.models import MatchCandidate
from mdm.models import Customer, QualityIssue, SourceRecord
from mdm.quality.issues import reconcile_quality_issues
from mdm.stewardship.actions import lock_attribute
from tests.support.personas import browser_for, make_user

FENG_ID = "110105198001010016"  # born 1980-01-01
WEI_ID = "31011519920315002X"

pytestmark = pytest.mark.django_db

#: Every personal value of the fixtures, as stored or as sent.
SECRETS = (
    "13712340001",
    "13600001111",
    "13987654321",
    "15011112222",
    "15299998888",
    "feng.ty@",
    "su.xt@",
    FENG_ID,
    WEI_ID,
    "1980-01-01",
    "1992-03-15",
    "建国路88号",
    "望京西路9号",
    "冯亭颖",
    "苏晓棠",
    "韦一鸣",
    "贺兰芳",
)
CIPHERTEXT = "enc:v1:"
MAX_PAGES = 600
VARIANTS = 6
#: Pages per model (its objects, their history and action pages): all of those that hold
#: personal data, a sample of the others (the dictionary's hundreds of elements and codes).
PER_MODEL = 4
PERSONAL_MODELS = (
    "/admin/mdm/customer",
    "/admin/mdm/sourcerecord",
    "/admin/mdm/qualityissue",
    "/admin/mdm/historicalcustomer",
    "/admin/mdm/historicalsourcerecord",
    "/admin/matching/matchcandidate",
    "/admin/mdm/auditlog",
    "/admin/mdm/event",
)
PER_PERSONAL_MODEL = 40
_HREF = re.compile(r'href="([^"#]+)"')
SKIP = ("/logout/", "/password_change/", "/jsi18n/", "/r/", "/delete/")


@pytest.fixture
def hub(erp, crm, shop, admin_user):
    """Persons with personal values everywhere the admin can show them."""
    zhang = {
        "name": "冯亭颖",
        "customer_type": "person",
        "id_number": FENG_ID,
        "phone": "13712340001",
        "email": "feng.ty@example.com",
        "address": "北京市朝阳区建国路88号院3号楼",
    }
    assert erp.put("customers", "P-1", zhang).status_code == 201
    # The same person from the CRM, another phone: the golden phone changes (history diffs)
    # and the systems disagree (an inconsistency issue on a personal element).
    assert crm.put("customers", "C-1", {**zhang, "phone": "13987654321"}).status_code in (200, 201)
    assert erp.put("customers", "P-1", {**zhang, "phone": "13600001111"}).status_code == 200
    # A person without a declared type (recognised by the name alone), and a bad phone.
    assert erp.put(
        "customers", "P-2", {"name": "苏晓棠", "phone": "15011112222", "email": "su.xt@example.com"}
    ).status_code in (200, 201)
    assert shop.put(
        "customers",
        "S-3",
        {"name": "韦一鸣", "customer_type": "person", "id_number": WEI_ID, "phone": "12345"},
    ).status_code in (200, 201)
    assert crm.put(
        "customers",
        "C-4",
        {
            "name": "贺兰芳",
            "customer_type": "person",
            "phone": "15299998888",
            "address": "北京市朝阳区望京西路9号",
        },
    ).status_code in (200, 201)
    golden = Customer.objects.get(code=SourceRecord.objects.get(local_code="P-1").golden_code)
    lock_attribute(
        entity="customers",
        code=golden.code,
        attribute="phone",
        value="13712340001",
        actor=admin_user,
        reason="客户来电确认 confirmed by phone",
    )
    left = SourceRecord.objects.get(local_code="P-2")
    right = SourceRecord.objects.get(local_code="C-4")
    low, high = sorted([left, right], key=lambda r: r.pk)
    MatchCandidate.objects.get_or_create(
        entity="customers",
        left=low,
        right=high,
        defaults={
            "score": 0.71,
            "explanation": [
                {
                    "field": "name",
                    "left": "苏晓棠",
                    "right": "贺兰芳",
                    "similarity": 0.2,
                    "weight": -1.0,
                    "note": "",
                },
                {
                    "field": "phone",
                    "left": "+8615011112222",
                    "right": "+8615299998888",
                    "similarity": 0.5,
                    "weight": 1.0,
                    "note": "",
                },
            ],
        },
    )
    reconcile_quality_issues()
    assert QualityIssue.objects.filter(element="phone").exists()
    return golden


def leaks(text: str) -> list[str]:
    found = [secret for secret in SECRETS if secret in text]
    if CIPHERTEXT in text:
        found.append(CIPHERTEXT)
    return found


def crawl(browser, start: list[str]) -> dict[str, int]:
    """GET every admin page reachable from the index; returns {url: status}.

    Pages first, then the lists' query-string variants (filter choices, sorts), at most
    ``VARIANTS`` per list; object pages are capped per model (``PER_MODEL``) except for the
    models holding personal data. The crawl must end before ``MAX_PAGES``.
    """
    seen: dict[str, int] = {}
    pages, variants = ["/admin/", *start], []
    per_path: dict[str, int] = {}
    per_model: dict[str, int] = {}
    queued = set(pages)
    problems = []
    while (pages or variants) and len(seen) < MAX_PAGES:
        url = pages.pop(0) if pages else variants.pop(0)
        if url in seen:
            continue
        response = browser.get(url)
        seen[url] = response.status_code
        body = _text(response)
        if leaks(unescape(body)) or leaks(body):
            problems.append((url, leaks(unescape(body)) or leaks(body)))
        if response.status_code != 200 or "html" not in response.get("Content-Type", "html"):
            continue
        for href in _HREF.findall(body):
            target = urljoin(url, unescape(href))
            parts = urlsplit(target)
            if parts.netloc or not parts.path.startswith("/admin/"):
                continue
            if any(s in parts.path for s in SKIP):
                continue
            is_list = parts.path.count("/") == 4 or "/history/" in parts.path
            if not parts.query or not is_list:
                # An object page's query only carries the list's filters: the same page.
                model = "/".join(parts.path.split("/")[:4])
                cap = PER_PERSONAL_MODEL if model in PERSONAL_MODELS else PER_MODEL
                if parts.path not in queued and per_model.get(model, 0) < cap:
                    per_model[model] = per_model.get(model, 0) + 1
                    queued.add(parts.path)
                    pages.append(parts.path)
                continue
            target = f"{parts.path}?{parts.query}"
            if target not in queued and per_path.get(parts.path, 0) < VARIANTS:
                per_path[parts.path] = per_path.get(parts.path, 0) + 1
                queued.add(target)
                variants.append(target)
    assert not problems, problems
    assert not pages and not variants, f"crawl cut at {MAX_PAGES} pages"
    return seen


def post_exports(browser) -> list[tuple[str, list[str]]]:
    """The export actions and download links, as files."""
    problems = []
    issues = list(QualityIssue.objects.values_list("pk", flat=True))
    for action in ("export_csv", "export_xlsx"):
        response = browser.post(
            "/admin/mdm/qualityissue/?state=all",
            {"action": action, helpers.ACTION_CHECKBOX_NAME: issues},
        )
        problems += [(action, leaks(_text(response)))] if leaks(_text(response)) else []
    for url in (
        "/admin/mdm/qualitysnapshot/export/issues.csv",
        "/admin/mdm/qualitysnapshot/export/issues.xlsx",
        "/admin/mdm/auditlog/export.csv",
    ):
        response = browser.get(url)
        problems += [(url, leaks(_text(response)))] if leaks(_text(response)) else []
    return problems


def _text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":  # an XLSX: its shared strings and sheets
        import io
        import zipfile

        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return content.decode("utf-8", "replace")


@pytest.mark.parametrize("role", ["mdm_admin", "data_steward", "data_viewer", "auditor"])
def test_no_admin_page_shows_a_personal_value_or_a_ciphertext(hub, role):
    user = make_user(f"crawl.{role}", role)
    browser = browser_for(user)

    record = SourceRecord.objects.get(local_code="P-1")
    issue = QualityIssue.objects.filter(element="phone").first()
    versions = hub.history.order_by("history_id").values_list("history_id", flat=True)
    start = [
        f"/admin/mdm/customer/{hub.pk}/change/",
        f"/admin/mdm/customer/{hub.pk}/history/",
        *(f"/admin/mdm/customer/{hub.pk}/history/{v}/" for v in versions),
        f"/admin/mdm/sourcerecord/{record.pk}/change/",
        f"/admin/mdm/sourcerecord/{record.pk}/history/",
        f"/admin/mdm/qualityissue/{issue.pk}/change/",
        f"/admin/mdm/qualityissue/{issue.pk}/history/",
        *(f"/admin/matching/matchcandidate/{c.pk}/compare/" for c in MatchCandidate.objects.all()),
    ]
    seen = crawl(browser, start)
    assert [u for u, status in seen.items() if status >= 500] == []
    problems = post_exports(browser)

    assert not problems, problems
    assert seen["/admin/"] == 200
    opened = [u for u, status in seen.items() if status == 200]
    if role == "auditor":
        assert any(u.startswith("/admin/mdm/historicalcustomer/") for u in opened)
    else:
        for url in (
            f"/admin/mdm/customer/{hub.pk}/change/",
            f"/admin/mdm/customer/{hub.pk}/history/",
            f"/admin/mdm/sourcerecord/{record.pk}/change/",
            f"/admin/mdm/sourcerecord/{record.pk}/history/",
            f"/admin/mdm/qualityissue/{issue.pk}/change/",
        ):
            assert url in opened, url
        assert any(u.endswith("/compare/") for u in opened)


def test_every_registered_admin_refuses_undeclared_lookups():
    from mdm.privacy.admin import DeclaredLookupsOnly

    assert all(isinstance(ma, DeclaredLookupsOnly) for ma in admin.site._registry.values())
