"""Time the admin's CSV imports at scale, as a Manager through the Django test client: the
check (dry-run preview) and the confirmation of each, with the number of SQL statements.

    SECRET_KEY=x .venv/bin/python bench/imports.py --rows 20000 --runs 3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hardfin_bench SECRET_KEY=x .venv/bin/python bench/imports.py

It makes a throw-away test database (a temporary SQLite file, or ``test_<name>`` next to the
PostgreSQL database of DATABASE_URL), migrates it, and removes it afterwards. Each run
imports a new file: new items, then the same SKUs again with new names (updates), new
locations and suppliers, and opening balances of the new items. The figures are the median
of ``--runs`` runs: wall-clock seconds, and the CPU seconds of this process (on SQLite that
includes the database's work; it is the better figure on a busy machine).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hardfin.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402


class Counter:
    """Counts the SQL statements run (without Django's debug cursor, which slows them)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed_post(client, url, data):
    counter = Counter()
    with connection.execute_wrapper(counter):
        start, cpu = time.perf_counter(), time.process_time()
        response = client.post(url, data)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return response, (elapsed, cpu), counter.count


def upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("bench.csv", text.encode(), content_type="text/csv")


def catalog_import(client, model: str, text: str):
    """Preview then confirm a django-import-export admin import; (preview, confirm) figures."""
    url = reverse(f"admin:{model}_import")
    preview, check_s, check_q = timed_post(client, url, {"import_file": upload(text), "format": "0", "resource": "0"})
    assert preview.status_code == 200, preview.status_code
    form = preview.context["confirm_form"] if preview.context else None
    assert form is not None, preview.content.decode()[:3000]
    data = {name: form.initial.get(name, "") for name in form.fields}
    done, confirm_s, confirm_q = timed_post(client, reverse(f"admin:{model}_process_import"), data)
    assert done.status_code == 302, done.content.decode()[:3000]
    return (check_s, check_q, len(preview.content)), (confirm_s, confirm_q)


def opening_balances(client, text: str):
    url = reverse("admin:movements_movement_opening_balances")
    preview, check_s, check_q = timed_post(client, url, {"file": upload(text)})
    assert preview.status_code == 200 and "confirm_form" in preview.context, preview.content.decode()[:3000]
    form = preview.context["confirm_form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    done, confirm_s, confirm_q = timed_post(client, url, data)
    assert done.status_code == 302, done.content.decode()[:3000]
    return (check_s, check_q, len(preview.content)), (confirm_s, confirm_q)


def items_csv(run: int, rows: int, name: str = "Part") -> str:
    lines = ["sku,name,description,unit,fractional,is_active"]
    lines += [f"R{run}-{n:06d},{name} {n},Bench item,ea,false,true" for n in range(rows)]
    return "\n".join(lines) + "\n"


def codes_csv(prefix: str, run: int, rows: int) -> str:
    return "\n".join(["code,name,is_active", *(f"{prefix}{run}-{n:06d},Place {n},true" for n in range(rows))]) + "\n"


def balances_csv(run: int, rows: int) -> str:
    lines = ["sku,location,quantity,supplier,po_number,received_at"]
    for n in range(rows):
        supplier, po = ("ACME", f"PO-{n % 50}") if n % 2 else ("", "")
        lines.append(f"R{run}-{n:06d},CHI,{1 + n % 7},{supplier},{po},2024-0{1 + n % 9}-1{n % 10}")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="items,updates,locations,suppliers,opening",
                        help="comma-separated: items, updates, locations, suppliers, opening")
    args = parser.parse_args()
    only = set(args.only.split(","))

    setup_test_environment()  # the client keeps each response's context
    tmp = tempfile.TemporaryDirectory()
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(Path(tmp.name) / "bench.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from inventory.services import location_create, supplier_create

        user = User.objects.create_user("bench-manager")
        user.groups.add(Group.objects.get(name="Managers"))
        client = Client()
        client.force_login(user)
        location_create(code="CHI", name="Chicago")
        supplier_create(code="ACME", name="Acme")

        # Warm up (URL patterns, templates, first queries) so that the first figure is like the others.
        catalog_import(client, "inventory_item", items_csv(99, 1))

        figures: dict[str, list] = {}

        def note(label, result):
            (check_s, check_q, size), (confirm_s, confirm_q) = result
            figures.setdefault(label, []).append((check_s, check_q, size, confirm_s, confirm_q))
            print(f"  {label:<18} check {check_s[0]:7.2f} s ({check_s[1]:6.2f} s CPU) {check_q:>7} queries "
                  f"{size / 1e6:6.2f} MB page;  confirm {confirm_s[0]:7.2f} s ({confirm_s[1]:6.2f} s CPU) "
                  f"{confirm_q:>7} queries", flush=True)

        for run in range(args.runs):
            print(f"run {run + 1} of {args.runs} ({connection.vendor}, {args.rows} rows)", flush=True)
            if only & {"items", "updates", "opening"}:
                note("items (new)", catalog_import(client, "inventory_item", items_csv(run, args.rows)))
            if "updates" in only:
                note("items (updates)", catalog_import(client, "inventory_item", items_csv(run, args.rows, "Renamed")))
            if "locations" in only:
                note("locations (new)", catalog_import(client, "inventory_location", codes_csv("L", run, args.rows)))
            if "suppliers" in only:
                note("suppliers (new)", catalog_import(client, "inventory_supplier", codes_csv("S", run, args.rows)))
            if "opening" in only:
                note("opening balances", opening_balances(client, balances_csv(run, args.rows)))

        print(f"\nmedian of {args.runs} ({connection.vendor}, {args.rows} rows):")
        for label, samples in figures.items():
            check = [statistics.median(s[0][i] for s in samples) for i in (0, 1)]
            confirm = [statistics.median(s[3][i] for s in samples) for i in (0, 1)]
            print(f"  {label:<18} check {check[0]:7.2f} s ({check[1]:6.2f} s CPU, {samples[0][1]} queries);"
                  f"  confirm {confirm[0]:7.2f} s ({confirm[1]:6.2f} s CPU, {samples[0][4]} queries)")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        tmp.cleanup()


if __name__ == "__main__":
    main()
