from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mdm.operations import health


class Command(BaseCommand):
    help = (
        "Health check for supervisors: the web readiness checks (default), a Celery worker's "
        "ping (--worker) or the beat's schedule file (--beat); exits 1 when failing. 健康检查。"
    )

    def add_arguments(self, parser):
        kind = parser.add_mutually_exclusive_group()
        kind.add_argument("--worker", action="store_true", help="ping a Celery worker")
        kind.add_argument("--beat", action="store_true", help="the beat's schedule file is fresh")
        parser.add_argument("--hostname", help="the worker to ping (celery@host); default any")
        parser.add_argument("--timeout", type=float, default=5.0, help="ping timeout (s)")
        parser.add_argument(
            "--schedule-file",
            default="celerybeat-schedule",
            help="the beat's --schedule file (default: celerybeat-schedule)",
        )
        parser.add_argument(
            "--max-age", type=float, default=600.0, help="the schedule file's largest age (s)"
        )

    def handle(self, *args, worker, beat, hostname, timeout, schedule_file, max_age, **options):
        if worker:
            results = {"worker": health.check_worker(hostname=hostname, timeout=timeout)}
        elif beat:
            results = {
                "beat": health.check_beat(schedule_file=Path(schedule_file), max_age=max_age)
            }
        else:
            results = health.readiness().checks
        for name, result in results.items():
            stream = self.stdout if result.ok else self.stderr
            stream.write(f"{name}: {'ok' if result.ok else 'FAIL'} {result.detail}")
        failing = [name for name, result in results.items() if not result.ok]
        if failing:
            raise CommandError(f"failing: {', '.join(failing)}", returncode=1)
