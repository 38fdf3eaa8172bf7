"""Seed the adjustment reasons and create the three role groups with their permissions.

Group names are part of the API contract: Operators, Managers, Accountants."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from movements.roles import GROUPS, ensure_roles


def forwards(apps, schema_editor):
    # Permissions are normally created after migrations run; create them now so the groups
    # can be given them on a fresh database.
    for label in ("inventory", "lots", "movements"):
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
    ensure_roles(apps=apps, using=schema_editor.connection.alias)


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
