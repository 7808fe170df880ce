"""Settings of the tests and the benchmarks: production settings plus the dev-only app.

``DJANGO_SETTINGS_MODULE=mdm.devtools.settings`` (pytest and the Makefile's bench targets set it).
"""

from mdm.settings import *  # noqa: F403 - the production settings, unchanged
from mdm.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "mdm.devtools"]
