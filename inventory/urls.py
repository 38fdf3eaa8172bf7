"""Catalog lookups for the staff pages' pickers (mounted at /)."""

from django.urls import path

from . import views

app_name = "inventory"

urlpatterns = [
    path("lookup/items/", views.ItemSuggestionsView.as_view(), name="item-suggestions"),
]
