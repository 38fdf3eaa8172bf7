"""`python manage.py seed_demo`: the demo data set a new user meets first."""

from decimal import Decimal

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from inventory.models import Item, Location, Supplier
from lots.models import Lot
from movements.models import Movement, Shortfall
from movements.reconciliation import reconcile
from tests.helpers import level, lots_at

#: Sign-in counts failed attempts by request (django-axes), so authenticate gets one.
SIGN_IN = RequestFactory().post("/accounts/login/")


# Seeding takes a few seconds, so each test checks several things of one seeded database.

@pytest.mark.django_db
def test_seed_demo_tells_the_ldr_4_1_story_in_realistic_consistent_data_and_runs_twice():
    call_command("seed_demo")
    ldr = Item.objects.get(sku="LDR-4.1")
    chi, mke = Location.objects.get(code="CHI"), Location.objects.get(code="MKE")
    assert lots_at(ldr, chi, show_empty=True) == {"0001": Decimal(0), "0002": Decimal(155)}
    assert lots_at(ldr, mke) == {"0001": Decimal(100), "0002": Decimal(45)}
    assert (level(ldr, chi), level(ldr, mke)) == (Decimal(155), Decimal(145))

    assert Item.objects.count() >= 50
    assert Location.objects.count() == 5 and Supplier.objects.count() == 3
    kinds = set(Movement.objects.values_list("kind", flat=True))
    assert kinds == {"transfer", "adjustment", "receipt", "build", "replacement", "settlement"}
    first, last = Movement.objects.order_by("occurred_at").first(), Movement.objects.order_by("occurred_at").last()
    assert (last.occurred_at - first.occurred_at).days >= 90
    assert Lot.objects.filter(quantity=0).count() >= 3
    assert Shortfall.objects.filter(outstanding__gt=0).count() == 1
    assert reconcile() == []

    before = (Movement.objects.count(), Item.objects.count(), Lot.objects.count())
    call_command("seed_demo")
    assert (Movement.objects.count(), Item.objects.count(), Lot.objects.count()) == before


@pytest.mark.django_db
def test_seed_demo_users_sign_in_with_the_readme_password():
    call_command("seed_demo")
    for username, group in [("operator", "Operators"), ("manager", "Managers"), ("accountant", "Accountants")]:
        user = authenticate(SIGN_IN, username=username, password="hardfin-demo")
        assert user is not None
        assert list(user.groups.values_list("name", flat=True)) == [group]
    assert authenticate(SIGN_IN, username="admin", password="hardfin-demo").is_superuser
