"""A first run as a newcomer meets it: the sign-in page names the demo accounts (DEBUG and
demo data only), docs/api.md's examples run as written against the demo, the example CSVs
import into it, and bin/run installs the runtime dependencies only."""

import json
import os
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient
from tablib import Dataset

from inventory.models import Item, Location, Supplier
from inventory.resources import ItemResource
from movements.imports import opening_balances_import, opening_balances_read
from movements.management.commands.seed_demo import DEMO_PASSWORD
from movements.management.commands.seed_demo import Command as SeedDemo
from tests.helpers import level
from tests.pages_support import texts

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=open(os.devnull, "w"))


@pytest.fixture
def demo_users(db):
    """The demo's accounts as seed_demo creates them (its history is not needed here)."""
    SeedDemo()._users()


# --- the sign-in page --------------------------------------------------------------------------

def test_the_sign_in_page_lists_the_demo_accounts_with_debug_on(demo_users, settings):
    settings.DEBUG = True
    response = Client().get("/accounts/login/")
    assert texts(response, "tr", class_="demo-account") == [
        "operator receive, transfer, build, replace",
        "manager everything, adjustments and the admin included",
        "accountant view, export and adjust",
        "admin superuser: everything",
    ]
    assert f"Every demo account's password is {DEMO_PASSWORD}." in texts(response, "section", class_="demo-accounts")[0]


def test_the_sign_in_page_names_no_account_with_debug_off(demo_users, settings):
    settings.DEBUG = False
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    assert texts(response, "section", class_="demo-accounts") == []
    assert DEMO_PASSWORD not in response.content.decode()


def test_the_sign_in_page_names_no_account_without_the_demo_data(db, settings):
    settings.DEBUG = True
    assert texts(Client().get("/accounts/login/"), "section", class_="demo-accounts") == []


def test_the_sign_in_page_lists_only_demo_accounts_that_still_exist(demo_users, settings):
    from django.contrib.auth import get_user_model

    settings.DEBUG = True
    get_user_model().objects.filter(username="admin").update(is_active=False)
    rows = texts(Client().get("/accounts/login/"), "tr", class_="demo-account")
    assert [row.split()[0] for row in rows] == ["operator", "manager", "accountant"]


# --- docs/api.md against the demo ------------------------------------------------------------------

def api_examples() -> str:
    """The shell code of docs/api.md's Tokens and worked-example sections."""
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    return "\n".join(re.findall(r"```sh\n(.*?)```", text, re.S))


def test_the_worked_example_of_api_md_runs_as_written_against_the_demo(demo):
    shell = api_examples()
    [username] = re.findall(r"drf_create_token (\w+)", shell)
    call_command("drf_create_token", username, stdout=open(os.devnull, "w"))
    [body] = re.findall(r"-X POST http://127\.0\.0\.1:8000/api/auth/token/.*?-d '(.*?)'", shell, re.S)
    credentials = json.loads(body)
    assert credentials["username"] == username
    client = APIClient()
    response = client.post("/api/auth/token/", credentials, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    worked = shell.split("API=http://127.0.0.1:8000/api", 1)[1]
    posts = re.findall(r"-X POST \$API/(\S+)\s+-d '(.*?)'", worked, re.S)
    assert len(posts) >= 5
    for path, body in posts:
        response = client.post(f"/api/{path}", json.loads(body), format="json")
        assert response.status_code == 201, (path, response.content)
    for path in re.findall(r'curl -s -H "\$H" (?:-o \S+ )?"\$API/([^"]+)"', worked):
        response = client.get(f"/api/{path}")
        assert response.status_code == 200, (path, getattr(response, "content", b""))
    # What the comments promise: Chicago 155, Milwaukee 145 of the new item.
    [sku] = {json.loads(body).get("sku") for path, body in posts if path == "items/"}
    item = Item.objects.get(sku=sku)
    assert level(item, Location.objects.get(code="CHI")) == Decimal("155")
    assert level(item, Location.objects.get(code="MKE")) == Decimal("145")


# --- the example CSVs import into the demo ------------------------------------------------------------

def test_the_example_csvs_import_into_the_demo(demo):
    from django.contrib.auth import get_user_model

    manager = get_user_model().objects.get(username="manager")
    items = Dataset().load((ROOT / "docs" / "examples" / "items.csv").read_text(encoding="utf-8"), format="csv")
    result = ItemResource().import_data(items, dry_run=False, raise_errors=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert Item.objects.filter(sku__in=["CBL-7", "SCR-M3"]).count() == 2
    text = (ROOT / "docs" / "examples" / "opening-balances.csv").read_text(encoding="utf-8")
    suppliers = {row["supplier"] for row in opening_balances_read(text) if row["supplier"]}
    assert suppliers <= set(Supplier.objects.values_list("code", flat=True))
    movements = opening_balances_import(rows=opening_balances_read(text), user=manager)
    assert len(movements) == 5


# --- bin/run installs the runtime dependencies only ---------------------------------------------------

FAKE_PYTHON = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/../calls"
"""


@pytest.mark.parametrize("script, expected", [("HARDFIN_EXTRAS=", "-e ."), ("HARDFIN_EXTRAS=test", "-e .[test]")])
def test_bin_venv_installs_the_test_extra_only_for_bin_test(tmp_path, script, expected):
    """bin/_venv sourced as bin/run and bin/test source it, over a stand-in .venv whose python
    records how pip was asked to install."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "_venv").write_text((ROOT / "bin" / "_venv").read_text())
    (tmp_path / "pyproject.toml").write_text("")
    venv = tmp_path / ".venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "python").write_text(FAKE_PYTHON)
    (venv / "python").chmod(0o755)
    (venv / "activate").write_text("")
    subprocess.run(["bash", "-c", f"{script} . bin/_venv"], cwd=tmp_path, check=True, capture_output=True)
    calls = (tmp_path / ".venv" / "calls").read_text().splitlines()
    assert calls[-1] == f"-m pip install --quiet {expected}"
    assert any(line.startswith(f"{script} . bin/_venv") or line.startswith(f"{script.split('=')[0]}=")
               for line in (ROOT / ("bin/test" if "test" in script else "bin/run")).read_text().splitlines())
