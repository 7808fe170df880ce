"""Known data for the quality tests: a few customers from ERP and CRM, sent through the API."""

from __future__ import annotations

import pytest

from .known import BAD_CC, HUAXIN_CC, ZHANG_ID, record


@pytest.fixture
def customers(erp, crm):
    """Five customer records; every figure of the metrics tests is counted by hand from these.

    ERP E1 华信: credit code, phone, invalid email, invalid region (flagged).
    ERP E2 浦江: credit code with a wrong check character (flagged).
    ERP E3 张伟 (person): resident ID (derives birth date and region), invalid phone (flagged).
    CRM C1 华信: the same credit code as E1, so the same golden record; a different phone;
        region derived from the credit code (110108), which differs from E1's 999999.
    CRM C2 白云: an email.
    """
    responses = [
        erp.put(
            "customers",
            "E1",
            {
                "name": "北京华信科技有限公司",
                "customer_type": "org",
                "credit_code": HUAXIN_CC,
                "phone": "13800138000",
                "email": "Bad-Email@",
                "region_code": "999999",
            },
        ),
        erp.put(
            "customers",
            "E2",
            {"name": "上海浦江物流有限公司", "customer_type": "org", "credit_code": BAD_CC},
        ),
        erp.put(
            "customers",
            "E3",
            {"name": "张伟", "customer_type": "person", "id_number": ZHANG_ID, "phone": "12345"},
        ),
        crm.put(
            "customers",
            "C1",
            {
                "name": "北京华信科技有限公司",
                "customer_type": "org",
                "credit_code": HUAXIN_CC,
                "phone": "13900139000",
            },
        ),
        crm.put(
            "customers",
            "C2",
            {"name": "广州白云贸易有限公司", "customer_type": "org", "email": "sales@baiyun.cn"},
        ),
    ]
    assert [r.status_code for r in responses] == [201] * 5, [r.json() for r in responses]
    assert responses[3].json()["golden_code"] == responses[0].json()["golden_code"]
    return {
        r: record(s, r)
        for s, r in [(erp, "E1"), (erp, "E2"), (erp, "E3"), (crm, "C1"), (crm, "C2")]
    }
