"""The review queue never shows personal data in clear (masking, issue 9)."""

from __future__ import annotations

import pytest

from matching.models import MatchCandidate

pytestmark = pytest.mark.django_db


def test_the_comparison_page_masks_phones_and_emails(steward_browser, erp, crm):
    erp.put(
        "customers",
        "A",
        {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-62345678"},
    )
    crm.put(
        "customers",
        "B",
        {"name": "华信科技", "customer_type": "org", "email": "zhang.wei@huaxin.example"},
    )
    candidate = MatchCandidate.objects.get()

    content = steward_browser.get(
        f"/admin/matching/matchcandidate/{candidate.pk}/compare/"
    ).content.decode()

    assert "62345678" not in content
    assert "zhang.wei@" not in content
    assert "106****5678" in content
    assert "z***@huaxin.example" in content
