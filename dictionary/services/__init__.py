"""Dictionary use cases: the one entry point every record passes through, and loading.

``standardize_and_validate`` is called by every write path of the hub (API, bulk, import,
admin). It reads the dictionary from the database through a small cache that is invalidated
whenever an element, binding, domain or code value changes, so an edit in admin takes effect on
the next record without a restart.

A package since the 500-line rule of issue 31 split the module that was here; its dozens of
importers keep importing from ``dictionary.services``, which exports exactly the public names
the module had:

- ``compiled``: the compiled dictionary and its cache (``CompiledElement``,
  ``compiled_elements``, ``dictionary_revision``, ``dictionary_snapshot``), and which elements
  hold personal data (``PersonalElement``, ``personal_elements``, ``encrypted_elements``, ...).
- ``entry_point``: ``standardize_and_validate``, its ``StandardizedRecord`` and the accepted
  lengths (``MAX_TEXT``, ``raw_max_length``, ``accepted_length``).
- ``loading``: ``load_starter_dictionary`` and the ``STARTER_DICTIONARY`` it reads.
"""

from dictionary.services.compiled import (
    PERSONAL_SENSITIVITIES,
    CompiledElement,
    PersonalElement,
    compiled_elements,
    dictionary_revision,
    dictionary_snapshot,
    encrypted_codes,
    encrypted_elements,
    entity_element_codes,
    personal_elements,
)
from dictionary.services.entry_point import (
    MAX_TEXT,
    StandardizedRecord,
    accepted_length,
    raw_max_length,
    standardize_and_validate,
)
from dictionary.services.loading import (
    REGION_DOMAIN,
    STARTER_DICTIONARY,
    load_starter_dictionary,
)

__all__ = [
    "MAX_TEXT",
    "PERSONAL_SENSITIVITIES",
    "REGION_DOMAIN",
    "STARTER_DICTIONARY",
    "CompiledElement",
    "PersonalElement",
    "StandardizedRecord",
    "accepted_length",
    "compiled_elements",
    "dictionary_revision",
    "dictionary_snapshot",
    "encrypted_codes",
    "encrypted_elements",
    "entity_element_codes",
    "load_starter_dictionary",
    "personal_elements",
    "raw_max_length",
    "standardize_and_validate",
]
