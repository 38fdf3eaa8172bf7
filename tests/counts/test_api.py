"""API.md v1.1 "Counts (stocktake)": every rule, as a client sees it."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from movements.models import Movement
from movements.services import Line, build_create, receipt_create, transfer_create
from tests.api_support import receive
from tests.factories import ItemFactory, LocationFactory
from tests.helpers import level, lots_at, snapshot

pytestmark = pytest.mark.django_db


def start(api, user, **body):
    return api(user).post("/api/counts/", {"location": "CHI", **body}, format="json")


def enter(api, user, count_id, *lines):
    return api(user).post(f"/api/counts/{count_id}/entries/",
                          {"lines": [{"sku": sku, "counted": counted} for sku, counted in lines]}, format="json")


def lines_by_sku(body):
    return {line["sku"]: line for line in body["lines"]}


def test_a_count_starts_with_every_item_held_there(api, manager, stocked, milwaukee, supplier, operator):
    receive(item=ItemFactory(sku="ELSEWHERE"), location=milwaukee, supplier=supplier, user=operator, quantity="3")
    response = start(api, manager, note="Q4 stocktake")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["location"] == "CHI" and body["status"] == "open" and body["note"] == "Q4 stocktake"
    assert body["started_by"] == "manny" and body["posted_at"] is None and body["adjustments"] == []
    assert [line["sku"] for line in body["lines"]] == ["BOLT-M6", "LDR-4.1", "NUT-M6"]
    assert body["lines"][0] == {
        "sku": "BOLT-M6", "item_name": "Bolt M6", "unit": "ea", "counted": None, "counted_at": None,
        "counted_by": None, "expected": None, "variance": None, "found": False,
    }


def test_a_count_of_chosen_skus(api, accountant, stocked):
    response = start(api, accountant, skus=["ldr-4.1", "NUT-M6"])
    assert response.status_code == 201
    assert [line["sku"] for line in response.json()["lines"]] == ["LDR-4.1", "NUT-M6"]


def test_an_item_with_only_an_empty_lot_is_on_the_count(api, manager, stocked, chicago, milwaukee, operator):
    transfer_create(item=stocked["nut"], source=chicago, destination=milwaukee, quantity="5", user=operator)
    response = start(api, manager)
    assert "NUT-M6" in lines_by_sku(response.json())


def test_expected_is_the_level_at_the_moment_of_counting(api, manager, stocked, chicago, milwaukee, operator):
    count = start(api, manager).json()
    assert enter(api, operator, count["id"], ("LDR-4.1", "98")).status_code == 200
    # Stock moves while the count is open: the line counted before keeps what it was compared with.
    transfer_create(item=stocked["item"], source=chicago, destination=milwaukee, quantity="30", user=operator)
    assert enter(api, operator, count["id"], ("BOLT-M6", "10")).status_code == 200
    lines = lines_by_sku(api(manager).get(f"/api/counts/{count['id']}/").json())
    assert (lines["LDR-4.1"]["expected"], lines["LDR-4.1"]["variance"]) == ("100", "-2")
    assert (lines["BOLT-M6"]["expected"], lines["BOLT-M6"]["variance"]) == ("10", "0")
    assert lines["LDR-4.1"]["counted_by"] == "olivia" and lines["LDR-4.1"]["counted_at"]

    posted = api(manager).post(f"/api/counts/{count['id']}/post/", {"uncounted": "ignore"}, format="json")
    assert posted.status_code == 200, posted.json()
    # The variance (-2) is posted against today's 70: 68 at Chicago.
    assert level(stocked["item"], chicago) == Decimal("68")
    [adjustment] = Movement.objects.filter(pk__in=posted.json()["adjustments"])
    assert (adjustment.kind, adjustment.direction, adjustment.quantity) == ("adjustment", "down", Decimal("2"))
    assert adjustment.reason.code == "count_correction" and adjustment.note == f"Count {count['id']}"


def test_operators_count_blind_until_the_count_is_closed(api, manager, operator, stocked):
    count = start(api, manager).json()
    response = enter(api, operator, count["id"], ("LDR-4.1", "97"))
    line = lines_by_sku(response.json())["LDR-4.1"]
    assert (line["counted"], line["expected"], line["variance"]) == ("97", None, None)
    line = lines_by_sku(api(operator).get(f"/api/counts/{count['id']}/").json())["LDR-4.1"]
    assert (line["expected"], line["variance"]) == (None, None)
    # Managers and Accountants see them while it is open.
    line = lines_by_sku(api(manager).get(f"/api/counts/{count['id']}/").json())["LDR-4.1"]
    assert (line["expected"], line["variance"]) == ("100", "-3")
    api(manager).post(f"/api/counts/{count['id']}/cancel/")
    line = lines_by_sku(api(operator).get(f"/api/counts/{count['id']}/").json())["LDR-4.1"]
    assert (line["expected"], line["variance"]) == ("100", "-3")


def test_counting_a_line_again_replaces_the_count(api, manager, operator, stocked):
    count = start(api, manager).json()
    enter(api, operator, count["id"], ("LDR-4.1", "90"))
    response = enter(api, manager, count["id"], ("LDR-4.1", "101"))
    line = lines_by_sku(response.json())["LDR-4.1"]
    assert (line["counted"], line["counted_by"], line["variance"]) == ("101", "manny", "1")


def test_a_sku_not_on_the_count_is_added_as_found_stock(api, manager, operator, stocked):
    ItemFactory(sku="SURPRISE", name="Found it")
    count = start(api, manager, skus=["LDR-4.1"]).json()
    response = enter(api, operator, count["id"], ("SURPRISE", "4"))
    assert response.status_code == 200
    line = lines_by_sku(response.json())["SURPRISE"]
    assert (line["counted"], line["found"]) == ("4", True)
    posted = api(manager).post(f"/api/counts/{count['id']}/post/", {"uncounted": "ignore"}, format="json").json()
    assert lines_by_sku(posted)["SURPRISE"]["expected"] == "0"
    [movement] = Movement.objects.filter(pk__in=posted["adjustments"])
    assert (movement.item.sku, movement.direction, movement.quantity) == ("SURPRISE", "up", Decimal("4"))


@pytest.mark.parametrize("counted, message", [
    ("-1", "A counted quantity cannot be negative."),
    ("2.5", "This item is counted in whole units (ea); send a whole number."),
    ("abc", "'abc' is not a number."),
    (None, None),
])
def test_bad_entries_are_refused_whole(api, manager, operator, stocked, counted, message):
    count = start(api, manager).json()
    response = api(operator).post(f"/api/counts/{count['id']}/entries/", {"lines": [
        {"sku": "BOLT-M6", "counted": "9"}, {"sku": "LDR-4.1", "counted": counted}]}, format="json")
    assert response.status_code == 400
    errors = response.json()["lines"]
    assert errors[0] == {}
    if message:
        assert errors[1] == {"counted": [message]}
    assert all(line["counted"] is None for line in api(manager).get(f"/api/counts/{count['id']}/").json()["lines"])


def test_zero_is_a_count(api, manager, operator, stocked, chicago):
    count = start(api, manager).json()
    enter(api, operator, count["id"], ("NUT-M6", 0), ("BOLT-M6", "10"), ("LDR-4.1", "100"))
    posted = api(manager).post(f"/api/counts/{count['id']}/post/").json()
    assert lines_by_sku(posted)["NUT-M6"]["variance"] == "-5"
    assert level(stocked["nut"], chicago) == 0


def test_unknown_sku_is_400(api, manager, operator, stocked):
    count = start(api, manager).json()
    response = enter(api, operator, count["id"], ("NOPE", "1"))
    assert response.status_code == 400
    assert response.json()["lines"] == [{"sku": ["No item 'NOPE'."]}]


def test_posting_an_incomplete_count_is_refused_with_the_skus(api, manager, operator, stocked):
    count = start(api, manager).json()
    enter(api, operator, count["id"], ("LDR-4.1", "100"))
    before = snapshot()
    response = api(manager).post(f"/api/counts/{count['id']}/post/")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "count_incomplete" and body["skus"] == ["BOLT-M6", "NUT-M6"] and body["detail"]
    assert snapshot() == before
    assert api(manager).get(f"/api/counts/{count['id']}/").json()["status"] == "open"


def test_uncounted_ignore_leaves_them_uncounted(api, manager, operator, stocked, chicago):
    count = start(api, manager).json()
    enter(api, operator, count["id"], ("LDR-4.1", "99"))
    body = api(manager).post(f"/api/counts/{count['id']}/post/", {"uncounted": "ignore"}, format="json").json()
    assert body["status"] == "posted" and body["posted_by"] == "manny" and body["posted_at"]
    lines = lines_by_sku(body)
    assert (lines["BOLT-M6"]["counted"], lines["BOLT-M6"]["expected"], lines["BOLT-M6"]["variance"]) == (None,) * 3
    assert len(body["adjustments"]) == 1
    assert (level(stocked["bolt"], chicago), level(stocked["item"], chicago)) == (10, 99)


def test_uncounted_zero_counts_them_as_zero_when_posting(api, manager, operator, stocked, chicago, milwaukee):
    count = start(api, manager).json()
    enter(api, operator, count["id"], ("LDR-4.1", "100"))
    transfer_create(item=stocked["bolt"], source=chicago, destination=milwaukee, quantity="4", user=operator)
    body = api(manager).post(f"/api/counts/{count['id']}/post/", {"uncounted": "zero"}, format="json").json()
    lines = lines_by_sku(body)
    # Expected at the moment of posting: 6 bolts after the transfer.
    assert (lines["BOLT-M6"]["counted"], lines["BOLT-M6"]["expected"], lines["BOLT-M6"]["variance"]) == (
        "0", "6", "-6")
    assert lines["BOLT-M6"]["counted_by"] == "manny"
    assert (level(stocked["bolt"], chicago), level(stocked["nut"], chicago)) == (0, 0)
    assert len(body["adjustments"]) == 2


def test_uncounted_must_be_ignore_or_zero(api, manager, stocked):
    count = start(api, manager).json()
    response = api(manager).post(f"/api/counts/{count['id']}/post/", {"uncounted": "guess"}, format="json")
    assert response.status_code == 400 and "uncounted" in response.json()


def test_posting_is_all_or_nothing_when_a_correction_no_longer_fits(api, manager, operator, stocked, chicago,
                                                                     milwaukee):
    count = start(api, manager).json()
    enter(api, operator, count["id"], ("LDR-4.1", "110"), ("BOLT-M6", "2"), ("NUT-M6", "5"))
    # The 8 missing bolts cannot come off any more: 7 left Chicago since they were counted.
    transfer_create(item=stocked["bolt"], source=chicago, destination=milwaukee, quantity="7", user=operator)
    before = snapshot()
    response = api(manager).post(f"/api/counts/{count['id']}/post/")
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["sku"], body["location"], body["requested"], body["available"]) == (
        "insufficient_stock", "BOLT-M6", "CHI", "8", "3")
    assert snapshot() == before
    assert api(manager).get(f"/api/counts/{count['id']}/").json()["status"] == "open"


def test_posting_up_and_down_and_reconcile_is_clean(api, manager, operator, stocked, chicago, capsys):
    count = start(api, manager).json()
    enter(api, operator, count["id"], ("LDR-4.1", "104"), ("BOLT-M6", "7"), ("NUT-M6", "5"))
    body = api(manager).post(f"/api/counts/{count['id']}/post/").json()
    assert len(body["adjustments"]) == 2
    ups = Movement.objects.filter(pk__in=body["adjustments"], to_location=chicago)
    assert [(m.item.sku, m.quantity, m.lines.get().batch.label) for m in ups] == [("LDR-4.1", Decimal("4"), "0002")]
    assert lots_at(stocked["item"], chicago) == {"0001": Decimal("100"), "0002": Decimal("4")}
    assert level(stocked["bolt"], chicago) == 7
    call_command("reconcile")
    assert "mismatch" not in capsys.readouterr().out.lower()


def test_expected_counts_an_open_shortfall(api, manager, operator, stocked, chicago):
    build_create(location=chicago, reference="WO-1", lines=[Line(stocked["nut"], "8")], user=operator,
                 allow_shortfall=True)
    count = start(api, manager, skus=["NUT-M6"]).json()
    line = lines_by_sku(enter(api, manager, count["id"], ("NUT-M6", "0")).json())["NUT-M6"]
    assert (line["expected"], line["variance"]) == ("-3", "3")
    api(manager).post(f"/api/counts/{count['id']}/post/")
    assert level(stocked["nut"], chicago) == 0
    call_command("reconcile")


@pytest.mark.parametrize("action, body", [("entries", {"lines": [{"sku": "LDR-4.1", "counted": "1"}]}),
                                          ("post", {}), ("cancel", {})])
@pytest.mark.parametrize("closing", ["post", "cancel"])
def test_a_closed_count_takes_nothing_more(api, manager, operator, stocked, action, body, closing):
    count = start(api, manager).json()
    api(manager).post(f"/api/counts/{count['id']}/{closing}/", {"uncounted": "ignore"}, format="json")
    before = snapshot()
    response = api(manager).post(f"/api/counts/{count['id']}/{action}/", body, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "count_closed" and response.json()["detail"]
    assert snapshot() == before


def test_two_open_counts_may_not_cover_one_item_location(api, manager, operator, stocked, milwaukee):
    first = start(api, manager, skus=["LDR-4.1", "BOLT-M6"]).json()
    response = start(api, manager)
    assert response.status_code == 409
    assert response.json()["code"] == "count_overlaps" and response.json()["skus"] == ["BOLT-M6", "LDR-4.1"]
    # Other items there, or the same items elsewhere, are fine.
    second = start(api, manager, skus=["NUT-M6"])
    assert second.status_code == 201
    assert api(manager).post("/api/counts/", {"location": "MKE", "skus": ["LDR-4.1"]}, format="json").status_code == 201
    # Found stock that the other open count covers is refused too.
    response = enter(api, operator, second.json()["id"], ("LDR-4.1", "3"))
    assert response.status_code == 409
    assert response.json()["code"] == "count_overlaps" and response.json()["skus"] == ["LDR-4.1"]
    # Once the first is closed, its items may be counted again.
    api(manager).post(f"/api/counts/{first['id']}/cancel/")
    assert enter(api, operator, second.json()["id"], ("LDR-4.1", "3")).status_code == 200


def test_list_filters_and_open_first(api, manager, operator, stocked, milwaukee):
    first = start(api, manager, skus=["LDR-4.1"]).json()
    api(manager).post(f"/api/counts/{first['id']}/cancel/")
    second = api(manager).post("/api/counts/", {"location": "MKE", "skus": ["LDR-4.1"]}, format="json").json()
    body = api(operator).get("/api/counts/").json()
    assert [row["id"] for row in body["results"]] == [second["id"], first["id"]]
    assert "lines" not in body["results"][0]
    assert [r["id"] for r in api(operator).get("/api/counts/?status=cancelled").json()["results"]] == [first["id"]]
    assert [r["id"] for r in api(operator).get("/api/counts/?location=mke").json()["results"]] == [second["id"]]
    assert api(operator).get("/api/counts/?status=bogus").json()["results"] == []


@pytest.mark.parametrize("role, start_status, enter_status, post_status", [
    ("operator", 403, 200, 403),
    ("manager", 201, 200, 200),
    ("accountant", 201, 200, 200),
    ("nobody", 403, 403, 403),
])
def test_roles(api, request, manager, stocked, role, start_status, enter_status, post_status):
    user = request.getfixturevalue(role)
    assert start(api, user, skus=["NUT-M6"]).status_code == start_status
    count = start(api, manager, skus=["LDR-4.1"]).json()
    assert enter(api, user, count["id"], ("LDR-4.1", "100")).status_code == enter_status
    assert api(user).post(f"/api/counts/{count['id']}/post/", {"uncounted": "ignore"},
                          format="json").status_code == post_status
    assert api(None).get("/api/counts/").status_code == 401


def test_start_refuses_bad_input(api, manager, stocked):
    LocationFactory(code="OLD", is_active=False)
    assert start(api, manager, location="NOWHERE").status_code == 400
    assert start(api, manager, location="OLD").status_code == 400
    assert start(api, manager, skus=["NOPE"]).json()["skus"]
    assert start(api, manager, skus=[]).status_code == 400


def test_posting_many_lines_takes_a_bounded_number_of_statements(manager, operator, chicago, supplier,
                                                                  django_assert_max_num_queries):
    """Posting is set-based: 600 corrections (up and down) take about as many statements as 6."""
    from counts import services
    from inventory.models import Item

    items = Item.objects.bulk_create([Item(sku=f"S-{n:04d}", name=f"Part {n}") for n in range(600)])
    for start in range(0, 600, 200):
        receipt_create(supplier=supplier, location=chicago, po_number="PO-9",
                       lines=[Line(item, "10") for item in items[start:start + 200]], user=operator)
    count = services.count_start(location=chicago, user=manager)
    with django_assert_max_num_queries(30):
        services.count_enter(count=count, entries=[(item, str(8 + n % 3 * 2)) for n, item in enumerate(items)],
                             user=operator)
    with django_assert_max_num_queries(60):
        services.count_post(count=count, user=manager)
    levels = {item.sku: level(item, chicago) for item in items}
    assert levels["S-0000"] == 8 and levels["S-0001"] == 10 and levels["S-0002"] == 12
    assert Movement.objects.filter(reason__code="count_correction").count() == 400
    call_command("reconcile")


def test_bad_skus_on_a_new_count_are_one_list_of_messages(api, manager, stocked):
    response = start(api, manager, skus=["LDR-4.1", "A\u0000B", 7])
    assert response.status_code == 400
    assert response.json()["skus"] == ["No item 'A\\x00B'.", "7 is not a SKU: send SKUs as strings."]
