"""Serve this host's process counters at /metrics, for a host without a web process
(``mdm.operations.exporter``)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from mdm.errors import ServiceError
from mdm.operations.exporter import metrics_server


class Command(BaseCommand):
    help = (
        "Serve GET /metrics with the counters of this host's hub processes (Celery workers on "
        "a host without gunicorn), read from PROMETHEUS_MULTIPROC_DIR; same token or networks "
        "as the web's /metrics."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind", default="127.0.0.1:9108", help="host:port to listen on (127.0.0.1:9108)"
        )

    def handle(self, *args, bind: str, **options):
        try:
            server = metrics_server(bind)
        except (ServiceError, OSError) as exc:
            raise CommandError(getattr(exc, "message", str(exc))) from exc
        host = bind.rpartition(":")[0] or "127.0.0.1"
        port = server.server_address[1]
        self.stdout.write(f"serving this host's metrics at http://{host}:{port}/metrics")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
