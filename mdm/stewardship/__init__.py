"""Stewardship: stewards' actions (merge, unmerge, lock, retire, decide), their admin and API."""
