"""Counter rows for global codes on SQLite (PostgreSQL uses real sequences; see services.codes)."""

from django.db import models


class CodeCounter(models.Model):
    """Last number handed out per entity, used only where the database has no sequences."""

    entity = models.CharField(max_length=20, unique=True)
    last_value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.entity}: {self.last_value}"
