"""A permission of its own for a data element's sensitivity (it drives masking and encryption)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("dictionary", "0002_binding_tie_breakers")]

    operations = [
        migrations.AlterModelOptions(
            name="dataelement",
            options={
                "ordering": ["code"],
                "permissions": [
                    (
                        "change_dataelement_sensitivity",
                        "Can change the sensitivity of a data element",
                    )
                ],
                "verbose_name": "data element",
                "verbose_name_plural": "data elements",
            },
        ),
    ]
