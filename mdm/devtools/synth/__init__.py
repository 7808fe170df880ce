"""Seeded synthetic master data with known ground truth.

Enterprises keep the same customer, product or material in several systems (ERP, CRM, web
shop), each with its own codes and its own habits of writing things down. This package fakes
such exports: it first invents the real-world things (companies, persons, products,
materials), then writes each one into the systems that "know" it, every copy with the kind
of variation real data has (dropped legal forms, full-width brackets, traditional characters,
homophone typos, missing or mistyped credit codes, phone numbers in five formats ...).

Every record carries the ``truth_id`` of the thing it describes, so matching quality can be
measured. The hub itself never sees truth ids; they go to separate files.

The package is pure: no Django, no database, no network, no global random state. The same
arguments always give the same records (no iteration over sets or ``hash()`` of strings,
whose order changes between processes).

What is where, each module importing only the ones above it:

- ``params``: the record, the systems and their keys, ``Noise`` and the rates of presence,
  missing values and look-alikes.
- ``words``: word lists (cities, company name cores, industries, names, streets ...).
- ``helpers``: cheap seeded choices and text variations; ``divisions``: administrative
  divisions and postal codes.
- ``attributes``: identifiers, phones, person names, addresses.
- ``entities``: the real companies and persons; ``rendering``: one copy of one as a system
  exports it.
- ``customers``: ``generate_customers``; ``stream``: ``iter_customers_fast``, at benchmark scale.
- ``products``: ``generate_products``; ``materials``: ``generate_materials``.

Names with a leading underscore are private to this package: its modules (and its tests)
share them; other code imports what this module exports.

Replace ``params.NOISE`` (``synth.params.NOISE = dataclasses.replace(synth.NOISE, ...)``)
to switch single variations off: the generators read it there when they run.
"""

from __future__ import annotations

from mdm.devtools.synth.customers import generate_customers
from mdm.devtools.synth.materials import generate_materials
from mdm.devtools.synth.params import (
    CUSTOMER_KEYS,
    MATERIAL_KEYS,
    NOISE,
    PRODUCT_KEYS,
    SYSTEMS,
    Noise,
    SynthRecord,
)
from mdm.devtools.synth.products import generate_products
from mdm.devtools.synth.stream import iter_customers_fast
from mdm.devtools.synth.words import CITIES

__all__ = [
    "CITIES",
    "CUSTOMER_KEYS",
    "MATERIAL_KEYS",
    "NOISE",
    "PRODUCT_KEYS",
    "SYSTEMS",
    "Noise",
    "SynthRecord",
    "generate_customers",
    "generate_materials",
    "generate_products",
    "iter_customers_fast",
]
