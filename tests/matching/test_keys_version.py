"""``matching.keys.KEYS_VERSION`` numbers the way block keys are made: a change to what
``block_keys`` returns must bump it, or hubs upgraded to the release are never told that their
stored records' keys are stale (``match --rekey``). This test holds the fingerprint of the keys
of a fixed set of records for the current number; it fails on any change to the keys."""

from __future__ import annotations

import hashlib
import json

from matching.keys import KEYS_VERSION, block_keys

#: Keys that hold a keyed hash (phone, e-mail, resident ID) depend on the deployment's key,
#: not on how keys are made: left out of the fingerprint.
HASHED = ("ph:", "em:", "id:")

RECORDS = [
    ("customers", {"customer_type": "organization", "name": "北京华信科技有限公司"}),
    ("customers", {"customer_type": "organization", "name": "大族激光科技产业集团股份有限公司"}),
    ("customers", {"customer_type": "organization", "name": "福建省永安林业(集团)股份有限公司"}),
    ("customers", {"customer_type": "organization", "name": "BYD Company Limited"}),
    ("customers", {"customer_type": "organization", "name": "Bank of Ningbo Co., Ltd."}),
    ("customers", {"customer_type": "organization", "name": "Zhe Jiang Kangsheng Co.,Ltd."}),
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
    ("products", {"name": "小米 充电宝 20000mAh", "model": "PLM18ZM", "brand": "小米"}),
    ("materials", {"name": "六角螺栓", "spec": "M12*30 8.8级 镀锌"}),
]

#: KEYS_VERSION -> fingerprint. Bumping the number: add the new fingerprint, keep the old.
FINGERPRINTS = {
    1: "66839e91f7bf1b9a",
}


def fingerprint() -> str:
    keys = [
        [k for k in block_keys(entity, attrs) if not k.startswith(HASHED)]
        for entity, attrs in RECORDS
    ]
    return hashlib.sha256(json.dumps(keys, ensure_ascii=False).encode()).hexdigest()[:16]


def test_the_keys_are_what_their_version_says():
    assert fingerprint() == FINGERPRINTS[KEYS_VERSION], (
        "block_keys changed: bump matching.keys.KEYS_VERSION, record the new fingerprint "
        f"({fingerprint()}) here, and say in the changelog that `match --rekey` is due"
    )
