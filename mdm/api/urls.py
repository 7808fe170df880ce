from django.urls import path

from mdm.api import views

urlpatterns = [
    path(
        "sources/<str:system>/<str:entity>/bulk", views.BulkUpsertView.as_view(), name="source-bulk"
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
    path("events/", views.EventFeedView.as_view(), name="events"),
]
