"""URLs of the REST API, mounted under /api/ (contract: API.md; schema: /api/schema/). Each
app registers its own routes; they are named here only by dotted strings."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from hardfin.api.views import TokenView, not_found
from hardfin.job_views import JobResultView, JobView

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file (?script): no inline script.
    path("jobs/<int:pk>/", JobView.as_view(), name="api-job"),
    path("jobs/<int:pk>/result", JobResultView.as_view(), name="api-job-result"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # First: it answers as_of on the stock and lot lists and adds PATCH (the unknown unit
    # cost) to lots' batch detail, handing everything else to the views below (for stock/ and
    # stock/export.csv: to counts', which take below_minimum and hand the rest to inventory's).
    path("", include("reports.api_urls")),
    path("", include("counts.api_urls")),
    path("", include("inventory.api_urls")),
    path("", include("lots.api_urls")),
    path("", include("movements.api_urls")),
    re_path(r"^.*$", not_found),
]
