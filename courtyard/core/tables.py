"""Tables: declared columns, sortable headers, pagination; the same columns feed exports."""

import datetime

from django.core.paginator import Paginator
from django.db.models import Model
from django.template.loader import render_to_string
from django.urls import NoReverseMatch
from django.utils import timezone


class Column:
    """One column: where its value comes from, how it is labelled, sorted and shown."""

    creation_counter = 0

    def __init__(
        self,
        accessor=None,
        label=None,
        order_by=None,
        orderable=True,
        link=False,
        template=None,
        export=True,
    ):
        self.accessor = accessor
        self.label = label
        self.order_by = order_by
        self.orderable = orderable
        self.link = link
        self.template = template
        self.export = export
        Column.creation_counter += 1
        self._order = Column.creation_counter

    def value(self, obj):
        current = obj
        for part in self.accessor.split("__"):
            if current is None:
                return None
            display = getattr(current, f"get_{part}_display", None)
            current = display() if callable(display) else getattr(current, part, None)
            if callable(current) and not isinstance(current, Model):
                current = current()
        return current

    def render(self, obj):
        if self.template:
            return render_to_string(self.template, {"record": obj, "value": self.value(obj)})
        return self.value(obj)

    def export_value(self, obj):
        value = self.value(obj)
        if value is None:
            return ""
        if isinstance(value, Model):
            return str(value)
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)  # Excel has no time zones
        return value


class TableMeta(type):
    def __new__(mcs, name, bases, attrs):
        columns = {}
        for base in reversed(bases):
            columns.update(getattr(base, "base_columns", {}))
        declared = sorted(
            ((key, value) for key, value in attrs.items() if isinstance(value, Column)),
            key=lambda item: item[1]._order,
        )
        for key, column in declared:
            column.accessor = column.accessor or key
            column.order_by = column.order_by or column.accessor
            columns[key] = column
            attrs.pop(key)
        attrs["base_columns"] = columns
        return super().__new__(mcs, name, bases, attrs)


class Table(metaclass=TableMeta):
    """A page of rows with sortable headers. ``default_order`` applies without ``?sort=``."""

    default_order = ("-pk",)
    per_page = 25
    per_page_choices = (25, 50, 100)

    def __init__(self, queryset, request=None, per_page=None):
        self.request = request
        self.columns = self.base_columns
        self.sort = request.GET.get("sort", "") if request else ""
        self.queryset = self.order(queryset)
        if per_page is None and request is not None:
            try:
                per_page = int(request.GET.get("per_page", self.per_page))
            except ValueError:
                per_page = self.per_page
        self.per_page = per_page if per_page in self.per_page_choices else self.per_page

    def order(self, queryset):
        key = self.sort.lstrip("-")
        column = self.columns.get(key)
        if column is None or not column.orderable:
            self.sort = ""
            return queryset.order_by(*self.default_order)
        prefix = "-" if self.sort.startswith("-") else ""
        return queryset.order_by(f"{prefix}{column.order_by}", "pk")

    def page(self):
        paginator = Paginator(self.queryset, self.per_page)
        number = self.request.GET.get("page", 1) if self.request else 1
        return paginator.get_page(number)

    def headers(self):
        for key, column in self.columns.items():
            state = ""
            if self.sort == key:
                state = "asc"
            elif self.sort == f"-{key}":
                state = "desc"
            next_sort = f"-{key}" if state == "asc" else key
            yield {
                "key": key,
                "label": column.label,
                "orderable": column.orderable,
                "state": state,
                "next_sort": next_sort,
            }

    def link(self, obj):
        """The URL a linked cell leads to: the object's page."""
        try:
            return obj.get_absolute_url()
        except (AttributeError, NoReverseMatch):
            return None

    def rows(self, objects):
        for obj in objects:
            cells = []
            for column in self.columns.values():
                url = self.link(obj) if column.link else None
                cells.append({"value": column.render(obj), "url": url})
            yield {"object": obj, "cells": cells}

    def export_headers(self):
        return [str(c.label) for c in self.columns.values() if c.export]

    def export_rows(self, queryset=None):
        columns = [c for c in self.columns.values() if c.export]
        for obj in (queryset if queryset is not None else self.queryset).iterator(chunk_size=2000):
            yield [column.export_value(obj) for column in columns]
