"""Pages of counts and low stock. ``inventory/`` and its export take ``below_minimum`` through
``views.InventoryOrLowStockView`` and ``views.InventoryExportOrLowStockView``, which the reports
app (above this one) mounts behind its ``as_of`` pages at those addresses."""

from django.urls import path

from . import views

app_name = "counts"

urlpatterns = [
    path("counts/", views.CountListView.as_view(), name="list"),
    path("counts/<int:pk>/", views.CountSheetView.as_view(), name="sheet"),
    path("counts/<int:pk>/entries/", views.CountEntriesView.as_view(), name="entries"),
    path("counts/<int:pk>/upload/", views.CountUploadView.as_view(), name="upload"),
    path("counts/<int:pk>/sheet.csv", views.CountSheetCsvView.as_view(), name="sheet-csv"),
    path("counts/<int:pk>/review/", views.CountReviewView.as_view(), name="review"),
    path("counts/<int:pk>/post/", views.CountActionView.as_view(action="post"), name="post"),
    path("counts/<int:pk>/cancel/", views.CountActionView.as_view(action="cancel"), name="cancel"),
    path("low-stock/", views.LowStockView.as_view(), name="low-stock"),
    path("low-stock/export.csv", views.LowStockExportView.as_view(), name="low-stock-export"),
    path("reorder-points/", views.ReorderPointsView.as_view(), name="reorder-points"),
]
