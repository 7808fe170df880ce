from pathlib import Path

from django.core.management.base import BaseCommand

from dictionary.services import STARTER_DICTIONARY, load_starter_dictionary


class Command(BaseCommand):
    help = "Create or update the dictionary from fixtures/dictionary.json (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=STARTER_DICTIONARY)

    def handle(self, *args, file: Path, **options):
        counts = load_starter_dictionary(file)
        self.stdout.write(
            "数据字典已加载 dictionary loaded: " + ", ".join(f"{k}={v}" for k, v in counts.items())
        )
