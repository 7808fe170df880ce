"""Real parts for the job and webhook tests: Redis, a Celery worker process, an HTTP receiver.

The worker is started once per session against the *test* database (pytest-django's
``test_<name>``) and a Redis database that the session flushes first; tasks go to a queue named
for this session, so two suites running at once never take each other's tasks. Redis must be
reachable: the tests fail (they do not skip) when it is not.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import job_kinds_for_tests  # noqa: F401  (registers the test job kinds in this process too)
import pytest
import redis

from tests.support.waiting import publishing_to, start_worker, stop_worker, worker_database_url
from tests.support.webhooks import Receiver, serve_receiver

REDIS_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
WORKER_START_TIMEOUT = 30


@pytest.fixture(scope="session")
def redis_url() -> str:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.fail(f"Redis is required for the worker tests ({REDIS_URL}): {exc}")
    client.flushdb()
    client.close()
    return REDIS_URL


@pytest.fixture(scope="session")
def database_url(django_db_setup, django_db_blocker) -> str:
    """The test database's URL, for the processes a test starts."""
    with django_db_blocker.unblock():
        return worker_database_url()


@pytest.fixture(scope="session")
def celery_worker_process(database_url, redis_url, tmp_path_factory):
    """A real ``celery -A mdm worker`` process on the test database; yields its queue name."""
    queue = f"mdm-test-{uuid.uuid4().hex[:12]}"
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    worker = start_worker(
        database_url=database_url, redis_url=redis_url, queue=queue, log_path=log_path
    )
    try:
        yield queue
    finally:
        stop_worker(worker)
        if os.environ.get("MDM_SHOW_WORKER_LOG"):
            print(log_path.read_text())


@pytest.fixture
def celery_worker(celery_worker_process, redis_url) -> Iterator[str]:
    """The worker, and this process publishing tasks to it instead of running them eagerly."""
    with publishing_to(celery_worker_process, redis_url) as queue:
        yield queue


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serve_receiver() as state:
        yield state
