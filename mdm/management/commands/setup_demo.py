"""`make run`: dictionary, source systems, an admin login, the demo exports imported and matched."""

import secrets
from collections import Counter
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db.models import Count

from dictionary.services import load_starter_dictionary
from matching.models import MatchCandidate, MatchCandidateStatusChoices
from mdm.access.accounts import create_source_system, rotate_token
from mdm.access.code_grants import grant_crosswalk
from mdm.intake.import_report import REJECTED, write_error_report
from mdm.intake.importing import import_file
from mdm.jobs.runner import describe_job
from mdm.models import GOLDEN_MODELS, SourceRecord, SourceSystem
from mdm.operations import nightly_steps as nightly

DEMO_DIR = Path(settings.BASE_DIR) / "fixtures" / "demo"
#: Where the demo imports' error reports go (git-ignored).
REPORT_DIR = Path(settings.BASE_DIR) / "artifacts" / "demo"
SYSTEMS = [
    ("ERP", "ERP 企业资源计划 (SAP)", 10),
    ("CRM", "CRM 客户关系管理", 20),
    ("ECOM", "网店 E-shop", 30),
]
#: Import order: the ERP first (it is the most trusted source), then the CRM, then the shop.
FILE_ORDER = ["erp", "crm", "ecom"]
LINK_KINDS = ("auto", "new", "review", "steward")


class Command(BaseCommand):
    help = (
        "Set up the embedded demo: dictionary, systems (one API token each, printed), admin "
        "login, demo data imported (rejected rows explained, reports in artifacts/demo/) and "
        "matched."
    )

    def handle(self, *args, **options):
        counts = load_starter_dictionary()
        self.stdout.write(
            f"数据字典 dictionary: {counts['elements']} elements, {counts['code_values']} code values"
        )
        tokens = {code: self._token(code, name, priority) for code, name, priority in SYSTEMS}
        # The demo's systems translate each other's codes (the README tour): granted both ways.
        codes = [code for code, _, _ in SYSTEMS]
        granted = sum(
            grant_crosswalk(reader=code, owners=codes, reason="setup_demo") for code in codes
        )
        self.stdout.write(
            f"编码映射授权 crosswalk grants: {', '.join(codes)} read each other's codes"
            + (f" ({granted} new)" if granted else "")
        )
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
                or system.upper() not in tokens
            ):
                continue
            if path.suffix == ".xlsx" and path.with_suffix(".csv").exists():
                continue  # the same rows as the CSV: imported once
            source = SourceSystem.objects.get(code=system.upper())
            report = import_file(path=path, system=source, entity=entity)
            self.stdout.write(
                f"  {path.name}: {report.rows} rows, {report.created} new, "
                f"{report.unchanged} unchanged, {report.rejected} rejected"
            )
            self._explain(path, report)
        if "matching" in settings.INSTALLED_APPS and self._has_match_command():
            for entity in GOLDEN_MODELS:
                # As the nightly job runs it: a recorded run the Jobs page lists.
                self._report_run(nightly.run_match(entity))
        # The data-quality snapshot too, so the dashboard and the issue list are not empty.
        self._report_run(nightly.run_quality_report(), show_log=False)
        self._summary()
        self._login(tokens)

    @staticmethod
    def _token(code: str, name: str, priority: int) -> str:
        """The system's one usable token: a new system's first, or (setup_demo run again) a
        new one that replaces the others at once."""
        if not SourceSystem.objects.filter(code=code).exists():
            return create_source_system(code=code, name=name, priority=priority)[1].key
        return rotate_token(owner=code, grace=timedelta(0))[0].key

    def _explain(self, path: Path, report) -> None:
        """Why rows were rejected (each reason once, with its count) and where the report is."""
        if not report.rejected:
            return
        reasons = Counter(
            (error["field"], error["code"], error["message"])
            for error in report.errors
            if error["outcome"] == REJECTED
        )
        for (field, code, message), n in reasons.most_common():
            self.stdout.write(f"    {n} × {field} {code}: {message}")
        REPORT_DIR.mkdir(parents=True, exist_ok=True)
        report_path = REPORT_DIR / f"{path.name}.errors.csv"
        write_error_report(report_path, report)
        base = Path(settings.BASE_DIR)
        shown = report_path.relative_to(base) if report_path.is_relative_to(base) else report_path
        self.stdout.write(f"    错误报告 error report: {shown}")

    def _report_run(self, run, *, show_log: bool = True) -> None:
        """The command's own output (kept in the run's log) and the run's one-line summary."""
        if run is None:
            return
        run.refresh_from_db()
        if show_log:
            self.stdout.write(run.log, ending="")
        self.stdout.write(describe_job(run))

    @staticmethod
    def _has_match_command() -> bool:
        from django.core.management import get_commands

        return "match" in get_commands()

    def _summary(self):
        self.stdout.write("\n汇总 summary")
        for entity, model in GOLDEN_MODELS.items():
            records = SourceRecord.objects.filter(entity=entity, is_active=True)
            links = dict(records.values_list("link_kind").annotate(n=Count("pk")).order_by())
            queue = MatchCandidate.objects.filter(
                entity=entity, status=MatchCandidateStatusChoices.PENDING
            ).count()
            shown = ", ".join(f"{kind}={links.get(kind, 0)}" for kind in LINK_KINDS)
            self.stdout.write(
                f"  {entity}: {records.count()} source records in -> "
                f"{model.objects.active().count()} golden records out; links {shown}; "
                f"待审核 review queue: {queue} candidates"
            )

    def _login(self, tokens: dict[str, str]):
        User = get_user_model()
        password = secrets.token_urlsafe(12)
        admin, _ = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        admin.is_staff = admin.is_superuser = True
        admin.set_password(password)
        admin.save()
        self.stdout.write(
            "\n管理后台 admin:   http://127.0.0.1:8000/admin/\n"
            f"用户名 username: admin\n密码 password: {password}\n"
            "数据质量 data quality: http://127.0.0.1:8000/admin/mdm/qualitysnapshot/dashboard/\n"
            "接口文档 API docs: http://127.0.0.1:8000/api/docs/\n"
            "API tokens, one per system (the README's curl tour uses the ERP's):"
        )
        for code, token in tokens.items():
            self.stdout.write(f"  {code}: {token}")
