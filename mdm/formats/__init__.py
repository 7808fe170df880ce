"""Date and time formats of the hub's languages (``FORMAT_MODULE_PATH``).

Stewards compare times across pages, exports and the audit log: every language shows the same
ISO-like ``2026-12-07 14:05`` in ``TIME_ZONE``, not Django's per-locale long forms.
"""
