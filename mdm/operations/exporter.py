"""The metrics of a host that runs no web process (Celery workers only): ``serve_metrics``.

The counters of a hub process (webhook posts, upserts of an import a worker ran…) live in that
process, in files of the host's ``PROMETHEUS_MULTIPROC_DIR``; a web process on the same host adds
them to its ``/metrics``, but a worker host has none. This small HTTP server serves that host's
counters at ``GET /metrics``, to the same readers as the web's (``MDM_METRICS_TOKEN`` or
``MDM_METRICS_ALLOWED_NETWORKS``, the direct client address), and nothing else: the figures read
from the database are the web scrape's (serving them from every host would count them twice).
"""

from __future__ import annotations

import json
import logging
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from mdm.errors import ServiceError
from mdm.operations import metrics

__all__ = ["metrics_server"]

logger = logging.getLogger(__name__)


class _MetricsHandler(BaseHTTPRequestHandler):
    server_version = "mdm-metrics"

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        if self.path.split("?", 1)[0] != "/metrics":
            self._send(404, b'{"detail": "only /metrics is served here"}', "application/json")
            return
        allowed = metrics.is_allowed(
            authorization=self.headers.get("Authorization", ""), address=self.client_address[0]
        )
        if not allowed:
            detail = {"detail": "metrics need MDM_METRICS_TOKEN (Bearer) or an allowed address"}
            self._send(
                401,
                json.dumps(detail).encode(),
                "application/json",
                {"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
            return
        self._send(200, metrics.render(database=False), metrics.CONTENT_TYPE_LATEST)

    def _send(self, status: int, body: bytes, content_type: str, headers=None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server's name)
        logger.debug("metrics %s " + format, self.client_address[0], *args)


def metrics_server(bind: str) -> ThreadingHTTPServer:
    """A server for ``host:port`` (not started: ``serve_forever``). Refuses without
    ``PROMETHEUS_MULTIPROC_DIR``: there would be no other process's counters to serve."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        raise ServiceError(
            "未设置 PROMETHEUS_MULTIPROC_DIR：没有可提供的进程计数",
            "PROMETHEUS_MULTIPROC_DIR is not set: the host's processes keep no counters to serve",
            code="no_multiproc_dir",
        )
    host, _, port = bind.rpartition(":")
    try:
        address = (host.strip("[]") or "127.0.0.1", int(port))
    except ValueError as exc:
        raise ServiceError(
            f"监听地址无效：{bind}", f"Bind to host:port, not {bind!r}", code="bad_bind"
        ) from exc
    return ThreadingHTTPServer(address, _MetricsHandler)
