"""Helpers for the admin and CSV tests: URLs, signed-in clients, CSV downloads and the
django-import-export upload flow (preview, then confirm). Stock is set up with tests/stock.py
and the fixtures of tests/conftest.py."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

#: Formula-like cells and what every export must turn them into.
FORMULAS = {"=cmd": "'=cmd", "+1": "'+1", "-1+1": "'-1+1", "@SUM(A1)": "'@SUM(A1)"}


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def admin_url(model, view: str = "changelist", *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def signed_in(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def csv_text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8-sig")


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_text(response))))


def export(client, model, query: str = ""):
    """Download the admin's CSV export of ``model``'s changelist filtered by ``query``, with
    every column ticked as the export page offers them."""
    url = f"{admin_url(model, 'export')}?{query}"
    form = client.get(url).context["form"]
    columns = {name: "on" for name, field in form.fields.items() if getattr(field, "is_selectable_field", False)}
    response = client.post(url, {"format": "0", "resource": "0", **columns})
    assert response.status_code == 200, response.content[:500]
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    return response


def csv_file(text: str, name: str = "upload.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def import_preview(client, model, text: str):
    """Upload ``text`` to the admin import of ``model``: the dry-run preview page."""
    return client.post(admin_url(model, "import"), {"import_file": csv_file(text), "format": "0", "resource": "0"})


def import_confirm(client, model, preview):
    """Confirm the import previewed in ``preview``."""
    form = preview.context["confirm_form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    return client.post(admin_url(model, "process_import"), data)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []
