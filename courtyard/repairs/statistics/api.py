"""API: ``GET /reports/repairs`` — the repair statistics as JSON (the page's figures)."""

from datetime import date, datetime

from ninja import Query, Router, Schema

from courtyard.core.api import api_access

from . import selectors as statistics
from .forms import parse_period
from .selectors import PERMISSION

router = Router(tags=["repairs"])


class ReportQuery(Schema):
    range: str = "last30"  # last30 | year | custom
    start: date | None = None
    end: date | None = None
    granularity: str = ""  # day | week | month; empty: automatic
    estate: int | None = None


class TrendOut(Schema):
    period: date
    count: int


class CategoryOut(Schema):
    category: str
    count: int


class StatusOut(Schema):
    status: str
    label: str
    count: int


class BuildingCountOut(Schema):
    estate: str
    building: str
    count: int


class UnitCountOut(Schema):
    unit: str
    count: int


class KpisOut(Schema):
    total: int
    completed: int
    cancelled: int
    response_hours: float | None
    resolution_hours: float | None
    response_breaches: int
    response_breach_rate: float | None
    resolution_breaches: int
    resolution_breach_rate: float | None
    reopened: int
    reopen_rate: float | None
    rated: int
    rating_average: float | None


class RepairReportOut(Schema):
    computed_at: datetime
    start: date
    end: date
    granularity: str
    kpis: KpisOut
    trend: list[TrendOut]
    by_category: list[CategoryOut]
    by_status: list[StatusOut]
    by_building: list[BuildingCountOut]
    top_units: list[UnitCountOut]
    top_categories: list[CategoryOut]


@router.get("/reports/repairs", response=RepairReportOut)
@api_access(PERMISSION)
def repair_report(request, filters: Query[ReportQuery]):
    """Figures over the work orders reported in a range (default: the last 30 days)."""
    params = {
        key: value
        for key, value in {
            "range": filters.range,
            "start": filters.start.isoformat() if filters.start else "",
            "end": filters.end.isoformat() if filters.end else "",
            "granularity": filters.granularity,
        }.items()
        if value
    }
    period = parse_period(params)
    figures = statistics.cached_figures(request.user, period, filters.estate)
    return {
        "computed_at": figures.computed_at,
        "start": period.start,
        "end": period.end,
        "granularity": period.granularity,
        "kpis": figures.kpis,
        "trend": figures.trend,
        "by_category": figures.by_category,
        "by_status": figures.by_status,
        "by_building": figures.by_building,
        "top_units": figures.top_units,
        "top_categories": figures.top_categories,
    }
