"""The accountant's pages (mounted at / by hardfin.page_urls)."""

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("reports/valuation/", views.ValuationPageView.as_view(), name="valuation"),
    path("reports/valuation/export.csv", views.ValuationPageView.as_view(), {"file_format": "csv"},
         name="valuation-csv"),
    path("reports/valuation/export.xlsx", views.ValuationPageView.as_view(), {"file_format": "xlsx"},
         name="valuation-xlsx"),
    path("reports/recall/", views.RecallPageView.as_view(), name="recall"),
    path("reports/rollforward/", views.RollforwardPageView.as_view(), name="rollforward"),
    path("reports/rollforward/export.csv", views.RollforwardPageView.as_view(), {"file_format": "csv"},
         name="rollforward-csv"),
    path("reports/rollforward/export.xlsx", views.RollforwardPageView.as_view(), {"file_format": "xlsx"},
         name="rollforward-xlsx"),
]
