"""reconcile checks the value identities: the lots at their batches' costs against the values of
the ledger lines."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from lots.models import Lot
from movements.reconciliation import reconcile
from movements.services import Line, build_create, receipt_create, transfer_create


@pytest.fixture
def costed(item, chicago, milwaukee, supplier, manager):
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1", lines=[Line(item, 100, "10")], user=manager)
    receipt_create(supplier=supplier, location=chicago, po_number="PO-2", lines=[Line(item, 200, "12.5")],
                   user=manager)
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity=120, user=manager)
    build_create(location=milwaukee, reference="B-1", lines=[Line(item, 130)], allow_shortfall=True, user=manager)
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity=20, user=manager)


def test_values_reconcile_after_real_work(costed):
    assert reconcile() == []


def test_a_lot_that_disagrees_shows_in_the_value_identity(costed, item, chicago, capsys):
    # Chicago holds 160 of 0002 at 12.50 = 2000.00; corrupt it behind the services' back.
    Lot.objects.filter(item=item, location=chicago, batch__number=2).update(quantity=Decimal(150))
    with pytest.raises(CommandError):
        call_command("reconcile")
    assert "[value of lots vs ledger lines] LDR-4.1 @ CHI: expected 2000, found 1875" in capsys.readouterr().err
