"""The ledger FilterSets shared by the API and the pages."""

from movements.filters import ShortfallFilter
from movements.selectors import shortfalls
from movements.services import Line, build_create
from tests.stock import receive


def test_open_filter_reads_true_false_and_1_0(item, chicago, supplier, manager):
    build_create(location=chicago, reference="B1", lines=[Line(item, 2)], allow_shortfall=True, user=manager)
    build_create(location=chicago, reference="B2", lines=[Line(item, 3)], allow_shortfall=True, user=manager)
    receive(item, chicago, "2", supplier=supplier, user=manager, po_number="PO")

    def references(**query):
        return [s.reference for s in ShortfallFilter(query, queryset=shortfalls()).qs]

    assert references(open="true") == references(open="1") == ["B2"]
    assert references(open="false") == references(open="0") == ["B1"]
    assert references() == ["B1", "B2"]
