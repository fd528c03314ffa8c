import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook

from courtyard.core.excel import (
    ImportColumn,
    RowError,
    neutralise_formula,
    read_sheet,
    template_workbook,
    write_workbook,
)

COLUMNS = [
    ImportColumn("room_no", "Room number", True, "1-101", aliases=("房号",)),
    ImportColumn("area", "Area", True, "89.5"),
    ImportColumn("note", "Note", False),
]


def sheet(*rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def test_rows_are_read_by_header_label_in_any_order_with_row_numbers():
    parsed = read_sheet(
        sheet(["Area", "Room number", "Note"], [89.5, "1-101", " corner "], [120, "1-102", None]),
        COLUMNS,
    )
    assert parsed.rows == [
        (2, {"room_no": "1-101", "area": "89.5", "note": "corner"}),
        (3, {"room_no": "1-102", "area": "120", "note": ""}),
    ]


def test_headers_may_be_keys_aliases_or_another_case():
    parsed = read_sheet(sheet(["房号", "AREA"], ["2-201", 3.0]), COLUMNS)
    assert parsed.rows == [(2, {"room_no": "2-201", "area": "3", "note": ""})]


def test_translated_labels_are_accepted_in_every_language():
    columns = [ImportColumn("estate", gettext_lazy("name"))]  # "名称" in Chinese
    for header in ("name", "名称"):  # read while the active language is English
        parsed = read_sheet(sheet([header], ["翠湖花园"]), columns)
        assert parsed.rows == [(2, {"estate": "翠湖花园"})]


def test_blank_rows_are_skipped():
    parsed = read_sheet(sheet(["Room number", "Area"], [None, None], ["1-101", 50]), COLUMNS)
    assert [number for number, _record in parsed.rows] == [3]


def test_a_missing_required_column_is_named():
    with pytest.raises(ValidationError) as error:
        read_sheet(sheet(["Room number", "Note"], ["1-101", "x"]), COLUMNS)
    assert error.value.code == "missing_column" and "Area" in error.value.messages[0]


def test_a_file_that_is_not_a_workbook_is_refused():
    with pytest.raises(ValidationError) as error:
        read_sheet(io.BytesIO(b"%PDF-1.7 not a workbook"), COLUMNS)
    assert error.value.code == "bad_file"


def test_written_workbook_reads_back():
    content = write_workbook(["Room", "Amount"], [["1-101", 12.5], ["1-102", None]], title="Bills")
    workbook = load_workbook(io.BytesIO(content))
    sheet_ = workbook["Bills"]
    assert [[c.value for c in row] for row in sheet_.iter_rows()] == [
        ["Room", "Amount"],
        ["1-101", 12.5],
        ["1-102", None],
    ]
    assert sheet_["A1"].font.bold and sheet_.freeze_panes == "A2"


def test_template_has_the_header_and_one_example_row_and_round_trips():
    content = template_workbook(COLUMNS, "Units")
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows == [("Room number", "Area", "Note"), ("1-101", "89.5", None)]
    parsed = read_sheet(io.BytesIO(content), COLUMNS)
    assert parsed.rows == [(2, {"room_no": "1-101", "area": "89.5", "note": ""})]


def test_row_errors_serialise_for_the_job_page():
    assert RowError(4, "Area", "Enter a number.").as_dict() == {
        "row": 4,
        "column": "Area",
        "message": "Enter a number.",
    }


# Formula injection (OWASP's CSV injection rule, applied to every export) ---------------------

PAYLOADS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/","a")',
    "+86 138",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", PAYLOADS)
def test_text_that_would_start_a_formula_gets_a_quote(text):
    assert neutralise_formula(text) == "'" + text


@pytest.mark.parametrize(
    "value",
    [
        "1栋",
        "a=b",
        "",
        None,
        -12,
        -3.5,
        Decimal("-88.50"),
        Decimal("12.30"),
        datetime.date(2026, 3, 1),
        datetime.datetime(2026, 3, 1, 9, 30),
        True,
    ],
)
def test_other_values_keep_their_value_and_type(value):
    assert neutralise_formula(value) is value


def test_no_written_cell_is_a_formula_and_numbers_and_dates_stay_typed():
    day = datetime.date(2026, 3, 1)
    texts = PAYLOADS[:-1]  # XML reads a carriage return back as a line feed
    content = write_workbook(
        ["=Header", "Amount", "Refund", "Due"],
        [[text, Decimal("12.30"), -5, day] for text in texts],
    )
    sheet_ = load_workbook(io.BytesIO(content)).active
    cells = [cell for row in sheet_.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert sheet_["A1"].value == "'=Header"
    assert [row[0].value for row in sheet_.iter_rows(min_row=2)] == ["'" + t for t in texts]
    amount, refund, due = sheet_["B2"], sheet_["C2"], sheet_["D2"]
    assert amount.data_type == "n" and amount.value == 12.3
    assert refund.data_type == "n" and refund.value == -5
    assert due.is_date and due.value.date() == day


def test_a_neutralised_cell_reads_back_as_it_was_written():
    """An export re-imported (the building sheet of the readings) matches the same names."""
    content = write_workbook(["Room number", "Area"], [["-1-101", "89.5"], ["@B2", "60"]])
    parsed = read_sheet(io.BytesIO(content), COLUMNS[:2])
    assert [record["room_no"] for _number, record in parsed.rows] == ["-1-101", "@B2"]


def test_control_characters_a_workbook_cannot_hold_are_dropped_not_fatal():
    """A resident's repair description with a stray control character still exports."""
    content = write_workbook(["Description"], [["漏水\x0b严重\x00"], ["\x01=1+1"]])
    sheet_ = load_workbook(io.BytesIO(content)).active
    assert [row[0].value for row in sheet_.iter_rows(min_row=2)] == ["漏水严重", "'=1+1"]
