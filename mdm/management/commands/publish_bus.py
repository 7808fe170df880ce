"""``manage.py publish_bus [--forever]``: publish the outbox to the message bus now, or keep
publishing as a dedicated process: one broker connection, woken by PostgreSQL ``NOTIFY`` when
inbox items commit (no wait for the beat, no polling), and every ``--idle`` seconds anyway
(master-data events, a broker that came back)."""

from __future__ import annotations

import time

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from mdm.documents.bus import NOTIFY_CHANNEL, Publisher


class Command(BaseCommand):
    help = "Publish inbox items and master-data events to MDM_AMQP_URL (once, or --forever)."

    def add_arguments(self, parser):
        parser.add_argument("--forever", action="store_true", help="keep publishing")
        parser.add_argument(
            "--idle", type=float, default=1.0, help="seconds between rounds without a wake-up"
        )

    def handle(self, *args, forever: bool, idle: float, **options):
        if not settings.MDM_AMQP_URL:
            raise CommandError("MDM_AMQP_URL is not set")
        with Publisher() as publisher:
            if not forever:
                done = publisher.publish_pending()
                if done.error:
                    raise CommandError(done.error)
                self.stdout.write(f"published {done.inbox} inbox items, {done.events} events")
                return
            listener = self._listen()
            while True:
                done = publisher.publish_pending()
                if done.error:
                    time.sleep(1.0)  # the broker is away: try again, nothing is lost
                elif done.inbox or done.events:
                    continue  # more may be waiting
                elif listener is not None:
                    for _ in listener.notifies(timeout=idle, stop_after=1):
                        pass
                else:
                    time.sleep(idle)

    def _listen(self):
        """A connection of its own that LISTENs (PostgreSQL; elsewhere: plain polling)."""
        if connection.vendor != "postgresql":
            return None
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        listener = psycopg.connect(**params, autocommit=True)
        listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return listener
