"""The repair statistics page (【报修统计】): range picker, KPI cards, ECharts charts, tables and
an Excel download of the same figures."""

import io

from django.shortcuts import render
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from courtyard.core import excel
from courtyard.core.access import access
from courtyard.core.generic import xlsx_response

from . import selectors as statistics
from .forms import CUSTOM, RangeForm
from .selectors import PERMISSION


def _label(value, granularity):
    if granularity == statistics.MONTH:
        return value.strftime("%Y-%m")
    return value.isoformat()


def chart_options(figures):
    """ECharts options for the four charts (read by static/courtyard/charts.js)."""
    step = figures.period.granularity
    trend = {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 40, "right": 16, "top": 24, "bottom": 32},
        "xAxis": {
            "type": "category",
            "data": [_label(row["period"], step) for row in figures.trend],
        },
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "name": _("Work orders"),
                "type": "line",
                "smooth": False,
                "areaStyle": {"opacity": 0.12},
                "data": [row["count"] for row in figures.trend],
            }
        ],
    }
    category = {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 40, "right": 16, "top": 24, "bottom": 48},
        "xAxis": {
            "type": "category",
            "data": [row["category"] for row in figures.by_category],
            "axisLabel": {"interval": 0, "rotate": 20 if len(figures.by_category) > 6 else 0},
        },
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "name": _("Work orders"),
                "type": "bar",
                "data": [row["count"] for row in figures.by_category],
            }
        ],
    }
    status = {
        "tooltip": {"trigger": "item"},
        "legend": {"bottom": 0, "type": "scroll"},
        "series": [
            {
                "name": _("Status"),
                "type": "pie",
                "radius": ["40%", "68%"],
                "center": ["50%", "45%"],
                "data": [
                    {"name": row["label"], "value": row["count"]}
                    for row in figures.by_status
                    if row["count"]
                ],
            }
        ],
    }
    buildings = figures.by_building[:20]
    building = {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 40, "right": 16, "top": 24, "bottom": 56},
        "xAxis": {
            "type": "category",
            "data": [f"{row['estate']} {row['building']}" for row in buildings],
            "axisLabel": {"interval": 0, "rotate": 30 if len(buildings) > 6 else 0},
        },
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {"name": _("Work orders"), "type": "bar", "data": [row["count"] for row in buildings]}
        ],
    }
    return {"trend": trend, "category": category, "status": status, "building": building}


def workbook(figures):
    """The figures as an Excel workbook: one sheet per table."""
    book = Workbook()
    kpis = figures.kpis
    sheets = [
        (
            _("Summary"),
            [_("Figure"), _("Value")],
            [
                [_("From"), figures.period.start.isoformat()],
                [_("To"), figures.period.end.isoformat()],
                [_("Work orders"), kpis["total"]],
                [_("Completed"), kpis["completed"]],
                [_("Cancelled"), kpis["cancelled"]],
                [_("Average response time (hours)"), kpis["response_hours"]],
                [_("Average resolution time (hours)"), kpis["resolution_hours"]],
                [_("Response SLA breaches"), kpis["response_breaches"]],
                [_("Response SLA breach rate (%)"), kpis["response_breach_rate"]],
                [_("Resolution SLA breaches"), kpis["resolution_breaches"]],
                [_("Resolution SLA breach rate (%)"), kpis["resolution_breach_rate"]],
                [_("Reopened"), kpis["reopened"]],
                [_("Reopen rate (%)"), kpis["reopen_rate"]],
                [_("Average rating"), kpis["rating_average"]],
            ],
        ),
        (
            _("Trend"),
            [_("Period"), _("Work orders")],
            [
                [_label(row["period"], figures.period.granularity), row["count"]]
                for row in figures.trend
            ],
        ),
        (
            _("By category"),
            [_("Category"), _("Work orders")],
            [[row["category"], row["count"]] for row in figures.by_category],
        ),
        (
            _("By status"),
            [_("Status"), _("Work orders")],
            [[row["label"], row["count"]] for row in figures.by_status],
        ),
        (
            _("By building"),
            [_("Estate"), _("Building"), _("Work orders")],
            [[row["estate"], row["building"], row["count"]] for row in figures.by_building],
        ),
        (
            _("Recurring units"),
            [_("Unit"), _("Work orders")],
            [[row["unit"], row["count"]] for row in figures.top_units],
        ),
        (
            _("Recurring categories"),
            [_("Category"), _("Repeat work orders")],
            [[row["category"], row["count"]] for row in figures.top_categories],
        ),
    ]
    book.remove(book.active)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title=str(title)[:31])
        sheet.append([str(h) for h in headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 34
        sheet.column_dimensions["B"].width = 18
        sheet.column_dimensions["C"].width = 14
        for row in rows:  # category, estate and building names are typed by people
            sheet.append(
                [excel.neutralise_formula(str(v) if hasattr(v, "__html__") else v) for v in row]
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@access(PERMISSION)
def statistics_page(request):
    form = RangeForm(request.GET or None)
    period = form.period()
    figures = statistics.cached_figures(request.user, period, request.session.get("estate_id"))
    if request.GET.get("export") == "xlsx":
        name = f"repairs-statistics-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
        return xlsx_response(workbook(figures), name)
    export_params = request.GET.copy()
    export_params["export"] = "xlsx"
    context = {
        "form": form,
        "figures": figures,
        "kpis": figures.kpis,
        "charts": chart_options(figures),
        "export_query": export_params.urlencode(),
        "custom": (form.is_bound and request.GET.get("range") == CUSTOM),
    }
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "repairs/statistics.html", context, status=status)
