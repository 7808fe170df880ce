"""The hub's models, split by topic."""

from mdm.models.aliases import GoldenAlias, GoldenAliasOriginChoices
from mdm.models.audit import (
    AuditLog,
    AuditLogActionChoices,
    AuditLogChannelChoices,
    LoginFailure,
)
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
from mdm.models.jobs import (
    UNFINISHED_STATUSES,
    JobChunk,
    JobChunkStatusChoices,
    JobRun,
    JobRunStatusChoices,
)
from mdm.models.operations import OperationsMinute, OperationsMinuteSeriesChoices
from mdm.models.quality import (
    QualityIssue,
    QualityIssueKindChoices,
    QualityIssueResolutionChoices,
    QualityIssueStatusChoices,
    QualitySnapshot,
)
from mdm.models.sources import (
    CrosswalkGrant,
    SourceRecord,
    SourceRecordLinkChoices,
    SourceSystem,
)
from mdm.models.tokens import ApiToken, hash_token
from mdm.models.webhooks import (
    WebhookDelivery,
    WebhookDeliveryStatusChoices,
    WebhookSubscription,
)

__all__ = [
    "GOLDEN_MODELS",
    "ApiToken",
    "AuditLog",
    "AuditLogActionChoices",
    "AuditLogChannelChoices",
    "CodeCounter",
    "CrosswalkGrant",
    "Customer",
    "CustomerTypeChoices",
    "Event",
    "EventKindChoices",
    "GoldenAlias",
    "GoldenAliasOriginChoices",
    "GoldenRecord",
    "GoldenStatusChoices",
    "JobChunk",
    "OperationsMinute",
    "OperationsMinuteSeriesChoices",
    "JobChunkStatusChoices",
    "JobRun",
    "JobRunStatusChoices",
    "LoginFailure",
    "Material",
    "Product",
    "QualityIssue",
    "QualityIssueKindChoices",
    "QualityIssueResolutionChoices",
    "QualityIssueStatusChoices",
    "QualitySnapshot",
    "SourceRecord",
    "SourceRecordLinkChoices",
    "SourceSystem",
    "UNFINISHED_STATUSES",
    "WebhookDelivery",
    "WebhookDeliveryStatusChoices",
    "WebhookSubscription",
    "golden_model",
    "hash_token",
]

# Business documents live in their domain package; imported here for Django's registry.
from mdm.documents.models import (  # noqa: E402
    BusCursor,
    Document,
    DocumentDelivery,
    DocumentRoute,
    DocumentStatus,
    DocumentType,
    InboxItem,
)

__all__ += [
    "BusCursor",
    "Document",
    "DocumentDelivery",
    "DocumentRoute",
    "DocumentStatus",
    "DocumentType",
    "InboxItem",
]
