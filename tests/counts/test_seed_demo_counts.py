"""`python manage.py seed_demo_counts` (run by bin/run after seed_demo): the demo's reorder
points, a posted count and an open one, loaded once."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from counts.models import Count, ReorderPoint
from counts.selectors import below_minimum
from movements.models import Movement
from movements.reconciliation import reconcile
from tests.pages_support import text, texts


@pytest.mark.django_db
def test_the_counts_demo_fills_the_counts_and_low_stock_pages_once():
    call_command("seed_demo_counts")  # before seed_demo: nothing to add to
    assert not Count.objects.exists() and not ReorderPoint.objects.exists()
    call_command("seed_demo")
    call_command("seed_demo_counts")
    posted, open_count = Count.objects.get(status="posted"), Count.objects.get(status="open")
    corrections = Movement.objects.filter(note=f"Count {posted.pk}", reason__code="count_correction")
    assert corrections.count() == posted.lines.filter(adjustment__isnull=False).count() >= 3
    assert 0 < open_count.lines.filter(counted__isnull=False).count() < open_count.lines.count()
    assert below_minimum().count() >= 5 and ReorderPoint.objects.count() > below_minimum().count()
    assert reconcile() == []

    before = (Count.objects.count(), ReorderPoint.objects.count(), Movement.objects.count())
    call_command("seed_demo_counts")
    assert (Count.objects.count(), ReorderPoint.objects.count(), Movement.objects.count()) == before

    client = Client()
    client.force_login(User.objects.get(username="manager"))
    assert "5 of 12 counted" in text(client.get(f"/counts/{open_count.pk}/"))
    review = client.get(f"/counts/{posted.pk}/review/")
    assert texts(review, "tr", class_="review-total")[0].startswith("Net value of the variances")
    assert len(texts(client.get("/low-stock/"), "tr")) - 1 == below_minimum().count()
