"""Spreadsheet imports: a module declares its columns and the service call of a row.

    class UnitImporter(Importer):
        kind = "estates.import_units"  # the job that runs it, registered by the declaration
        model = Unit  # the user needs its "add" permission
        title = "units"
        columns = (
            Reference("estate", _("Estate"), model=Estate, aliases=("项目",)),
            Text("room_no", _("Room number"), example="1201"),
            Number("area", _("Floor area (m²)"), example="89.50"),
        )

        def row(self, values, number):
            return values  # a ValidationError raised here becomes the row's errors

        def save_row(self, values):
            services.create_unit(self.user, **values)

The header row is matched to the columns by label in either language, key or alias (a
required column missing fails the file; other columns are ignored). Each row's cells are
parsed into typed values, references found by name in the user's data scope; ``row`` checks
what the row describes with the module's rules and ``check`` what rows say together. Only
when every row is clean is anything saved, in one transaction that any refused row rolls
back whole, with "import" as the audit source. The errors (row, column, message) show on
the job's page and come as a copy of the uploaded rows with an error column.
"""

import datetime
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import load_workbook

from . import excel
from .audit import change_source
from .jobs import JobFailed, job_handler, progress, save_output
from .scoping import has_action, scope_q, user_scope

CHUNK = 200  # rows checked between two progress reports; values per reference query


# Columns ------------------------------------------------------------------------------------


@dataclass(kw_only=True)
class Column(excel.ImportColumn):
    """A column as typed: ``required`` means its header and every row's cell; an empty cell
    of an optional column is ``default``."""

    default: object = None

    def parse(self, text):
        """The cell's value; a ValidationError says why the text is not one."""
        return text


@dataclass(kw_only=True)
class Text(Column):
    default: object = ""


@dataclass(kw_only=True)
class Integer(Column):
    def parse(self, text):
        try:
            return int(text)
        except ValueError:
            raise ValidationError(_("Enter a whole number."))


@dataclass(kw_only=True)
class Number(Column):
    """A decimal number, e.g. an area or an amount (never a float)."""

    def parse(self, text):
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            if self.example:
                message = _("Enter a number, e.g. %(example)s.") % {"example": self.example}
            else:
                message = _("Enter a number.")
            raise ValidationError(message)
        return value


@dataclass(kw_only=True)
class Date(Column):
    """A date cell, or text such as 2024-05-01, 2024/5/1 or 2024.05.01."""

    def parse(self, text):
        match = re.match(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", text)
        try:
            return datetime.date(*(int(part) for part in match.groups()))
        except (AttributeError, ValueError):
            raise ValidationError(_("Enter a date such as 2024-05-01."))


@dataclass(kw_only=True)
class Month(Column):
    """A month as YYYY-MM, from 2026-11, 2026/11, 2026.11, 2026年11月 or a date cell."""

    def parse(self, text):
        match = re.match(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})", text)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValidationError(_("Write the month like 2026-11."))
        return f"{match.group(1)}-{int(match.group(2)):02d}"


@dataclass(kw_only=True)
class Email(Column):
    default: object = ""

    def parse(self, text):
        try:
            validate_email(text)
        except ValidationError:
            raise ValidationError(_("Enter a valid email address."))
        return text


@dataclass(kw_only=True)
class Choice(Column):
    """One of ``choices`` (TextChoices), written as its code, its label in any language or
    one of ``words``: what offices customarily write, e.g. {"住宅": UnitUse.RESIDENTIAL}."""

    choices: type
    words: dict = field(default_factory=dict)

    @cached_property
    def lookup(self):
        found = {word.lower(): value for word, value in self.words.items()}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                found.update({str(label).lower(): value for value, label in self.choices.choices})
        found.update({value.lower(): value for value in self.choices.values})
        return found

    def parse(self, text):
        value = self.lookup.get(text.lower())
        if value is None:
            labels = ", ".join(str(label) for label in self.choices.labels)
            raise ValidationError(
                _("“%(value)s” is not one of: %(choices)s.") % {"value": text, "choices": labels}
            )
        return value


@dataclass(kw_only=True)
class Reference(Column):
    """A record named by its ``field`` in the user's data scope, ``within`` the record of an
    earlier column (a building within its estate): found for the whole file at once."""

    model: type
    field: str = "name"
    within: str = ""


