"""Linking during a bulk load: every new record starts a golden record of its own.

A bulk load (``import_source --bulk``) writes a whole system's export through the write path
and then runs one batch match (``mdm.linking.batch.match``), as initial loads are advised to
run: the batch finds the pairs of a million records in one pass over the block-key index,
where real-time matching would look each record's candidates up one batch at a time. During
the load the write path links with ``BulkLinker``: a record that is new (or no longer a member
of a live golden record) gets a new golden record; a stored record that changes keeps its link,
as in any upsert. Its block keys are written as usual, so the batch match that follows (and
later real-time matching) sees every record. No candidate is looked up, no review is queued
and no identifier lock is taken (writers of one thing do not race for its golden record: the
batch match joins them).
"""

from __future__ import annotations

from collections.abc import Sequence

from mdm.linking.realtime import LinkDecision, MatchingLinker
from mdm.models import SourceRecord, SourceRecordLinkChoices


class BulkLinker(MatchingLinker):
    """``MatchingLinker`` without candidates: every record it decides is new."""

    def lock_keys(self) -> list[str]:
        return []

    def lock_keys_of(self, local_code: str) -> list[str]:
        return []

    def prefetch(self, records: Sequence[SourceRecord]) -> None:
        """Nothing to fetch: no record is compared during a bulk load."""

    def decide(self, record: SourceRecord) -> LinkDecision:
        return LinkDecision(None, SourceRecordLinkChoices.NEW)

    def note_linked(self, record: SourceRecord, golden_code: str) -> None:
        """The batch's records are not candidates of each other either."""
