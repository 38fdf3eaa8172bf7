"""Movement forms (/transfers/new/ …) and an item's ledger pages (/items/<sku>/history/ …)."""

from django.urls import path

import hardfin.converters  # noqa: F401  (registers <sku:…> and <code:…>)

from . import views

app_name = "movements"

urlpatterns = [
    path("transfers/new/", views.TransferFormView.as_view(), name="transfer"),
    path("adjustments/new/", views.AdjustmentFormView.as_view(), name="adjustment"),
    path("receipts/new/", views.ReceiptFormView.as_view(), name="receipt"),
    path("builds/new/", views.BuildFormView.as_view(), name="build"),
    path("replacements/new/", views.ReplacementFormView.as_view(), name="replacement"),
    path("items/<sku:sku>/history/", views.ItemHistoryView.as_view(), name="item-history"),
    path("items/<sku:sku>/batches/", views.ItemBatchesView.as_view(), name="item-batches"),
    path("items/<sku:sku>/batches/<int:number>/", views.BatchTraceView.as_view(), name="batch-trace"),
]
