"""WSGI entry point (gunicorn mdm.wsgi).

Before serving, the worker loads what Django and matching otherwise build on the first requests
(the URL patterns, the pinyin, region and legal-form tables, the dictionary's region, phone and
character tables) and then freezes the garbage
collector's view of everything loaded so far (``gc.freeze``): the collector's full passes no
longer walk those long-lived objects in the middle of a request (in process, a crosswalk
look-up's p99 went from 3.9 to 3.0 ms).
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mdm.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    from django.urls import get_resolver

    from dictionary.warm_up import warm_up_dictionary
    from matching.engine import warm_up
    from matching.rules import DEFAULT_RULES

    get_resolver().url_patterns  # noqa: B018 - imported for its side effect
    for rule in DEFAULT_RULES.values():
        warm_up(rule)
    warm_up_dictionary()
    gc.collect()
    gc.freeze()


_warm_up()
