"""Stock pages: /inventory/ (and its CSV export) and /items/<sku>/."""

from django.urls import path

import hardfin.converters  # noqa: F401  (registers <code:…>)

from . import views

app_name = "inventory"

urlpatterns = [
    path("inventory/", views.InventoryView.as_view(), name="index"),
    path("inventory/export.csv", views.StockExportView.as_view(), name="export"),
    # SKUs may hold dots ("LDR-4.1") but never a slash, so <str:> takes the whole SKU.
    path("items/<code:sku>/", views.ItemStockView.as_view(), name="item"),
]
