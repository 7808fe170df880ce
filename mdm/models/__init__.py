"""The hub's models, split by topic."""

from mdm.models.codes import CodeCounter
from mdm.models.events import Event, EventKindChoices
from mdm.models.golden import (
    GOLDEN_MODELS,
    Customer,
    CustomerTypeChoices,
    GoldenRecord,
    GoldenStatusChoices,
    Material,
    Product,
    golden_model,
)
from mdm.models.sources import SourceRecord, SourceRecordLinkChoices, SourceSystem
from mdm.models.tokens import ApiToken, hash_token

__all__ = [
    "GOLDEN_MODELS",
    "ApiToken",
    "CodeCounter",
    "Customer",
    "CustomerTypeChoices",
    "Event",
    "EventKindChoices",
    "GoldenRecord",
    "GoldenStatusChoices",
    "Material",
    "Product",
    "SourceRecord",
    "SourceRecordLinkChoices",
    "SourceSystem",
    "golden_model",
    "hash_token",
]
