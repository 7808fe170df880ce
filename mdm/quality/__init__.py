"""Data quality: metrics, snapshots, issues, exports and charts.

``metrics``   definitions and the aggregate queries (completeness, validity, uniqueness,
              consistency, timeliness per entity, system and element)
``issues``    quality issues opened and closed by the data (set-based); ``desired`` is the
              query of what the data calls for, ``history`` the set-based history rows
``actions``   stewards' actions on issues: acknowledge, close with a reason, reassign
``snapshot``  ``take_quality_snapshot``: reconcile, measure, store (``quality_report``)
``report``    the snapshot as a text table and long-format CSV
``export``    scorecard and open issues as CSV / XLSX
``sql``       the few spellings that differ between PostgreSQL and SQLite
``charts``    server-side SVG charts for the admin dashboard
``dashboard`` what the admin dashboard shows
"""
