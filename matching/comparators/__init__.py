"""The comparator implementations behind :data:`matching.compare.COMPARATORS`, by kind of value.

Each module holds the ``_prepare_*`` / compare function pairs of one kind of attribute (names,
dates and contacts, free text, goods); ``matching.compare`` registers them under the names used
in match rules and is the only public entry point. Split out of ``matching/compare.py`` to keep
every module under the 500-line limit (issue 31).
"""
