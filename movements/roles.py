"""The three role groups (their names are part of the API contract) and the seeded adjustment
reasons.

``ensure_roles`` creates whatever is missing and never takes anything away: the data migration
runs it once on a fresh database, and a post_migrate hook runs it after every ``migrate`` and
every test-database flush, so a permission added later reaches the groups too."""

from django.apps import apps as global_apps

from hardfin.permissions import EXPORT_INVENTORY, VIEW_INVENTORY

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
    VIEW_INVENTORY,
    EXPORT_INVENTORY,
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
#: Setting a batch's cost that is still unknown (the invoice came later).
COSTS = ["lots.set_unit_cost"]
GROUPS = {
    "Operators": VIEW + OPERATE,
    "Managers": VIEW + OPERATE + ["movements.add_adjustment"] + CATALOG + COSTS,
    "Accountants": VIEW + ["movements.add_adjustment"] + COSTS,
}


def ensure_roles(*, apps=global_apps, using: str = "default") -> None:
    AdjustmentReason = apps.get_model("movements", "AdjustmentReason")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for code, label, requires_note in REASONS:
        AdjustmentReason.objects.using(using).get_or_create(
            code=code, defaults={"label": label, "requires_note": requires_note}
        )
    for name, codes in GROUPS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        wanted = []
        for code in codes:
            app_label, codename = code.split(".")
            permission = Permission.objects.using(using).filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            # A permission of a later migration does not exist yet while the data migration
            # runs; the post_migrate run gives it once it does.
            if permission is not None:
                wanted.append(permission)
        group.permissions.add(*wanted)


def ensure_roles_after_migrate(sender, app_config=None, using="default", apps=global_apps, plan=None, **kwargs):
    """post_migrate receiver; Django has created this app's permissions just before."""
    try:
        apps.get_model("movements", "AdjustmentReason")
    except LookupError:  # migrating backwards past this app's tables
        return
    ensure_roles(apps=apps, using=using)
