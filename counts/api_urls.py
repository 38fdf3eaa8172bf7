"""API routes of counts and reorder points (mounted under /api/ by hardfin.api_urls).
``stock/`` and ``stock/export.csv`` take ``below_minimum`` through ``counts.api``'s
``StockRowsOrLowStockView`` and ``StockExportOrLowStockView``, which the reports app (above this
one) mounts behind its ``as_of`` views at those addresses."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import CountViewSet, ReorderPointViewSet

router = SimpleRouter()
router.register("counts", CountViewSet, basename="count")
router.register("reorder-points", ReorderPointViewSet, basename="reorder-point")

urlpatterns = [
    *router.urls,
]
