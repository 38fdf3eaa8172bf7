"""On PostgreSQL the database refuses TRUNCATE of the ledger tables as well (a statement-level
trigger; row triggers never see a TRUNCATE), including one that reaches them by CASCADE from
a table they refer to. ``manage.py flush`` is refused with it.

Test runs empty their databases with TRUNCATE between transactional tests: a transaction may
allow it for itself with ``SELECT set_config('hardfin.ledger_truncate', 'allow', true)``, as
the test suite's flush does (tests/conftest.py). Like every trigger, this guards against
mistakes, not against the database's owner."""

from django.db import migrations

TABLES = ["movements_movement", "movements_movementline"]

FUNCTION = """
CREATE OR REPLACE FUNCTION hardfin_ledger_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('hardfin.ledger_truncate', true) = 'allow' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'The ledger is append-only: TRUNCATE on % is not allowed; record a new movement instead.',
        TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION hardfin_ledger_no_truncate();"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS hardfin_ledger_no_truncate();")


class Migration(migrations.Migration):
    dependencies = [("movements", "0003_ledger_append_only_trigger")]

    operations = [migrations.RunPython(forwards, backwards)]
