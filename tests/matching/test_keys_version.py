"""``matching.keys.keys_version`` numbers the way each entity's block keys are made: a change to
what ``block_keys`` returns for an entity must bump its number, or hubs upgraded to the release
are never told that their stored records' keys are stale (``match --rekey``). This test holds
the fingerprint of the keys of a fixed set of records per entity for its current number: a
change to the keys those records make fails it (a change that none of them shows is not
caught)."""

from __future__ import annotations

import hashlib
import json

import pytest

from matching.keys import block_keys, keys_version

#: Keys that hold a keyed hash (phone, e-mail, resident ID) depend on the deployment's key:
#: the test pins one.
PINNED_KEY = "keys-version-fingerprint"

RECORDS = [
    ("customers", {"customer_type": "organization", "name": "北京华信科技有限公司"}),
    ("customers", {"customer_type": "organization", "name": "大族激光科技产业集团股份有限公司"}),
    ("customers", {"customer_type": "organization", "name": "福建省永安林业(集团)股份有限公司"}),
    ("customers", {"customer_type": "organization", "name": "BYD Company Limited"}),
    (
        "customers",
        {"customer_type": "organization", "name": "Beijing Huaxin Science & Technology Co., Ltd."},
    ),
    ("customers", {"customer_type": "organization", "name": "Huaxin Keji Youxian Gongsi"}),
    ("customers", {"customer_type": "organization", "name": "Hubei Telecom Co., Ltd."}),
    ("customers", {"customer_type": "organization", "name": "Bank of Ningbo Co., Ltd."}),
    ("customers", {"customer_type": "organization", "name": "中国工商银行股份有限公司"}),
    ("customers", {"customer_type": "organization", "name": "长江电力股份有限公司(停用)"}),
    (
        "customers",
        {
            "customer_type": "organization",
            "name": "宁波华信科技有限公司 Ningbo Huaxin Tech Co., Ltd.",
        },
    ),
    ("customers", {"customer_type": "organization", "name": "华信科技(600001)/华信"}),
    ("customers", {"customer_type": "organization", "name": "清华大学附属中学"}),
    ("customers", {"customer_type": "organization", "name": "北京华联超市有限公司3号店"}),
    ("customers", {"customer_type": "organization", "name": "北京华信科技有限公司工会委员会"}),
    (
        "customers",
        {"customer_type": "organization", "name": "华信", "phone": "010-62345678;13912345678"},
    ),
    (
        "customers",
        {
            "customer_type": "organization",
            "name": "华信科技",
            "address": "南山区科技园路一百零八号",
        },
    ),
    (
        "customers",
        {"customer_type": "organization", "name": "北京华信科技有限公司(原北京华鑫电子有限公司)"},
    ),
    ("customers", {"customer_type": "organization", "name": "Zhe Jiang Kangsheng Co.,Ltd."}),
    (
        "customers",
        {"customer_type": "organization", "name": "Xinghu Bioscience Co., Inc. Zhaoqing Guangdong"},
    ),
    (
        "customers",
        {
            "customer_type": "organization",
            "name": "深圳市大族激光科技股份有限公司",
            "english_name": "Han's Laser Technology Industry Group Co., Ltd.",
            "address": "深圳市南山区深南大道9988号",
            "postal_code": "518057",
        },
    ),
    ("customers", {"customer_type": "person", "name": "张伟", "birth_date": "1985-03-12"}),
    (
        "customers",
        {"customer_type": "person", "name": "李娜女士(采购)", "birth_date": "1985-03-12"},
    ),
    (
        "customers",
        {"customer_type": "person", "name": "Christian Gross", "birth_date": "2008-04-07"},
    ),
    (
        "customers",
        {
            "customer_type": "organization",
            "name": "上海华信科技有限公司",
            "former_name": "上海华鑫科技有限公司",
            "credit_code": "91310000MA1FL0000X",
            "phone": "+862158881234",
            "email": "finance@huaxin.com.cn",
            "address": "上海市浦东新区张江路88号",
        },
    ),
    (
        "customers",
        {"customer_type": "person", "name": "Li Ming", "id_number": "110101199003070011"},
    ),
    ("products", {"name": "小米 充电宝 20000mAh", "model": "PLM18ZM", "brand": "小米"}),
    ("products", {"name": "Anker PowerCore 10000", "gtin": "6901234567892"}),
    ("materials", {"name": "六角螺栓", "spec": "M12*30 8.8级 镀锌"}),
]

#: Entity -> its number -> the fingerprint of its records' keys. Bumping a number: add the new
#: fingerprint, keep the old. (Until stop 43 one number covered every entity.)
FINGERPRINTS = {
    "customers": {2: "d687d164b01d8e3a", 3: "4ab54b5fb7e3b3b6"},
    "products": {1: "d64084c04375fb0b"},
    "materials": {1: "fe7f6c12d0492c0c"},
}


#: A record whose credit code is flagged invalid: it makes no ``cc:`` key.
FLAGGED = ("customers", {"customer_type": "organization", "name": "华信科技", "credit_code": "1"})


def fingerprint(entity: str) -> str:
    """The keys of every record of ``entity``, each record's as a set (the order a release
    lists them in is not a change a rekey would make)."""
    keys = [sorted(block_keys(e, attrs)) for e, attrs in RECORDS if e == entity]
    if entity == FLAGGED[0]:
        keys.append(sorted(block_keys(FLAGGED[0], FLAGGED[1], flagged=["credit_code"])))
    return hashlib.sha256(json.dumps(keys, ensure_ascii=False).encode()).hexdigest()[:16]


@pytest.mark.parametrize("entity", sorted(FINGERPRINTS))
def test_the_keys_are_what_their_version_says(settings, entity):
    settings.MDM_BLIND_INDEX_KEY = PINNED_KEY
    assert fingerprint(entity) == FINGERPRINTS[entity].get(keys_version(entity)), (
        f"block_keys changed for {entity}: bump its number in matching.keys.KEYS_VERSIONS, "
        f"record the new fingerprint ({fingerprint(entity)}) here, and say in the changelog "
        "that `match --rekey` is due"
    )
