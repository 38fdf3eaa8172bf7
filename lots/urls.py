"""Stock pages, which read lots: /inventory/ (and its CSV export) and /items/<sku>/."""

from django.urls import path

import hardfin.converters  # noqa: F401  (registers <sku:…> and <code:…>)

from . import views

app_name = "lots"

urlpatterns = [
    path("inventory/", views.InventoryView.as_view(), name="inventory"),
    path("inventory/export.csv", views.StockExportView.as_view(), name="inventory-export"),
    path("items/<sku:sku>/", views.ItemStockView.as_view(), name="item"),
]
