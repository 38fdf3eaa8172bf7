"""Rule 4: the ledger is append-only — through the ORM everywhere, and in the database itself
on PostgreSQL."""

import pytest
from django.db import DatabaseError, connection, transaction

from movements.models import LedgerIsAppendOnly, Movement, MovementLine
from tests.stock import receive


@pytest.fixture
def movement(item, chicago, supplier, operator):
    return receive(item, chicago, "5", supplier=supplier, user=operator)


def test_rule_4_a_saved_movement_cannot_be_changed_or_deleted(movement):
    movement.note = "rewritten"
    with pytest.raises(LedgerIsAppendOnly):
        movement.save()
    with pytest.raises(LedgerIsAppendOnly):
        movement.delete()
    line = movement.lines.get()
    line.quantity = 1
    with pytest.raises(LedgerIsAppendOnly):
        line.save()
    with pytest.raises(LedgerIsAppendOnly):
        line.delete()
    movement.refresh_from_db()
    assert movement.note == "" and movement.lines.get().quantity == 5


def test_rule_4_bulk_update_and_delete_are_refused(movement):
    with pytest.raises(LedgerIsAppendOnly):
        Movement.objects.filter(pk=movement.pk).update(note="x")
    with pytest.raises(LedgerIsAppendOnly):
        Movement.objects.all().delete()
    with pytest.raises(LedgerIsAppendOnly):
        MovementLine.objects.all().update(quantity=1)
    with pytest.raises(LedgerIsAppendOnly):
        MovementLine.objects.all().delete()
    with pytest.raises(LedgerIsAppendOnly):
        Movement.objects.bulk_update([movement], ["note"])
    assert Movement.objects.count() == 1 and MovementLine.objects.count() == 1


def test_rule_4_deleting_what_the_ledger_refers_to_is_refused(movement, item, operator):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        item.delete()
    with pytest.raises(ProtectedError):
        operator.delete()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE movements_movement SET note = 'rewritten'",
        "DELETE FROM movements_movement",
        "UPDATE movements_movementline SET quantity = 1",
        "DELETE FROM movements_movementline",
    ],
)
def test_rule_4_the_database_refuses_update_and_delete_on_the_ledger(movement, sql):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert Movement.objects.get().note == ""
    assert MovementLine.objects.get().quantity == 5


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "TRUNCATE movements_movementline",
        "TRUNCATE movements_movement CASCADE",
        # With every table that refers to the ledger (else PostgreSQL's own foreign-key check
        # refuses it first): the trigger still refuses.
        "TRUNCATE movements_movementline, movements_movement, movements_shortfall, counts_countline",
        # Cascading from a table the ledger refers to reaches the ledger too.
        "TRUNCATE lots_batch CASCADE",
    ],
)
def test_rule_4_the_database_refuses_truncate_on_the_ledger(movement, sql):
    with connection.cursor() as cursor:
        # The test's own inserts leave deferred foreign-key checks pending, which PostgreSQL
        # would name instead of reaching the trigger.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert Movement.objects.count() == 1
    assert MovementLine.objects.count() == 1
