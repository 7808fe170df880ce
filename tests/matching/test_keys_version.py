"""``matching.keys.KEYS_VERSION`` numbers the way block keys are made: a change to what
``block_keys`` returns must bump it, or hubs upgraded to the release are never told that their
stored records' keys are stale (``match --rekey``). This test holds the fingerprint of the keys
of a fixed set of records for the current number: a change to the keys those records make
fails it (a change that none of them shows is not caught)."""

from __future__ import annotations

import hashlib
import json

from matching.keys import KEYS_VERSION, block_keys

#: Keys that hold a keyed hash (phone, e-mail, resident ID) depend on the deployment's key:
#: the test pins one.
PINNED_KEY = "keys-version-fingerprint"

RECORDS = [
    ("customers", {"customer_type": "organization", "name": "北京华信科技有限公司"}),
    ("customers", {"customer_type": "organization", "name": "大族激光科技产业集团股份有限公司"}),
    ("customers", {"customer_type": "organization", "name": "福建省永安林业(集团)股份有限公司"}),
    ("customers", {"customer_type": "organization", "name": "BYD Company Limited"}),
    ("customers", {"customer_type": "organization", "name": "Bank of Ningbo Co., Ltd."}),
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

#: KEYS_VERSION -> fingerprint. Bumping the number: add the new fingerprint, keep the old.
FINGERPRINTS = {
    1: "f60b85bd56dbf340",  # without the Xinghu record
    2: "053396d83da1d519",
}


#: A record whose credit code is flagged invalid: it makes no ``cc:`` key.
FLAGGED = ("customers", {"customer_type": "organization", "name": "华信科技", "credit_code": "1"})


def fingerprint() -> str:
    """The keys of every record, each record's as a set (the order a release lists them in is
    not a change a rekey would make)."""
    keys = [sorted(block_keys(entity, attrs)) for entity, attrs in RECORDS]
    keys.append(sorted(block_keys(FLAGGED[0], FLAGGED[1], flagged=["credit_code"])))
    return hashlib.sha256(json.dumps(keys, ensure_ascii=False).encode()).hexdigest()[:16]


def test_the_keys_are_what_their_version_says(settings):
    settings.MDM_BLIND_INDEX_KEY = PINNED_KEY
    assert fingerprint() == FINGERPRINTS[KEYS_VERSION], (
        "block_keys changed: bump matching.keys.KEYS_VERSION, record the new fingerprint "
        f"({fingerprint()}) here, and say in the changelog that `match --rekey` is due"
    )
