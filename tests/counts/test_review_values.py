"""The review page values each variance where costs are known (issue 12): open, what posting now
would move (up at the newest known cost, down FIFO from the location's lots); posted, the value of
the adjustment that posted it; and the net total of the known values, rounded once."""

import pytest

from counts import services
from movements.services import Line, receipt_create
from tests.factories import ItemFactory
from tests.pages_support import client_for, text, texts

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted(item, chicago, supplier, operator, manager):
    """At Chicago: LDR-4.1 10 @ 10.00 (0001) and 20 @ 12.50 (0002); BOLT-M6 5 @ 2.00 and 5 of
    unknown cost; NUT-M6 5 of unknown cost. Counted: LDR-4.1 15 (15 missing), BOLT-M6 12 (2
    found), NUT-M6 3 (2 missing)."""
    bolt, nut = ItemFactory(sku="BOLT-M6", name="Bolt M6"), ItemFactory(sku="NUT-M6", name="Nut M6")
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1", user=operator,
                   lines=[Line(item, "10", "10.00"), Line(bolt, "5", "2.00"), Line(nut, "5")])
    receipt_create(supplier=supplier, location=chicago, po_number="PO-2", user=operator,
                   lines=[Line(item, "20", "12.50"), Line(bolt, "5")])
    count = services.count_start(location=chicago, user=manager)
    services.count_enter(count=count, entries=[(item, "15"), (bolt, "12"), (nut, "3")], user=operator)
    return count


def rows(page) -> dict[str, str]:
    return {sku: texts(page, "tr", data_sku=sku)[0] for sku in ("BOLT-M6", "LDR-4.1", "NUT-M6")}


def test_an_open_count_values_what_posting_would_move(manager, counted):
    page = client_for(manager).get(f"/counts/{counted.pk}/review/")
    assert "Value (USD)" in texts(page, "th")
    shown = rows(page)
    # 15 missing: FIFO takes all 10 of 0001 (100.00) and 5 of 0002 (62.50).
    assert shown["LDR-4.1"].startswith("LDR-4.1 Lidar unit 4.1 30 ea 15 ea -15 -162.50 ")
    # 2 found: a new batch at the newest known cost, 0001's 2.00 (0002's is unknown).
    assert shown["BOLT-M6"].startswith("BOLT-M6 Bolt M6 10 ea 12 ea +2 +4.00 ")
    assert shown["NUT-M6"].startswith("NUT-M6 Nut M6 5 ea 3 ea -2 unknown ")
    assert texts(page, "tr", class_="review-total") == [
        "Net value of the variances (1 line of unknown cost left out) -158.50"]
    assert "units missing from the location's oldest batches first (FIFO)" in text(page)


def test_a_posted_count_shows_the_value_each_adjustment_moved(manager, counted):
    client = client_for(manager)
    client.post(f"/counts/{counted.pk}/post/", {"uncounted": "ignore"})
    page = client.get(f"/counts/{counted.pk}/review/")
    shown = rows(page)
    assert " -15 -162.50 " in shown["LDR-4.1"] and " +2 +4.00 " in shown["BOLT-M6"]
    assert " -2 unknown " in shown["NUT-M6"]
    assert texts(page, "tr", class_="review-total") == [
        "Net value of the variances (1 line of unknown cost left out) -158.50"]
    assert "the value of the adjustment that posted it" in text(page)


def test_lines_without_a_variance_and_cancelled_counts_have_no_value(manager, operator, counted, item):
    services.count_enter(count=counted, entries=[(item, "30")], user=operator)
    page = client_for(manager).get(f"/counts/{counted.pk}/review/")
    assert rows(page)["LDR-4.1"].startswith("LDR-4.1 Lidar unit 4.1 30 ea 30 ea 0 — ")
    assert texts(page, "tr", class_="review-total") == [
        "Net value of the variances (1 line of unknown cost left out) +4.00"]
    services.count_cancel(count=counted, user=manager)
    page = client_for(manager).get(f"/counts/{counted.pk}/review/")
    assert " +2 — " in rows(page)["BOLT-M6"] and not texts(page, "tr", class_="review-total")


def test_the_total_is_the_exact_sum_rounded_once(manager, operator, chicago, supplier):
    items = [ItemFactory(sku=f"W-{n}") for n in range(2)]
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1", user=operator,
                   lines=[Line(one, "10", "0.0025") for one in items])
    count = services.count_start(location=chicago, user=manager)
    services.count_enter(count=count, entries=[(one, "12") for one in items], user=operator)
    page = client_for(manager).get(f"/counts/{count.pk}/review/")
    # Each line is 2 × 0.0025 = 0.005 → +0.01 shown; the total 0.01 exact → +0.01, not 0.02.
    assert texts(page, "td", class_="variance-value") == ["+0.01", "+0.01"]
    assert texts(page, "tr", class_="review-total") == ["Net value of the variances +0.01"]


def test_the_review_queries_do_not_grow_with_lines(manager, operator, chicago, supplier,
                                                   django_assert_max_num_queries):
    items = [ItemFactory() for _ in range(40)]
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1", user=operator,
                   lines=[Line(one, "10", "1.00") for one in items])
    count = services.count_start(location=chicago, user=manager)
    services.count_enter(count=count, entries=[(one, "9" if n % 2 else "11") for n, one in enumerate(items)],
                         user=operator)
    client = client_for(manager)
    with django_assert_max_num_queries(12):
        page = client.get(f"/counts/{count.pk}/review/")
    assert texts(page, "tr", class_="review-total") == ["Net value of the variances 0.00"]
    assert sorted(texts(page, "td", class_="variance-value")) == ["+1.00"] * 20 + ["-1.00"] * 20
