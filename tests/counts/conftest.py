import pytest

from tests.api_support import api  # noqa: F401  (a fixture)
from tests.api_support import receive
from tests.factories import ItemFactory


@pytest.fixture
def stocked(item, chicago, supplier, operator):
    """LDR-4.1 with 100 at Chicago, and two more items there (10 and 5)."""
    receive(item=item, location=chicago, supplier=supplier, user=operator, quantity="100")
    bolt = ItemFactory(sku="BOLT-M6", name="Bolt M6")
    nut = ItemFactory(sku="NUT-M6", name="Nut M6")
    receive(item=bolt, location=chicago, supplier=supplier, user=operator, quantity="10")
    receive(item=nut, location=chicago, supplier=supplier, user=operator, quantity="5")
    return {"item": item, "bolt": bolt, "nut": nut}
