"""The count pages, the low-stock page and reorder points, read as a person reads them."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from counts import services
from counts.models import Count, CountLine, ReorderPoint
from movements.models import Movement
from tests.factories import ItemFactory
from tests.helpers import level, snapshot
from tests.pages_support import client_for, csv_rows, html_of, text, texts

pytestmark = pytest.mark.django_db


@pytest.fixture
def count(stocked, chicago, manager):
    return services.count_start(location=chicago, user=manager)


def line_id(count, sku):
    return CountLine.objects.get(count=count, item__sku=sku).pk


def test_a_manager_starts_a_count_from_the_list(manager, stocked, chicago):
    client = client_for(manager)
    response = client.post("/counts/", {"location": "CHI", "skus": "", "note": "Aisle 4"})
    count = Count.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/counts/{count.pk}/"
    page = client.get(response["Location"])
    assert "Started count" in text(page) and "0 of 3 counted" in text(page)
    assert texts(page, "span", **{"class": "line-sku"}) == ["BOLT-M6", "LDR-4.1", "NUT-M6"]
    listing = client_for(manager).get("/counts/")
    assert texts(listing, "tr", **{"class": "count"})[0].startswith(f"Count {count.pk} Chicago Warehouse CHI Open 0 of 3")


def test_an_operator_may_not_start_a_count(operator, stocked):
    assert "Start a count" not in text(client_for(operator).get("/counts/"))
    assert client_for(operator).post("/counts/", {"location": "CHI"}).status_code == 403
    assert not Count.objects.exists()


def test_start_errors_name_the_skus(manager, stocked):
    response = client_for(manager).post("/counts/", {"location": "CHI", "skus": "LDR-4.1, NOPE"})
    assert response.status_code == 400 and "No item 'NOPE'." in text(response)
    client_for(manager).post("/counts/", {"location": "CHI", "skus": "LDR-4.1"})
    response = client_for(manager).post("/counts/", {"location": "CHI"})
    assert response.status_code == 400 and "Another open count of CHI already covers LDR-4.1." in text(response)


def test_the_sheet_is_blind_for_operators_and_saves_only_changed_fields(operator, count):
    client = client_for(operator)
    page = client.get(f"/counts/{count.pk}/")
    assert "Expected" not in text(page)
    response = client.post(f"/counts/{count.pk}/entries/", {
        f"counted-{line_id(count, 'LDR-4.1')}": "98", f"counted-{line_id(count, 'NUT-M6')}": "",
        f"counted-{line_id(count, 'BOLT-M6')}": "10"})
    assert response.status_code == 302
    page = client.get(f"/counts/{count.pk}/")
    assert "Saved 2 counts: BOLT-M6, LDR-4.1." in text(page) and "2 of 3 counted" in text(page)
    first = CountLine.objects.get(count=count, item__sku="LDR-4.1")
    # Saving again with the same numbers counts nothing again.
    client.post(f"/counts/{count.pk}/entries/", {f"counted-{first.pk}": "98"})
    assert CountLine.objects.get(pk=first.pk).counted_at == first.counted_at


def test_a_bad_number_saves_nothing(operator, count):
    response = client_for(operator).post(f"/counts/{count.pk}/entries/", {
        f"counted-{line_id(count, 'LDR-4.1')}": "98", f"counted-{line_id(count, 'NUT-M6')}": "1.5"}, follow=True)
    assert "NUT-M6: This item is counted in whole units (ea); send a whole number." in text(response)
    assert not CountLine.objects.filter(count=count, counted__isnull=False).exists()


def test_scanning_a_sku_brings_its_line_to_the_top_focused(operator, count):
    client = client_for(operator)
    response = client.get(f"/counts/{count.pk}/", {"scan": " nut-m6 "})
    assert response.status_code == 302 and response["Location"] == f"/counts/{count.pk}/?line=NUT-M6"
    page = client.get(response["Location"])
    assert texts(page, "span", **{"class": "line-sku"})[0] == "NUT-M6"
    assert f'id="counted-{line_id(count, "NUT-M6")}"' in page.content.decode()
    assert 'autofocus' in page.content.decode().split(f'id="counted-{line_id(count, "NUT-M6")}"')[1].split(">")[0]


def test_scanning_an_item_not_on_the_count_offers_it_as_found_stock(operator, count, chicago):
    ItemFactory(sku="FOUND-1", name="Stray part")
    client = client_for(operator)
    page = client.get(client.get(f"/counts/{count.pk}/", {"scan": "FOUND-1"})["Location"])
    assert "Not on this count: found stock" in text(page)
    client.post(f"/counts/{count.pk}/entries/", {"found-sku": "FOUND-1", "found-counted": "3"})
    line = CountLine.objects.get(count=count, item__sku="FOUND-1")
    assert (line.counted, line.found, line.expected) == (3, True, 0)


def test_scanning_an_unknown_sku_says_so(operator, count):
    client = client_for(operator)
    page = client.get(f"/counts/{count.pk}/", {"scan": "ZZZ"}, follow=True)
    assert "No item has the SKU 'ZZZ'." in text(page)


def test_printable_sheet_and_upload(operator, manager, count):
    client = client_for(operator)
    assert csv_rows(client.get(f"/counts/{count.pk}/sheet.csv")) == [
        ["sku", "counted", "item_name", "unit"],
        ["BOLT-M6", "", "Bolt M6", "ea"], ["LDR-4.1", "", "Lidar unit 4.1", "ea"], ["NUT-M6", "", "Nut M6", "ea"]]
    good = SimpleUploadedFile("counts.csv", b"sku,counted,item_name\nLDR-4.1,99,x\nnut-m6,5,\nBOLT-M6,,\n")
    page = client.post(f"/counts/{count.pk}/upload/", {"file": good}, follow=True)
    assert "Recorded 2 counts from counts.csv." in text(page)
    assert csv_rows(client_for(manager).get(f"/counts/{count.pk}/sheet.csv"))[2] == [
        "LDR-4.1", "99", "Lidar unit 4.1", "ea", "100", "-1"]


def test_an_upload_with_bad_rows_reports_every_one_and_records_nothing(operator, count):
    bad = SimpleUploadedFile("counts.csv", b"sku,counted\nLDR-4.1,99\nNOPE,1\nNUT-M6,-2\nBOLT-M6,x\nLDR-4.1,3\n")
    page = client_for(operator).post(f"/counts/{count.pk}/upload/", {"file": bad}, follow=True)
    messages = texts(page, "p", **{"class": "message"})
    assert messages == [
        "Row 3: no item has the SKU 'NOPE'.",
        "Row 4 (NUT-M6): A counted quantity cannot be negative.",
        "Row 5 (BOLT-M6): 'x' is not a number.",
        "Row 6: LDR-4.1 is on row 2 already.",
        "Nothing was recorded: correct the file and upload it again.",
    ]
    assert not CountLine.objects.filter(count=count, counted__isnull=False).exists()


def test_review_and_post(manager, operator, count, chicago):
    services.count_enter(count=count, entries=[(CountLine.objects.get(count=count, item__sku="LDR-4.1").item, "97")],
                         user=operator)
    client = client_for(manager)
    page = client.get(f"/counts/{count.pk}/review/")
    row = texts(page, "tr", **{"data-sku": "LDR-4.1"})[0]
    assert row.startswith("LDR-4.1 Lidar unit 4.1 100 ea 97 ea -3")
    assert "2 lines not counted" in text(page)
    response = client.post(f"/counts/{count.pk}/post/", {"uncounted": "ignore"}, follow=True)
    assert "Posted count" in text(response) and "1 correction recorded." in text(response)
    assert level(count.lines.get(item__sku="LDR-4.1").item, chicago) == Decimal("97")
    history = client.get("/items/LDR-4.1/history/")
    assert f'<a href="/counts/{count.pk}/">Count {count.pk}</a>' in history.content.decode()


def test_post_that_no_longer_fits_says_so_and_posts_nothing(manager, operator, count, chicago, milwaukee):
    from movements.services import transfer_create

    nut = count.lines.get(item__sku="NUT-M6").item
    services.count_enter(count=count, entries=[(nut, "1")], user=operator)
    transfer_create(item=nut, source=chicago, destination=milwaukee, quantity="3", user=operator)
    before = snapshot()
    page = client_for(manager).post(f"/counts/{count.pk}/post/", {"uncounted": "ignore"}, follow=True)
    assert "Nothing was posted: Only 2 of NUT-M6 available at CHI (4 requested)." in text(page)
    assert snapshot() == before


def test_operators_may_not_review_post_or_cancel(operator, count):
    client = client_for(operator)
    assert client.get(f"/counts/{count.pk}/review/").status_code == 403
    assert client.post(f"/counts/{count.pk}/post/").status_code == 403
    assert client.post(f"/counts/{count.pk}/cancel/").status_code == 403
    assert Count.objects.get().status == "open"


def test_cancel(manager, count):
    page = client_for(manager).post(f"/counts/{count.pk}/cancel/", follow=True)
    assert "Cancelled count" in text(page)
    assert Count.objects.get().status == "cancelled" and not Movement.objects.filter(reason__code="count_correction")


# --- low stock and reorder points ---------------------------------------------------------------

@pytest.fixture
def points(stocked, chicago, milwaukee, manager):
    never = ItemFactory(sku="NEVER-1", name="Never stocked")
    services.reorder_point_create(item=stocked["bolt"], location=chicago, minimum="20", target="50", user=manager)
    services.reorder_point_create(item=stocked["item"], location=chicago, minimum="50", user=manager)  # 100: fine
    services.reorder_point_create(item=never, location=milwaukee, minimum="4", user=manager)
    return never


def test_low_stock_page_and_export(operator, points):
    page = client_for(operator).get("/low-stock/")
    assert texts(page, "tr", **{"class": "low-row"}) == [
        "BOLT-M6 Bolt M6 Chicago Warehouse CHI 10 ea 20 ea 50 ea 40 ea",
        "NEVER-1 Never stocked Milwaukee Operations Center MKE 0 ea 4 ea — 4 ea",
    ]
    assert csv_rows(client_for(operator).get("/low-stock/export.csv?location=MKE")) == [
        ["SKU", "Item name", "Location code", "Location", "Unit", "Quantity", "Minimum", "Target", "To order"],
        ["NEVER-1", "Never stocked", "MKE", "Milwaukee Operations Center", "ea", "0", "4", "", "4"],
    ]


def test_the_inventory_page_and_export_take_below_minimum(operator, points):
    client = client_for(operator)
    page = client.get("/inventory/?below_minimum=true&search=bolt")
    assert texts(page, "tr", **{"class": "low-row"}) == ["BOLT-M6 Bolt M6 Chicago Warehouse CHI 10 ea 20 ea 50 ea 40 ea"]
    assert csv_rows(client.get("/inventory/export.csv?below_minimum=true")) == [
        ["SKU", "Item name", "Location", "Quantity", "Unit", "Location code"],
        ["BOLT-M6", "Bolt M6", "Chicago Warehouse", "10", "ea", "CHI"],
        ["NEVER-1", "Never stocked", "Milwaukee Operations Center", "0", "ea", "MKE"]]
    # Without it, the inventory is as it always was.
    assert "LDR-4.1" in text(client.get("/inventory/"))
    assert len(csv_rows(client.get("/inventory/export.csv"))) == 4


def test_managers_set_and_remove_reorder_points(manager, operator, stocked):
    client = client_for(manager)
    response = client.post("/reorder-points/", {"sku": "nut-m6", "location": "CHI", "minimum": "8", "target": "12"},
                           follow=True)
    assert "NUT-M6 at CHI: minimum 8, target 12." in text(response)
    client.post("/reorder-points/", {"sku": "NUT-M6", "location": "CHI", "minimum": "6", "target": ""})
    point = ReorderPoint.objects.get()
    assert (point.minimum, point.target) == (6, None)
    response = client.post("/reorder-points/", {"sku": "NUT-M6", "location": "CHI", "minimum": "9", "target": "2"})
    assert response.status_code == 400 and "The target cannot be below the minimum." in text(response)
    assert client_for(operator).post("/reorder-points/", {"delete": point.pk}).status_code == 403
    client.post("/reorder-points/", {"delete": point.pk})
    assert not ReorderPoint.objects.exists()


def test_the_inventory_page_offers_below_minimum_as_a_filter(operator, points):
    page = client_for(operator).get("/inventory/")

    assert '<input type="checkbox" id="filter-below-minimum" name="below_minimum" value="true">' in html_of(page)
    assert '<label for="filter-below-minimum">Below minimum</label>' in html_of(page)


# --- large counts are posted by a background job (eager here: no broker) -------------------------

def test_a_count_past_the_job_limit_is_posted_by_a_job_once(settings, manager, operator, count, chicago, tmp_path):
    from hardfin.models import Job

    settings.HARDFIN_COUNT_POST_JOB_LINES = 2
    settings.JOBS_DIR = tmp_path
    services.count_enter(count=count, entries=[(CountLine.objects.get(count=count, item__sku="LDR-4.1").item, "97")],
                         user=operator)
    client = client_for(manager)
    response = client.post(f"/counts/{count.pk}/post/", {"uncounted": "ignore"})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.status == "done" and job.kind == "count_post" and job.progress == job.total == count.lines.count()
    page = text(client.get(response["Location"]))
    assert "Posted count" in page and "1 correction recorded." in page
    assert level(count.lines.get(item__sku="LDR-4.1").item, chicago) == Decimal("97")
    # Posting again finds the same job; nothing is adjusted twice.
    again = client.post(f"/counts/{count.pk}/post/", {"uncounted": "ignore"})
    assert again["Location"] == response["Location"] and Job.objects.count() == 1
    assert Movement.objects.filter(note=f"Count {count.pk}").count() == 1


def test_a_count_job_that_cannot_post_fails_with_the_reason_and_posts_nothing(settings, manager, count):
    from hardfin.models import Job

    settings.HARDFIN_COUNT_POST_JOB_LINES = 2
    before = snapshot()
    response = client_for(manager).post(f"/counts/{count.pk}/post/")
    job = Job.objects.get()
    assert job.status == "failed" and "not counted yet" in job.error
    assert "not counted yet" in text(client_for(manager).get(response["Location"]))
    assert snapshot() == before
    # Once counted, posting again retries the same job, which now posts.
    lines = [(line.item, "1") for line in count.lines.select_related("item")]
    services.count_enter(count=count, entries=lines, user=manager)
    again = client_for(manager).post(f"/counts/{count.pk}/post/")
    assert again["Location"] == response["Location"]
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == 2 and not job.error
