"""What the names of the listed-company set allow (``mdm.devtools.benchmarks.real.cn_names``):
the bound behind ``bench_real``'s CN reach. No database work."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from mdm.devtools.benchmarks.real.cn_names import name_bounds


class Command(BaseCommand):
    help = "Count the English and former names of the CN set that any name rule could reach."

    def handle(self, *args, **options):
        for title, counts in name_bounds().items():
            self.stdout.write(title)
            for label, count in counts.items():
                self.stdout.write(f"  {label:<52} {count:>6,}")
