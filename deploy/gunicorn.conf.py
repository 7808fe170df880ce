"""gunicorn settings for the hub: ``gunicorn -c deploy/gunicorn.conf.py mdm.wsgi``.

Threaded workers (``gthread``): a client that sends its headers or body slowly holds one
thread of one worker, not the worker, so a few slow or hostile clients cannot stall the API
(with ``sync`` workers two of them did, for the whole timeout). For the open internet, put the
buffering reverse proxy of deploy/nginx.conf in front as well: it reads whole requests before
it hands them on. See README "Operations" and deploy/mdm.env.example.
"""

import os

bind = os.environ.get("MDM_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "gthread"
# Requests in flight per worker; each may hold a database connection (CONN_MAX_AGE), so
# workers x threads stays below PostgreSQL's max_connections with the Celery workers added.
threads = int(os.environ.get("MDM_WEB_THREADS", "8"))
keepalive = 5
timeout = int(os.environ.get("MDM_WEB_TIMEOUT", "60"))
graceful_timeout = 30
# Recycle workers now and then (memory fragmentation); the jitter keeps them from all going at once.
max_requests = 5000
max_requests_jitter = 500
accesslog = None  # the proxy logs requests; the hub logs no personal data


def child_exit(server, worker):
    """Tell prometheus_client a worker is gone (its live gauges are dropped; its counters stay
    counted), when metrics are kept per process in PROMETHEUS_MULTIPROC_DIR."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def worker_exit(server, worker):
    """Write the worker's last request counts for the operations page before it goes."""
    from mdm.db import timeline

    timeline.flush()
