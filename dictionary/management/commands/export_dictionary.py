import json

from django.core.management.base import BaseCommand

from dictionary.export import dictionary_document, render_csv, render_markdown


class Command(BaseCommand):
    help = "Print the core data-element dictionary as a document (md, csv or json)."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["md", "csv", "json"], default="md")

    def handle(self, *args, format: str, **options):
        document = dictionary_document()
        if format == "json":
            self.stdout.write(json.dumps(document, ensure_ascii=False, indent=2))
        elif format == "csv":
            self.stdout.write(render_csv(document), ending="")
        else:
            self.stdout.write(render_markdown(document), ending="")
