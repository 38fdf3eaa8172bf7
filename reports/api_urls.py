"""API routes of costs and reports (mounted under /api/ by hardfin.api_urls, before lots' routes:
``batches/{id}/`` here is lots' batch detail plus PATCH of its unknown cost)."""

from django.urls import path

from .api import (
    BatchCostViewSet,
    RollforwardExportView,
    RollforwardView,
    ValuationExportView,
    ValuationView,
)

urlpatterns = [
    path("batches/<int:pk>/", BatchCostViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
         name="batch-detail"),
    path("valuation/", ValuationView.as_view(), name="valuation"),
    path("valuation/export.csv", ValuationExportView.as_view(), name="valuation-export"),
    path("valuation/export.xlsx", ValuationExportView.as_view(file_format="xlsx"), name="valuation-export-xlsx"),
    path("reports/rollforward/", RollforwardView.as_view(), name="rollforward"),
    path("reports/rollforward.csv", RollforwardExportView.as_view(), name="rollforward-export"),
    path("reports/rollforward.xlsx", RollforwardExportView.as_view(file_format="xlsx"),
         name="rollforward-export-xlsx"),
]
