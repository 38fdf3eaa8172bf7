"""URLs of the REST API, mounted under /api/ (contract: API.md; schema: /api/schema/)."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from hardfin.api.views import TokenView, not_found
from inventory.api import (
    ItemViewSet,
    LocationViewSet,
    StockByItemView,
    StockByLocationView,
    StockExportView,
    StockRowsView,
    SupplierViewSet,
)
from lots.api import BatchViewSet, LotViewSet
from movements.api import (
    AdjustmentReasonViewSet,
    AdjustmentView,
    BatchTraceView,
    BuildView,
    MovementViewSet,
    ReceiptView,
    ReplacementView,
    ShortfallViewSet,
    TransferView,
)

router = SimpleRouter()
router.register("items", ItemViewSet, basename="item")
router.register("locations", LocationViewSet, basename="location")
router.register("suppliers", SupplierViewSet, basename="supplier")
router.register("lots", LotViewSet, basename="lot")
router.register("batches", BatchViewSet, basename="batch")
router.register("movements", MovementViewSet, basename="movement")
router.register("adjustment-reasons", AdjustmentReasonViewSet, basename="adjustment-reason")
router.register("shortfalls", ShortfallViewSet, basename="shortfall")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("stock/", StockRowsView.as_view(), name="stock-list"),
    path("stock/by-item/", StockByItemView.as_view(), name="stock-by-item"),
    path("stock/by-location/", StockByLocationView.as_view(), name="stock-by-location"),
    path("stock/export.csv", StockExportView.as_view(), name="stock-export"),
    path("batches/<int:pk>/trace/", BatchTraceView.as_view(), name="batch-trace"),
    path("transfers/", TransferView.as_view(), name="transfer-create"),
    path("adjustments/", AdjustmentView.as_view(), name="adjustment-create"),
    path("receipts/", ReceiptView.as_view(), name="receipt-create"),
    path("builds/", BuildView.as_view(), name="build-create"),
    path("replacements/", ReplacementView.as_view(), name="replacement-create"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file (?script): no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    *router.urls,
    re_path(r"^.*$", not_found),
]
