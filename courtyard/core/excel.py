"""Excel in and out: templates, row reading with per-row errors, streaming export."""

import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

# What makes a spreadsheet read a text cell as a formula (OWASP's rule for CSV injection): tab
# and carriage return count because some spreadsheets skip them before looking for the others.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value):
    """An export's cell value that no spreadsheet runs: text starting like a formula gets a
    leading quote (and so stays text); numbers, negative ones too, decimals and dates keep
    their type. Control characters that a workbook cannot hold are dropped, so that text a
    resident typed can never make an export fail."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self):
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportColumn:
    key: str
    label: str
    required: bool = True
    example: str = ""
    aliases: tuple = ()  # other header texts accepted, e.g. the customary Chinese one

    def header_names(self):
        """Every header text that names this column: key, aliases, label in each language."""
        names = {self.key, *self.aliases}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                names.add(str(self.label))
        return {name.strip().lower() for name in names}


@dataclass
class ParsedSheet:
    rows: list = field(default_factory=list)  # (row_number, {key: value})
    errors: list = field(default_factory=list)


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        text = text[1:]  # neutralised by an export: re-imported, it names the same record
    return text.strip()


def read_sheet(file, columns):
    """Read the first sheet; the header row must carry every required column's label."""
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception:
        raise ValidationError(
            _("The file is not a readable Excel workbook (.xlsx)."), code="bad_file"
        )
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [_text(cell) for cell in next(rows, ())]
    by_label = {}
    for column in columns:
        labels = column.header_names()
        index = next((i for i, text in enumerate(header) if text.lower() in labels), None)
        if index is None and column.required:
            raise ValidationError(
                _("The column “%(column)s” is missing from the header row."),
                code="missing_column",
                params={"column": column.label},
            )
        by_label[column.key] = index
    parsed = ParsedSheet()
    for number, values in enumerate(rows, start=2):
        if not any(_text(v) for v in values):
            continue
        record = {
            key: (_text(values[index]) if index is not None and index < len(values) else "")
            for key, index in by_label.items()
        }
        parsed.rows.append((number, record))
    workbook.close()
    return parsed


def write_workbook(headers, rows, title="Sheet1"):
    """A workbook as bytes: bold header row, frozen, columns sized to the header; no text
    cell is a formula, whoever typed it (see ``neutralise_formula``)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(str(header)) * 2 + 2)
    from openpyxl.cell import WriteOnlyCell

    styled = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=neutralise_formula(str(header)))
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8EEF7")
        styled.append(cell)
    sheet.append(styled)
    for row in rows:
        sheet.append([_export_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _export_cell(sheet, value):
    """A row's cell: a decimal stays a number, shown grouped by thousands with its own decimal
    places (1,639,566.41) as the pages show it; text is neutralised."""
    if isinstance(value, Decimal) and value.is_finite():
        from openpyxl.cell import WriteOnlyCell

        places = max(0, -value.as_tuple().exponent)
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "#,##0." + "0" * places if places else "#,##0"
        return cell
    return neutralise_formula(value)


def template_workbook(columns, title):
    """The downloadable import template: the header row and one example row."""
    examples = [str(c.example) for c in columns]  # labels may be lazy translations
    return write_workbook([c.label for c in columns], [examples], title=title)
