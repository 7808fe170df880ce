"""Dev-only app: synthetic data, benchmarks and the ``bench_*`` commands.

Installed by the test settings and the bench settings (``mdm.devtools.settings``), never by the
production settings (``mdm.settings``); no production module imports it.
"""
