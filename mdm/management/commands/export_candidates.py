import csv
import os
import sys

from django.core.management.base import BaseCommand

from dictionary.models import EntityChoices
from mdm.linking.review import export_queue_rows

HEADER = ["left_system", "left_local_code", "right_system", "right_local_code", "score", "reason"]


class Command(BaseCommand):
    help = (
        "Print the pending review queue as CSV (left_system,left_local_code,right_system,"
        "right_local_code,score,reason), most likely duplicates first; personal values masked."
    )

    def add_arguments(self, parser):
        parser.add_argument("--entity", required=True, choices=EntityChoices.values)

    def handle(self, *args, entity: str, **options):
        writer = csv.writer(self.stdout, lineterminator="\n")
        try:
            writer.writerow(HEADER)
            for row in export_queue_rows(entity):
                writer.writerow(row)
            self.stdout.flush()
        except BrokenPipeError:
            # The reader went away (``| head``): stop quietly, and keep the interpreter from
            # complaining when it flushes standard output at exit.
            self._silence(self.stdout._out)

    @staticmethod
    def _silence(stream) -> None:
        if stream is not sys.stdout:
            return
        try:
            fd = stream.fileno()
        except (AttributeError, OSError, ValueError):
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
