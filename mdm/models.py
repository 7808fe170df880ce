"""The hub's models, split by topic."""

from mdm.access.models import ApiToken, hash_token
from mdm.documents.models import (
    BusCursor,
    Document,
    DocumentDelivery,
    DocumentGrant,
    DocumentPush,
    DocumentRoute,
    DocumentStatus,
    DocumentType,
    InboxItem,
)
from mdm.feed.models.events import Event, EventKindChoices
from mdm.feed.models.webhooks import (
    WebhookDelivery,
    WebhookDeliveryStatusChoices,
    WebhookSubscription,
)
from mdm.jobs.models import (
    UNFINISHED_STATUSES,
    JobChunk,
    JobChunkStatusChoices,
    JobRun,
    JobRunStatusChoices,
)
from mdm.operations.models import OperationsMinute, OperationsMinuteSeriesChoices
from mdm.privacy.models import (
    AuditLog,
    AuditLogActionChoices,
    AuditLogChannelChoices,
    LoginFailure,
)
from mdm.quality.models import (
    QualityIssue,
    QualityIssueKindChoices,
    QualityIssueResolutionChoices,
    QualityIssueStatusChoices,
    QualitySnapshot,
)
from mdm.records.models.aliases import GoldenAlias, GoldenAliasOriginChoices
from mdm.records.models.codes import CodeCounter
from mdm.records.models.golden import (
    GOLDEN_MODELS,
    Customer,
    CustomerTypeChoices,
    GoldenRecord,
    GoldenStatusChoices,
    Material,
    Product,
    golden_model,
)
from mdm.records.models.sources import (
    CrosswalkGrant,
    SourceRecord,
    SourceRecordLinkChoices,
    SourceSystem,
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

__all__ += [
    "BusCursor",
    "Document",
    "DocumentDelivery",
    "DocumentGrant",
    "DocumentPush",
    "DocumentRoute",
    "DocumentStatus",
    "DocumentType",
    "InboxItem",
]
