"""Intake: the one write path for source records (upsert) and file imports."""
