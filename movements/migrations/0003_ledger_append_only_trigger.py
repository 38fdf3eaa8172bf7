"""On PostgreSQL the database itself refuses UPDATE and DELETE on the ledger tables, so no
code path, shell session or bulk query can rewrite history. (TRUNCATE, used only to reset
test databases, is not an UPDATE or DELETE and is not affected.)"""

from django.db import migrations

TABLES = ["movements_movement", "movements_movementline"]

FUNCTION = """
CREATE OR REPLACE FUNCTION hardfin_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The ledger is append-only: % on % is not allowed; record a new movement instead.',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION hardfin_ledger_append_only();"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS hardfin_ledger_append_only();")


class Migration(migrations.Migration):
    dependencies = [("movements", "0002_groups_and_reasons")]

    operations = [migrations.RunPython(forwards, backwards)]
