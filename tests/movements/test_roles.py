"""The role groups (names are part of the API contract) and the seeded adjustment reasons."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from movements.models import AdjustmentReason


def permissions_of(name):
    group = Group.objects.get(name=name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_groups_exist_with_the_permissions_of_the_roles_table(db):
    operators, managers, accountants = (permissions_of(n) for n in ("Operators", "Managers", "Accountants"))
    assert {"inventory.view_stocklevel", "inventory.export_stocklevel"} <= operators & managers & accountants
    assert "movements.add_transfer" in operators & managers and "movements.add_transfer" not in accountants
    assert "movements.add_adjustment" in managers & accountants and "movements.add_adjustment" not in operators
    assert "inventory.change_item" in managers and "inventory.change_item" not in operators | accountants


def test_reasons_are_seeded(db):
    assert list(AdjustmentReason.objects.values_list("code", flat=True)) == [
        "count_correction", "damaged", "expired", "found", "lost", "other",
    ]
    assert AdjustmentReason.objects.get(code="other").requires_note


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_roles_survive_a_flush():
    call_command("flush", interactive=False, verbosity=0)
    assert set(Group.objects.values_list("name", flat=True)) == {"Operators", "Managers", "Accountants"}
    assert "movements.add_adjustment" in permissions_of("Accountants")
    assert AdjustmentReason.objects.count() == 6
