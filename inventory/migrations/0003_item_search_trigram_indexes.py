"""Trigram indexes for the "contains" searches over items (SKU or name), on PostgreSQL.

Every search (the inventory page, /api/stock/?search=, /api/items/?search=) reads
``UPPER(sku::text) LIKE UPPER('%text%')``, which no B-tree can serve: without these, a search
reads all items. pg_trgm is a trusted extension (PostgreSQL 13+), so the database's owner may
create it. SQLite has no such index; the migration does nothing there.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS item_sku_trgm ON inventory_item USING gin (UPPER(sku) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS item_name_trgm ON inventory_item USING gin (UPPER(name) gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS item_name_trgm", "DROP INDEX IF EXISTS item_sku_trgm"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("inventory", "0002_indexes_for_keyset_pages")]

    operations = [migrations.RunPython(run(CREATE), run(DROP))]
