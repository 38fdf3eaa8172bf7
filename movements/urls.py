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

# The ledger across items, one movement's document, a location, the open shortfalls.
urlpatterns += [
    path("movements/", views.LedgerView.as_view(), name="ledger"),
    path("movements/export.csv", views.LedgerExportView.as_view(), name="ledger-export"),
    path("movements/<int:pk>/", views.MovementDocumentView.as_view(), name="document"),
    path("locations/<code:code>/", views.LocationView.as_view(), name="location"),
    path("shortfalls/", views.ShortfallsView.as_view(), name="shortfalls"),
]
