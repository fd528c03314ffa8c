import pytest
from django.test import RequestFactory

from courtyard.core.tables import Column, Table
from courtyard.estates.models import Unit
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


class UnitTable(Table):
    default_order = ("room_no",)

    room_no = Column(label="Room")
    building = Column(label="Building", order_by="building__name")
    area = Column(label="Area")
    use = Column(label="Use")
    note = Column(accessor="entrance__name", label="Entrance", orderable=False)
    internal = Column(accessor="pk", label="Id", export=False)


def table(**params):
    request = RequestFactory().get("/units/", params)
    return UnitTable(Unit.objects.select_related("building", "entrance"), request)


def rooms(t):
    return [u.room_no for u in t.page().object_list]


@pytest.fixture
def units():
    return [UnitFactory(room_no=room) for room in ("B-2", "A-1", "C-3")]


def test_default_order_without_a_sort(units):
    t = table()
    assert rooms(t) == ["A-1", "B-2", "C-3"] and t.sort == ""


def test_sorting_by_a_declared_column_both_ways(units):
    assert rooms(table(sort="-room_no")) == ["C-3", "B-2", "A-1"]
    t = table(sort="building")
    assert t.queryset.query.order_by == ("building__name", "pk")


@pytest.mark.parametrize("sort", ["created_by__password", "-estate__code", "note", "bogus"])
def test_sorting_by_anything_else_falls_back_to_the_default(units, sort):
    t = table(sort=sort)
    assert t.sort == "" and rooms(t) == ["A-1", "B-2", "C-3"]


def test_headers_show_the_sort_state_and_the_next_sort(units):
    headers = {h["key"]: h for h in table(sort="room_no").headers()}
    assert headers["room_no"]["state"] == "asc" and headers["room_no"]["next_sort"] == "-room_no"
    assert headers["area"]["state"] == "" and headers["area"]["next_sort"] == "area"
    assert headers["note"]["orderable"] is False
    desc = {h["key"]: h for h in table(sort="-room_no").headers()}
    assert desc["room_no"]["state"] == "desc" and desc["room_no"]["next_sort"] == "room_no"


def test_pagination_and_page_sizes():
    for n in range(60):
        UnitFactory(room_no=f"{n:03d}")
    first = table()
    assert first.per_page == 25 and len(first.page().object_list) == 25
    assert rooms(table(page=3)) == [f"{n:03d}" for n in range(50, 60)]
    assert len(table(per_page=50).page().object_list) == 50
    assert table(per_page=7).per_page == 25  # only the offered sizes
    assert table(per_page="lots").per_page == 25
    assert table(page="999").page().number == 3  # past the end: the last page


def test_rows_carry_cells_in_column_order(units):
    t = table()
    row = next(t.rows(t.page().object_list))
    unit = row["object"]
    values = [cell["value"] for cell in row["cells"]]
    assert values[:3] == ["A-1", unit.building, unit.area]
    assert values[3] == unit.get_use_display()  # choices show their label


def test_export_rows_skip_unexported_columns_and_flatten_values(units):
    t = table(sort="room_no")
    assert t.export_headers() == ["Room", "Building", "Area", "Use", "Entrance"]
    rows = list(t.export_rows())
    first = Unit.objects.get(room_no="A-1")
    assert rows[0] == [
        "A-1",
        str(first.building),
        first.area,
        first.get_use_display(),
        first.entrance.name,
    ]
    assert len(rows) == 3
