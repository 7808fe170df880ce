from django.urls import path

from mdm.api import views
from mdm.documents import api as documents
from mdm.stewardship import api as stewardship

urlpatterns = [
    path(
        "sources/<str:system>/<str:entity>/bulk", views.BulkUpsertView.as_view(), name="source-bulk"
    ),
    path(
        "sources/<str:system>/<str:entity>/<str:local_code>/unmerge",
        stewardship.UnmergeView.as_view(),
        name="source-unmerge",
    ),
    path(
        "sources/<str:system>/<str:entity>/<str:local_code>",
        views.SourceRecordView.as_view(),
        name="source-record",
    ),
    path(
        "crosswalk/<str:entity>/<str:system>/<str:local_code>",
        views.CrosswalkView.as_view(),
        name="crosswalk",
    ),
    path("golden/<str:entity>/", views.GoldenListView.as_view(), name="golden-list"),
    path("golden/<str:entity>/<str:code>", views.GoldenDetailView.as_view(), name="golden-detail"),
    path(
        "golden/<str:entity>/<str:code>/merge", stewardship.MergeView.as_view(), name="golden-merge"
    ),
    path("golden/<str:entity>/<str:code>/lock", stewardship.LockView.as_view(), name="golden-lock"),
    path(
        "golden/<str:entity>/<str:code>/unlock",
        stewardship.UnlockView.as_view(),
        name="golden-unlock",
    ),
    path(
        "golden/<str:entity>/<str:code>/retire",
        stewardship.RetireView.as_view(),
        name="golden-retire",
    ),
    path("candidates/", stewardship.CandidateListView.as_view(), name="candidates"),
    path(
        "candidates/<int:candidate_id>/decision",
        stewardship.CandidateDecisionView.as_view(),
        name="candidate-decision",
    ),
    path("events/", views.EventFeedView.as_view(), name="events"),
    path(
        "documents/<str:system>/<str:type>/<str:doc_id>/ack",
        documents.DocumentAckView.as_view(),
        name="document-ack",
    ),
    path(
        "documents/<str:system>/<str:type>/<str:doc_id>/status",
        documents.DocumentStatusView.as_view(),
        name="document-status",
    ),
    path(
        "documents/<str:system>/<str:type>/bulk",
        documents.DocumentBulkView.as_view(),
        name="document-bulk",
    ),
    path(
        "documents/<str:system>/<str:type>/<str:doc_id>",
        documents.DocumentView.as_view(),
        name="document",
    ),
    path("inbox/", documents.InboxView.as_view(), name="inbox"),
]
