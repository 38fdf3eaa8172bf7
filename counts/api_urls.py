"""API routes of counts and reorder points (mounted under /api/ by hardfin.api_urls, before the
stock app's routes: ``stock/`` and ``stock/export.csv`` are answered here, so that they take
``below_minimum`` — the stock app's views answer everything else, see ``counts.api``)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import CountViewSet, ReorderPointViewSet, StockExportOrLowStockView, StockRowsOrLowStockView

router = SimpleRouter()
router.register("counts", CountViewSet, basename="count")
router.register("reorder-points", ReorderPointViewSet, basename="reorder-point")

urlpatterns = [
    # The stock app's names: reverse("stock-list") finds the path either way.
    path("stock/", StockRowsOrLowStockView.as_view(), name="stock-list"),
    path("stock/export.csv", StockExportOrLowStockView.as_view(), name="stock-export"),
    *router.urls,
]
