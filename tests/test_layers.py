"""DESIGN.md "Layers": one straight stack of imports, reports -> movements -> lots -> inventory -> hardfin,
and only the movements app's ledger primitives write lots, stock levels and ledger rows."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The stack, top first: each package may import only the ones after it.
STACK = ["reports", "counts", "movements", "lots", "inventory", "hardfin"]
#: The models whose rows only the ledger primitives write.
LEDGER_MODELS = {"Lot", "Batch", "StockLevel", "Movement", "MovementLine", "Shortfall"}
#: Writes on a model: creating instances, and the manager/queryset calls that write.
WRITE_CALLS = {"create", "bulk_create", "bulk_update", "update", "update_or_create", "get_or_create", "delete"}
LEDGER_MODULE = "movements/ledger.py"
#: Deleting the empty stock-level rows of a catalog record that is being deleted is bookkeeping
#: of the catalog, not a change of stock.
ALLOWED = {
    "inventory/services.py: StockLevel.objects.filter(item=instance, quantity=0).delete(...)",
    "inventory/services.py: StockLevel.objects.filter(location=instance, quantity=0).delete(...)",
}


def sources(package: str):
    return sorted(path for path in (ROOT / package).rglob("*.py") if "migrations" not in path.parts)


def imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


@pytest.mark.parametrize("package", STACK)
def test_packages_import_downward_only(package):
    higher = set(STACK[: STACK.index(package)])
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sources(package)
        for module in imported_modules(path)
        if module.split(".")[0] in higher
    ]
    assert offenders == []


def test_hardfin_names_apps_only_by_dotted_strings():
    """``hardfin`` imports no app; it may name them in strings (INSTALLED_APPS, includes)."""
    apps = set(STACK) - {"hardfin"}
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sources("hardfin")
        for module in imported_modules(path)
        if module.split(".")[0] in apps
    ]
    assert offenders == []


def ledger_writes(path: Path):
    """``Model(...)`` and ``Model.objects.<write>(...)`` of the ledger's models in ``path``."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in LEDGER_MODELS:
            yield f"{func.id}(...)"
        elif isinstance(func, ast.Attribute) and func.attr in WRITE_CALLS:
            text = ast.unparse(func.value)
            model = re.match(r"^(\w+)\.objects\b", text)
            if model and model.group(1) in LEDGER_MODELS:
                yield f"{text}.{func.attr}(...)"


def test_only_the_ledger_primitives_write_lots_levels_and_ledger_rows():
    offenders = [
        f"{path.relative_to(ROOT)}: {write}"
        for package in STACK
        for path in sources(package)
        if path.relative_to(ROOT).as_posix() != LEDGER_MODULE
        for write in ledger_writes(path)
    ]
    assert sorted(set(offenders) - ALLOWED) == []


def test_the_guard_sees_a_write_outside_the_ledger(tmp_path):
    """The check above is not blind: it finds the writes it forbids."""
    path = tmp_path / "rogue.py"
    path.write_text("Lot.objects.filter(pk=1).update(quantity=0)\nStockLevel(item=x)\n")
    assert list(ledger_writes(path)) == ["Lot.objects.filter(pk=1).update(...)", "StockLevel(...)"]
