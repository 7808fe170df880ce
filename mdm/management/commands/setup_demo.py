"""`make run`: dictionary, source systems, an admin login, the demo exports imported and matched."""

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db.models import Count

from dictionary.services import load_starter_dictionary
from mdm.models import GOLDEN_MODELS, SourceRecord, SourceSystem
from mdm.services.accounts import create_source_system, issue_token
from mdm.services.importing import import_rows, read_table

DEMO_DIR = Path(settings.BASE_DIR) / "fixtures" / "demo"
SYSTEMS = [
    ("ERP", "ERP 企业资源计划 (SAP)", 10),
    ("CRM", "CRM 客户关系管理", 20),
    ("ECOM", "网店 E-shop", 30),
]
#: Import order: the ERP first (it is the most trusted source), then the CRM, then the shop.
FILE_ORDER = ["erp", "crm", "ecom"]


class Command(BaseCommand):
    help = "Set up the embedded demo: dictionary, systems, admin login, demo data imported and matched."

    def handle(self, *args, **options):
        counts = load_starter_dictionary()
        self.stdout.write(
            f"数据字典 dictionary: {counts['elements']} elements, {counts['code_values']} code values"
        )
        for code, name, priority in SYSTEMS:
            if not SourceSystem.objects.filter(code=code).exists():
                create_source_system(code=code, name=name, priority=priority)
        files = sorted(
            DEMO_DIR.glob("*_*.*"),
            key=lambda p: (
                FILE_ORDER.index(p.stem.split("_")[0]) if p.stem.split("_")[0] in FILE_ORDER else 9,
                p.name,
            ),
        )
        for path in files:
            system, _, entity = path.stem.partition("_")
            if (
                path.suffix not in (".csv", ".xlsx")
                or entity not in GOLDEN_MODELS
                or system.upper() not in dict((s[0], 1) for s in SYSTEMS)
            ):
                continue
            if path.suffix == ".xlsx" and path.with_suffix(".csv").exists():
                continue  # the same rows as the CSV: imported once
            source = SourceSystem.objects.get(code=system.upper())
            report = import_rows(system=source, entity=entity, rows=read_table(path))
            self.stdout.write(
                f"  {path.name}: {report.rows} rows, {report.created} new, {report.unchanged} unchanged, "
                f"{report.rejected} rejected"
            )
        if "matching" in settings.INSTALLED_APPS and self._has_match_command():
            for entity in GOLDEN_MODELS:
                call_command("match", entity=entity, stdout=self.stdout, no_progress=True)
        self._summary()
        self._login()

    @staticmethod
    def _has_match_command() -> bool:
        from django.core.management import get_commands

        return "match" in get_commands()

    def _summary(self):
        self.stdout.write("\n汇总 summary")
        for entity, model in GOLDEN_MODELS.items():
            records = SourceRecord.objects.filter(entity=entity, is_active=True)
            links = dict(records.values_list("link_kind").annotate(n=Count("pk")).order_by())
            self.stdout.write(
                f"  {entity}: {records.count()} source records in -> "
                f"{model.objects.active().count()} golden records out; links {links}"
            )

    def _login(self):
        User = get_user_model()
        password = secrets.token_urlsafe(12)
        admin, _ = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        admin.is_staff = admin.is_superuser = True
        admin.set_password(password)
        admin.save()
        erp = SourceSystem.objects.get(code="ERP")
        token = issue_token(erp.service_user).key
        self.stdout.write(
            "\n管理后台 admin:   http://127.0.0.1:8000/admin/\n"
            f"用户名 username: admin\n密码 password: {password}\n"
            "接口文档 API docs: http://127.0.0.1:8000/api/docs/\n"
            f"ERP API token (for the README's curl tour): {token}\n"
        )
