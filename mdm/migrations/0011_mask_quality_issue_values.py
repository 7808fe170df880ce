"""Quality issues stored personal values in clear (the value as received, an inconsistency's
list of each system's values, a suggested birth date) and an unkeyed MD5 of the value in their
key: rewrite them as the reconciliation now writes them.

For every issue and history row on a personal element: the value, suggested fix and message
masked. For every issue whose key ends in a digest of a value in clear: the digest salted
(``desired.key_salt``), so the next reconciliation recognises the issue instead of closing and
reopening it (a steward's dismissal is kept). An inconsistency on an encrypted element listed
ciphertexts, which are never equal: it keeps its old key, and the next reconciliation, which
compares blind indexes, closes it.
"""

import hashlib
import re

from django.db import migrations

from dictionary.masking import mask_kind, mask_text, mask_value
from mdm.privacy import crypto

BATCH = 2000
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
DIGEST_KINDS = ("invalid", "contradiction", "inconsistent")


def _mask_list(kind: str, value: str) -> str:
    parts = []
    for part in value.split(" | "):
        label, sep, rest = part.partition(": ")
        if sep and label.isupper() and " " not in label:
            parts.append(f"{label}: {mask_value(kind, _plain(rest))}")
        else:
            parts.append(mask_value(kind, _plain(part)))
    return " | ".join(parts)


def _plain(value):
    try:
        return crypto.decrypt(value)
    except crypto.DecryptionError:
        return "***"


def _personal(apps) -> dict[str, str]:
    DataElement = apps.get_model("dictionary", "DataElement")
    return {
        e.code: mask_kind(e.code, validator=e.validator, data_type=e.data_type)
        for e in DataElement.objects.filter(sensitivity__in=["personal", "sensitive_personal"])
    }


def _rewrite(row, personal, salt: str) -> bool:
    before = (row.key, row.value, row.suggested_fix, row.message)
    kind = personal.get(row.element)
    clear = row.value or ""
    if row.kind in DIGEST_KINDS and clear and "enc:v1:" not in clear:
        head, _, digest = row.key.rpartition(":")
        if digest == hashlib.md5(clear.encode()).hexdigest():  # noqa: S324 - the old key
            row.key = f"{head}:{hashlib.md5((salt + clear).encode()).hexdigest()}"  # noqa: S324
    if kind is not None:
        if row.kind == "inconsistent":
            row.value = _mask_list(kind, clear)
        else:
            for quoted in (_plain(clear), row.suggested_fix):
                row.message = mask_text(row.message, quoted, kind)
            if kind == "date":
                row.message = DATE_RE.sub("****-**-**", row.message)
            row.value = mask_value(kind, _plain(clear))
        row.suggested_fix = mask_value(kind, row.suggested_fix) if row.suggested_fix else ""
    return (row.key, row.value, row.suggested_fix, row.message) != before


def mask_issues(apps, schema_editor):
    personal = _personal(apps)
    salt = crypto.blind_index("quality-issue-key", "")
    fields = ["key", "value", "suggested_fix", "message"]
    for name, pk in (("QualityIssue", "id"), ("HistoricalQualityIssue", "history_id")):
        model = apps.get_model("mdm", name)
        last = 0
        while True:
            rows = list(model.objects.filter(**{f"{pk}__gt": last}).order_by(pk)[:BATCH])
            if not rows:
                break
            last = getattr(rows[-1], pk)
            changed = [row for row in rows if _rewrite(row, personal, salt)]
            model.objects.bulk_update(changed, fields, batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("mdm", "0010_golden_plain_indexes"),
        ("dictionary", "0004_dictionary_revision"),
    ]

    operations = [migrations.RunPython(mask_issues, migrations.RunPython.noop)]
