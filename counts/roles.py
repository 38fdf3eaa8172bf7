"""What the three role groups may do with counts and reorder points. Like
``movements.roles.ensure_roles``, this only ever adds: the data migration runs it on a fresh
database, and a post_migrate hook after every ``migrate`` and test-database flush."""

from django.apps import apps as global_apps

GRANTS = {
    "Operators": ["counts.view_count", "counts.enter_count", "counts.view_reorderpoint"],
    "Managers": [
        "counts.view_count", "counts.enter_count", "counts.manage_count",
        "counts.view_reorderpoint", "counts.add_reorderpoint", "counts.change_reorderpoint",
        "counts.delete_reorderpoint",
    ],
    "Accountants": ["counts.view_count", "counts.enter_count", "counts.manage_count", "counts.view_reorderpoint"],
}


def ensure_count_roles(*, apps=global_apps, using: str = "default") -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in GRANTS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        wanted = [
            Permission.objects.using(using).get(content_type__app_label="counts", codename=code.split(".")[1])
            for code in codes
        ]
        group.permissions.add(*wanted)


def ensure_count_roles_after_migrate(sender, app_config=None, using="default", apps=global_apps, plan=None, **kwargs):
    try:
        apps.get_model("counts", "Count")
    except LookupError:  # migrating backwards past this app's tables
        return
    ensure_count_roles(apps=apps, using=using)
