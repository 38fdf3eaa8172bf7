"""API routes of costs and reports (mounted under /api/ by hardfin.api_urls, before lots' routes:
``batches/{id}/`` here is lots' batch detail plus PATCH of its unknown cost)."""

from django.urls import path

from counts.api import StockExportOrLowStockView, StockRowsOrLowStockView
from inventory.api import StockByItemView, StockByLocationView
from lots.api import LotViewSet

from .instant_api import (
    LotsAsOfView,
    StockByItemAsOfView,
    StockByLocationAsOfView,
    StockExportAsOfView,
    StockRowsAsOfView,
    documented,
    instant_or,
)
from .api import (
    BatchCostViewSet,
    RollforwardExportView,
    RollforwardView,
    RollforwardXlsxView,
    ValuationExportView,
    ValuationView,
    ValuationXlsxView,
)

urlpatterns = [
    # as_of / with_value on the stock and lot lists (answered from the ledger), else as usual
    # (stock/ and its export through counts' views, which take below_minimum).
    path("stock/", instant_or(documented(StockRowsOrLowStockView).as_view(), StockRowsAsOfView), name="stock-list"),
    path("stock/by-item/", instant_or(documented(StockByItemView).as_view(), StockByItemAsOfView), name="stock-by-item"),
    path("stock/by-location/", instant_or(documented(StockByLocationView).as_view(), StockByLocationAsOfView),
         name="stock-by-location"),
    path("stock/export.csv", instant_or(documented(StockExportOrLowStockView).as_view(), StockExportAsOfView), name="stock-export"),
    path("lots/", instant_or(documented(LotViewSet, method="list").as_view({"get": "list"}), LotsAsOfView), name="lot-list"),
    path("batches/<int:pk>/", BatchCostViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
         name="batch-detail"),
    path("valuation/", ValuationView.as_view(), name="valuation"),
    path("valuation/export.csv", ValuationExportView.as_view(), name="valuation-export"),
    path("valuation/export.xlsx", ValuationXlsxView.as_view(), name="valuation-export-xlsx"),
    path("reports/rollforward/", RollforwardView.as_view(), name="rollforward"),
    path("reports/rollforward.csv", RollforwardExportView.as_view(), name="rollforward-export"),
    path("reports/rollforward.xlsx", RollforwardXlsxView.as_view(),
         name="rollforward-export-xlsx"),
]
