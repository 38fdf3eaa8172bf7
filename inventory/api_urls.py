"""API routes of the catalog and of stock levels (mounted under /api/ by hardfin.api_urls)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import (
    ItemViewSet,
    LocationViewSet,
    StockByItemView,
    StockByLocationView,
    StockExportView,
    StockRowsView,
    SupplierViewSet,
)

router = SimpleRouter()
router.register("items", ItemViewSet, basename="item")
router.register("locations", LocationViewSet, basename="location")
router.register("suppliers", SupplierViewSet, basename="supplier")

urlpatterns = [
    path("stock/", StockRowsView.as_view(), name="stock-list"),
    path("stock/by-item/", StockByItemView.as_view(), name="stock-by-item"),
    path("stock/by-location/", StockByLocationView.as_view(), name="stock-by-location"),
    path("stock/export.csv", StockExportView.as_view(), name="stock-export"),
    *router.urls,
]
