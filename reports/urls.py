"""The accountant's pages (mounted at / by hardfin.page_urls)."""

from django.urls import path

import hardfin.converters  # noqa: F401  (registers <sku:…>)
from counts import views as counts_views
from lots import views as lots_views

from . import views

app_name = "reports"

urlpatterns = [
    # ?as_of=… on the inventory pages: the state then, from the ledger; otherwise counts' pages
    # (?below_minimum=…), which hand the rest to lots' pages.
    path("inventory/", views.instant_page_or(
        counts_views.InventoryOrLowStockView.as_view(), views.InventoryAsOfView.as_view(), shadows="lots:inventory",
    ), name="inventory-as-of"),
    path("inventory/export.csv", views.instant_page_or(
        counts_views.InventoryExportOrLowStockView.as_view(), views.InventoryExportAsOfView.as_view(), shadows="lots:inventory-export",
    ), name="inventory-export-as-of"),
    path("items/<sku:sku>/", views.instant_page_or(
        lots_views.ItemStockView.as_view(), views.ItemAsOfView.as_view(), shadows="lots:item",
    ), name="item-as-of"),
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