# The importer -------------------------------------------------------------------------------


class Importer:
    """Reads, checks and saves one uploaded workbook for the user who started the job."""

    kind = ""  # the job kind; declaring a subclass registers its handler
    model = None  # what is imported: the user needs its "add" permission
    title = "import"  # the template's and the error report's file name
    columns = ()
    field_columns = {}  # a service's field name → the column its errors are shown in
    fallback_column = None  # where errors of no known column go (None: the row as a whole)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.kind:
            job_handler(cls.kind)(lambda job: cls(job).run())

    def __init__(self, job):
        self.job, self.user = job, job.user
        self.errors = []  # excel.RowError
        self.reported = set()  # (row, column key) with an error already
        self.found = {}  # reference column key → {(parent pk, text): record}
        self.numbers = set()  # the file's rows, by number

    # What a declaration overrides

    def prepare(self, records):
        """Load what the rows need besides their references, once for the file."""

    def row(self, values, number):
        """What to save for a row, from its typed values (None where a cell was wrong, its
        error already reported); None to save nothing. A ValidationError is the row's errors
        (those of a column already reported are left out)."""
        return values

    def check(self, rows):
        """Rules across rows, ``[(number, what row() returned)]``, before anything is saved."""

    def save(self, rows):
        """Save every row, inside the import's transaction; returns what ``summary`` tells."""
        for number, item in rows:
            with self.saving(number):
                self.save_row(item)
        return len(rows)

    def save_row(self, item):
        raise NotImplementedError

    def summary(self, result):
        return ngettext("%(count)s row imported.", "%(count)s rows imported.", result) % {
            "count": result
        }

    # Reporting errors

    def error(self, number, key, message):
        column = next((c for c in self.columns if c.key == key), None)
        label = str(column.label) if column else ""
        self.errors.append(excel.RowError(number, label, str(message)))
        self.reported.add((number, key))

    def reject(self, number, error):
        """A service's ValidationError as the row's errors, each under its column."""
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.error(number, self.fallback_column, message)
            return
        keys = {column.key for column in self.columns}
        for name, messages in error.message_dict.items():
            key = self.field_columns.get(name, name if name in keys else self.fallback_column)
            if (number, key) not in self.reported:
                for message in messages:
                    self.error(number, key, message)

    @contextmanager
    def saving(self, number):
        """Save one row (or the rows reported at ``number``) in a savepoint: a refusal
        becomes the row's errors and undoes what the row wrote."""
        try:
            with transaction.atomic():
                yield
        except ValidationError as error:
            self.reject(number, error)
        except Http404:
            self.error(number, self.fallback_column, _("Outside your data scope."))
        except PermissionDenied as error:
            self.error(number, self.fallback_column, str(error) or _("No permission."))

    # The run

    def scoped(self, model):
        """Every record of ``model`` in the user's data scope, whatever the user may do with
        it: who may add units may name their estate without the right to edit estates."""
        q = scope_q(model, user_scope(self.user))
        queryset = model._default_manager.all()
        return queryset if q is None else queryset.filter(q)

    def run(self):
        if not has_action(self.user, self.model, "add"):
            raise JobFailed(_("No permission."))
        try:
            with self.job.input_file.open("rb") as upload:
                records = excel.read_sheet(upload, self.columns).rows
        except ValidationError as error:
            raise JobFailed(" ".join(error.messages))
        if not records:
            raise JobFailed(_("The file has no rows to import."))
        self.numbers = {number for number, _record in records}
        total = len(records) * 2  # checking is the first half, saving the second
        progress(self.job, 0, total)
        self.find_references(records)
        self.prepare(records)
        rows = []
        for index, (number, record) in enumerate(records, start=1):
            item = self.read(number, record)
            if item is not None:
                rows.append((number, item))
            if index % CHUNK == 0:
                progress(self.job, index)
        self.check(rows)
        progress(self.job, len(records))
        if self.errors:
            raise self.failure()
        # The job runs as its starter (core.jobs), so only the source is set here. Progress
        # written inside the transaction would show only once it commits.
        with change_source("import"), transaction.atomic():
            result = self.save(rows)
            if self.errors:
                transaction.set_rollback(True)
        if self.errors:
            raise self.failure()
        progress(self.job, total)
        return {"summary": self.summary(result)}

    def read(self, number, record):
        """The row's cells as typed values (their errors reported), made into what to save."""
        values = {}
        for column in self.columns:
            text = record[column.key]
            value = None
            try:
                if isinstance(column, Reference):
                    value = self.refer(column, text, values, record)
                elif text:
                    value = column.parse(text)
                elif column.required:
                    raise ValidationError(_("This field is required."))
                else:
                    value = column.default
            except ValidationError as error:
                for message in error.messages:
                    self.error(number, column.key, message)
            values[column.key] = value
        try:
            return self.row(values, number)
        except ValidationError as error:
            self.reject(number, error)
            return None

    def refer(self, column, text, values, record):
        parent = values[column.within] if column.within else None
        if column.within and parent is None:
            return None  # the parent's own error says what is wrong
        if not text:
            if column.required:
                raise ValidationError(_("This field is required."))
            return None
        record_found = self.found[column.key].get((parent.pk if parent else None, text))
        if record_found is not None:
            return record_found
        params = {"model": column.model._meta.verbose_name, "name": text}
        if parent is None:
            message = _("No %(model)s named “%(name)s” in your data scope.") % params
        else:
            ancestors = self.ancestors(column, record)
            message = _("No %(model)s named “%(name)s” in %(parent)s.") % {
                **params,
                "parent": " ".join(ancestors),
            }
        raise ValidationError(message)

    def ancestors(self, column, record):
        by_key = {c.key: c for c in self.columns}
        names = []
        while column.within:
            column = by_key[column.within]
            names.insert(0, record[column.key])
        return names

    def find_references(self, records):
        """Each reference column's records named in the file, one query per column (and per
        CHUNK names), each record given the parents found before it."""
        loaded = {}  # model → {pk: record}
        for column in self.columns:
            if not isinstance(column, Reference):
                continue
            names = sorted({record[column.key] for _n, record in records} - {""})
            queryset = self.scoped(column.model)
            if column.within:
                parents = {r.pk for r in self.found[column.within].values()}
                queryset = queryset.filter(**{f"{column.within}__in": parents})
            found = {}
            for start in range(0, len(names), CHUNK):
                chunk = names[start : start + CHUNK]
                for obj in queryset.filter(**{f"{column.field}__in": chunk}):
                    self.attach(obj, loaded)
                    parent = getattr(obj, f"{column.within}_id") if column.within else None
                    found[(parent, getattr(obj, column.field))] = obj
            self.found[column.key] = found
            loaded.setdefault(column.model, {}).update({obj.pk: obj for obj in found.values()})

    def attach(self, obj, loaded):
        """Set the record's foreign keys to parents already loaded: no query to name them."""
        for model_field in obj._meta.concrete_fields:
            if model_field.many_to_one and model_field.related_model in loaded:
                parent = loaded[model_field.related_model].get(getattr(obj, model_field.attname))
                if parent is not None:
                    setattr(obj, model_field.name, parent)

    def failure(self):
        """The job's failure: its message, the errors by row, and the report file."""
        self.errors.sort(key=lambda error: error.row)
        rows = len({error.row for error in self.errors})
        message = ngettext(
            "%(rows)s row has errors; nothing was imported.",
            "%(rows)s rows have errors; nothing was imported.",
            rows,
        )
        save_output(self.job, f"{self.title}-errors.xlsx", self.report())
        return JobFailed(message % {"rows": rows}, self.errors)

    def report(self):
        """The uploaded rows as they were, each with its errors in a last column."""
        by_row = {}
        for error in self.errors:
            text = f"{error.column}: {error.message}" if error.column else error.message
            by_row.setdefault(error.row, []).append(text)
        with self.job.input_file.open("rb") as upload:
            workbook = load_workbook(upload, read_only=True, data_only=True)
            cells = workbook.worksheets[0].iter_rows(values_only=True)
            header = list(next(cells, ()))
            rows = [
                (list(values), by_row.get(number, []))
                for number, values in enumerate(cells, start=2)
                if number in self.numbers  # the rows read: blank ones are left out
            ]
            workbook.close()
        width = max([len(header), *(len(values) for values, _errors in rows)])
        header = [text or "" for text in header] + [""] * (width - len(header))
        lines = [
            values + [None] * (width - len(values)) + ["\n".join(errors)] for values, errors in rows
        ]
        return excel.write_workbook([*header, _("Errors")], lines, title=self.title)
