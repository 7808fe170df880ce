"""The MDM hub project package: settings, URLs, Celery app, and the hub itself."""

from mdm.celery import app as celery_app

__all__ = ("celery_app",)
