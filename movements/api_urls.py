"""API routes of the ledger and of the five writes (mounted under /api/ by hardfin.api_urls)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import (
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
router.register("movements", MovementViewSet, basename="movement")
router.register("adjustment-reasons", AdjustmentReasonViewSet, basename="adjustment-reason")
router.register("shortfalls", ShortfallViewSet, basename="shortfall")

urlpatterns = [
    path("batches/<int:pk>/trace/", BatchTraceView.as_view(), name="batch-trace"),
    path("transfers/", TransferView.as_view(), name="transfer-create"),
    path("adjustments/", AdjustmentView.as_view(), name="adjustment-create"),
    path("receipts/", ReceiptView.as_view(), name="receipt-create"),
    path("builds/", BuildView.as_view(), name="build-create"),
    path("replacements/", ReplacementView.as_view(), name="replacement-create"),
    *router.urls,
]
