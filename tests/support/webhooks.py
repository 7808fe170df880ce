"""A local webhook receiver (127.0.0.1) for the webhook tests of the feed and the documents."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Received:
    headers: dict[str, str]  # names in lower case: HTTP header names are case-insensitive
    body: bytes
    status: int

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def seq(self) -> int:
        return json.loads(self.body)["seq"]

    def signed_with(self, secret: str) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.header("X-MDM-Signature"), expected)


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1: records every request, answers the scripted statuses."""

    url: str = ""
    script: list[int] = field(default_factory=list)  # statuses to answer first, then 200
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            status = self.script.pop(0) if self.script else 200
            self.requests.append(Received(headers, body, status))
            return status

    def accepted(self) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if 200 <= r.status < 300]


@contextmanager
def serve_receiver() -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 (a free port) while the block runs."""
    state = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the http.server API)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = state.answer({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args):  # quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/mdm"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
