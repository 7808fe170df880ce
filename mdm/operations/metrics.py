"""The ``/metrics`` document: the in-process instruments (summed over the processes that
share ``PROMETHEUS_MULTIPROC_DIR`` when it is set) and the database figures, and who may read
it (a bearer token, or an allowed address)."""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterator

from django.conf import settings
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

from mdm.operations.collector import DatabaseCollector

__all__ = ["CONTENT_TYPE_LATEST", "is_allowed", "render"]


class _Scrape:
    """What one scrape reads: the instruments' registry, then the database collector."""

    def __init__(self, *sources) -> None:
        self.sources = sources

    def collect(self) -> Iterator[Metric]:
        for source in self.sources:
            yield from source.collect()


def render(*, database: bool = True) -> bytes:
    """The metrics in the Prometheus text format. ``database``: with the figures read from
    the database (the web's ``/metrics``); without them, only the counters of the processes
    of this host (``serve_metrics`` on a host without a web process: the database figures are
    the same from every host, and the web scrape already has them)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several processes: read every process's files, not this process's memory.
        instruments = CollectorRegistry()
        MultiProcessCollector(instruments)
    else:
        instruments = REGISTRY
    if not database:
        return generate_latest(instruments)
    return generate_latest(_Scrape(instruments, DatabaseCollector()))


def is_allowed(*, authorization: str, address: str) -> bool:
    """``Authorization: Bearer <MDM_METRICS_TOKEN>`` when a token is set, or a client address
    inside ``MDM_METRICS_ALLOWED_NETWORKS`` (loopback by default)."""
    token = settings.MDM_METRICS_TOKEN
    scheme, _, given = authorization.partition(" ")
    if (
        token
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.strip().encode(), token.encode())
    ):
        return True
    try:
        client = ipaddress.ip_address(address.split(",")[0].strip())
    except ValueError:
        return False
    return any(client in network for network in settings.MDM_METRICS_ALLOWED_NETWORKS)
