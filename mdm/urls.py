from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from mdm.api.errors import api_not_found
from mdm.operations import views as operations

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("mdm.api.urls")),
    path("api/v1/dictionary/", include("dictionary.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its init script as a file: the CSP allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", operations.healthz, name="healthz"),
    path("readyz", operations.readyz, name="readyz"),
    path("metrics", operations.metrics_view, name="metrics"),
    # Last: any other path under /api/ is the API's JSON 404, not Django's HTML page.
    re_path(r"^api/", api_not_found, name="api-not-found"),
]
