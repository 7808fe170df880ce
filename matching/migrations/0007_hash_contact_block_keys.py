"""Existing ``ph:`` / ``em:`` block keys held the clear phone number or e-mail: rewrite each
as the keyed hash that ``matching.keys.contact_digest`` now builds.

The hash is a function of the stored key's value alone (the key *is* the normalized number),
so no record is re-read. A key already hashed (32 hex characters) is left as it is, so the
migration may run again. The HMAC is spelled out here rather than imported, so that this
migration keeps its meaning if the code changes.
"""

import hashlib
import hmac
import re

from django.conf import settings
from django.db import migrations

BATCH = 5000
HASHED = re.compile(r"^[0-9a-f]{32}$")


def _digest(family: str, value: str) -> str:
    key = f"block-key\x00{settings.MDM_BLIND_INDEX_KEY}".encode()
    return hmac.new(key, f"{family}\x00{value}".encode(), hashlib.sha256).hexdigest()[:32]


def hash_contact_keys(apps, schema_editor):
    BlockKey = apps.get_model("matching", "BlockKey")
    for family in ("ph", "em"):
        last = 0
        while True:
            rows = list(
                BlockKey.objects.filter(key__startswith=f"{family}:", pk__gt=last)
                .order_by("pk")
                .only("pk", "key")[:BATCH]
            )
            if not rows:
                break
            last = rows[-1].pk
            changed = []
            for row in rows:
                value = row.key[len(family) + 1 :]
                if not HASHED.match(value):
                    row.key = f"{family}:{_digest(family, value)}"
                    changed.append(row)
            BlockKey.objects.bulk_update(changed, ["key"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [("matching", "0006_blockkey_record_without_constraint")]

    operations = [migrations.RunPython(hash_contact_keys, migrations.RunPython.noop)]
