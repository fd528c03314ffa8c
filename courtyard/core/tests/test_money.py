"""Amounts read grouped by thousands, ¥1,639,566.41, in both languages; the stored and exported
values stay plain decimals (issue 19 point 19)."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import translation
from openpyxl import load_workbook

from courtyard.core import excel
from tests.factories import UnitFactory


def render(source, **context):
    return Template("{% load courtyard_tags %}" + source).render(Context(context))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_money_groups_thousands_in_either_language(language):
    with translation.override(language):
        assert render("{{ a|money }}", a=Decimal("1639566.41")) == "¥1,639,566.41"
        assert render("{{ a|money }}", a=Decimal("-1200.50")) == "-¥1,200.50"
        assert render("{{ a|money }}", a=Decimal("0.00")) == "¥0.00"
        assert render("{{ a|money }}", a=None) == "—"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_table_cells_group_decimals_in_either_language(language):
    with translation.override(language):
        assert render("{{ a|display }}", a=Decimal("1639566.41")) == "1,639,566.41"
        row = {"cells": [{"value": Decimal("12345.6")}]}
        assert render("{{ row|table_cells }}", row=row) == "<td>12,345.6</td>"


def test_an_export_keeps_the_number_and_shows_it_grouped():
    content = excel.write_workbook(
        ["Amount", "Area"], [[Decimal("1639566.41"), Decimal("88.500")], ["text", 3]]
    )
    sheet = load_workbook(io.BytesIO(content)).active
    amount, area = sheet["A2"], sheet["B2"]
    assert amount.value == pytest.approx(1639566.41)
    assert amount.number_format == "#,##0.00"
    assert area.number_format == "#,##0.000"
    assert sheet["A3"].value == "text"
    assert sheet["B3"].value == 3


@pytest.mark.django_db
def test_a_decimal_too_large_for_its_column_is_refused_before_saving():
    unit = UnitFactory()
    unit.area = Decimal("1" + "0" * 12)
    with pytest.raises(ValidationError) as refused:
        unit.save()
    assert refused.value.error_dict["area"][0].code == "max_whole_digits"
    unit.area = Decimal("9999999.99")
    unit.save()  # the largest figure the column holds is kept
