from django.core.management.base import BaseCommand

from mdm.operations.key_rotation import rotate_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored sensitive value (source records, golden records and their "
        "history) under the first key of MDM_ENCRYPTION_KEYS, in primary-key batches, each its "
        "own transaction; the hub stays readable throughout. Also encrypts values of elements "
        "newly marked sensitive_personal. 使用当前密钥重新加密所有敏感数据。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=None, help="rows per transaction")

    def handle(self, *args, batch, **options):
        report = rotate_keys(batch=batch)
        for table, scanned in report.scanned.items():
            self.stdout.write(
                f"{table}: scanned={scanned} rewritten={report.rewritten.get(table, 0)}"
            )
