"""`python manage.py reconcile`: clean on a consistent database, loud on any mismatch."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from inventory.models import StockLevel
from lots.models import Lot
from movements.models import Shortfall
from movements.services import Line, build_create, transfer_create
from tests.stock import receive


@pytest.fixture
def history(item, chicago, milwaukee, supplier, manager):
    receive(item, chicago, "100", supplier=supplier, user=manager)
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity=25, user=manager)
    build_create(location=milwaukee, reference="B-1", lines=[Line(item, 30)], allow_shortfall=True, user=manager)


def test_reconcile_is_clean_after_real_work(history, capsys):
    call_command("reconcile")
    assert "Reconciled" in capsys.readouterr().out


def test_reconcile_reports_a_lot_that_disagrees_with_the_ledger(history, item, chicago, capsys):
    # Simulate corruption behind the services' back.
    Lot.objects.filter(item=item, location=chicago).update(quantity=Decimal(70))
    with pytest.raises(CommandError) as caught:
        call_command("reconcile")
    assert caught.value.returncode == 1
    err = capsys.readouterr().err
    assert "[lot vs ledger replay] LDR-4.1 batch 0001 @ CHI: expected 75, found 70" in err
    assert "[stock level vs lots - shortfalls] LDR-4.1 @ CHI: expected 70, found 75" in err
    assert "[conservation (lots - shortfalls vs ledger)] LDR-4.1: expected 70, found 65" in err


def test_reconcile_reports_a_stock_level_off_by_one(history, item, milwaukee, capsys):
    StockLevel.objects.filter(item=item, location=milwaukee).update(quantity=Decimal(-4))
    with pytest.raises(CommandError):
        call_command("reconcile")
    assert "LDR-4.1 @ MKE: expected -5, found -4" in capsys.readouterr().err


def test_reconcile_reports_a_shortfall_that_disagrees_with_its_settlements(history, capsys):
    Shortfall.objects.update(outstanding=Decimal(1))
    with pytest.raises(CommandError):
        call_command("reconcile")
    err = capsys.readouterr().err
    assert "[shortfall outstanding]" in err
    assert "[build lines add up]" not in err


def _reconcile_cost(django_assert_num_queries):
    import tracemalloc

    from movements.reconciliation import reconcile

    tracemalloc.start()
    with django_assert_num_queries(6):
        assert reconcile() == []
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def test_reconcile_sums_in_the_database_so_its_cost_does_not_grow_with_the_ledger(
    item, chicago, milwaukee, supplier, manager, django_assert_num_queries
):
    """Six grouped queries that return only mismatches, whatever the number of movements."""
    receive(item, chicago, "1000", supplier=supplier, user=manager)
    small = _reconcile_cost(django_assert_num_queries)
    for _ in range(150):
        transfer_create(item=item, source=chicago, destination=milwaukee, quantity=1, user=manager)
        transfer_create(item=item, source=milwaukee, destination=chicago, quantity=1, user=manager)
    large = _reconcile_cost(django_assert_num_queries)

    assert large < small + 50_000  # bytes: nothing per movement is held
