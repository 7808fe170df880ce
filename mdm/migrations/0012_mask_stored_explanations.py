"""Match explanations stored personal values in clear (a candidate's or a link's phone,
e-mail, person name, birth date and address rows): mask them as ``matching.explain`` now
stores them. Masking is idempotent (a value holding a mask character is left as it is), so
rows already masked are unchanged.
"""

from django.db import migrations

from mdm.privacy.masking import is_person, mask_explanation

BATCH = 2000


def _masked(entity, explanation, *attributes) -> list | None:
    if not isinstance(explanation, list) or not explanation:
        return None
    person = any(is_person(entity, a) for a in attributes if isinstance(a, dict))
    masked = mask_explanation(entity, explanation, person=person)
    return masked if masked != explanation else None


def mask_explanations(apps, schema_editor):
    MatchCandidate = apps.get_model("matching", "MatchCandidate")
    last = 0
    while True:
        rows = list(
            MatchCandidate.objects.filter(pk__gt=last)
            .select_related("left", "right")
            .order_by("pk")[:BATCH]
        )
        if not rows:
            break
        last = rows[-1].pk
        changed = []
        for row in rows:
            masked = _masked(row.entity, row.explanation, row.left.attributes, row.right.attributes)
            if masked is not None:
                row.explanation = masked
                changed.append(row)
        MatchCandidate.objects.bulk_update(changed, ["explanation"], batch_size=BATCH)
    for name, pk in (("SourceRecord", "id"), ("HistoricalSourceRecord", "history_id")):
        model = apps.get_model("mdm", name)
        last = 0
        while True:
            rows = list(
                model.objects.filter(**{f"{pk}__gt": last, "link_explanation__isnull": False})
                .order_by(pk)
                .only(pk, "entity", "attributes", "link_explanation")[:BATCH]
            )
            if not rows:
                break
            last = getattr(rows[-1], pk)
            changed = []
            for row in rows:
                masked = _masked(row.entity, row.link_explanation, row.attributes)
                if masked is not None:
                    row.link_explanation = masked
                    changed.append(row)
            model.objects.bulk_update(changed, ["link_explanation"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("mdm", "0011_mask_quality_issue_values"),
        ("matching", "0007_hash_contact_block_keys"),
    ]

    operations = [migrations.RunPython(mask_explanations, migrations.RunPython.noop)]
