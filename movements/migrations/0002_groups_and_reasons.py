"""Seed the adjustment reasons and create the three role groups with their permissions.

Group names are part of the API contract: Operators, Managers, Accountants."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REASONS = [
    ("count_correction", "Count correction", False),
    ("damaged", "Damaged", False),
    ("lost", "Lost", False),
    ("found", "Found", False),
    ("expired", "Expired", False),
    ("other", "Other (explain in the note)", True),
]

VIEW = [
    "inventory.view_item",
    "inventory.view_location",
    "inventory.view_supplier",
    "inventory.view_stocklevel",
    "inventory.export_stocklevel",
    "lots.view_batch",
    "lots.view_lot",
    "movements.view_movement",
    "movements.view_movementline",
    "movements.view_shortfall",
    "movements.view_adjustmentreason",
]
OPERATE = [
    "movements.add_transfer",
    "movements.add_receipt",
    "movements.add_build",
    "movements.add_replacement",
]
CATALOG = [
    f"{app}.{action}_{model}"
    for app, model in [
        ("inventory", "item"),
        ("inventory", "location"),
        ("inventory", "supplier"),
        ("movements", "adjustmentreason"),
    ]
    for action in ("add", "change", "delete")
]
GROUPS = {
    "Operators": VIEW + OPERATE,
    "Managers": VIEW + OPERATE + ["movements.add_adjustment"] + CATALOG,
    "Accountants": VIEW + ["movements.add_adjustment"],
}


def forwards(apps, schema_editor):
    # Permissions are normally created after migrations run; create them now so the groups
    # can be given them on a fresh database.
    for label in ("inventory", "lots", "movements"):
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None

    AdjustmentReason = apps.get_model("movements", "AdjustmentReason")
    for code, label, requires_note in REASONS:
        AdjustmentReason.objects.get_or_create(code=code, defaults={"label": label, "requires_note": requires_note})

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = []
        for code in codes:
            app_label, codename = code.split(".")
            permissions.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(permissions)


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("inventory", "0001_initial"),
        ("lots", "0001_initial"),
        ("movements", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
