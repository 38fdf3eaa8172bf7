"""Give the role groups their rights on counts and reorder points (counts/roles.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from counts.roles import ensure_count_roles


def forwards(apps, schema_editor):
    # Permissions are normally created after migrations run; create them now so the groups
    # can be given them on a fresh database.
    config = apps.get_app_config("counts")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    ensure_count_roles(apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("counts", "0001_counts_and_reorder_points"),
        ("movements", "0002_groups_and_reasons"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
