"""API of bill runs: ``bill-runs`` — preview (nothing written), create (the job starts; its
progress is on the run), list, detail with progress, totals and problems, and ``/publish``.
A period published already for the scope answers 409 ``already_published``."""

from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Sum
from django.http import Http404
from ninja import Field, Router, Schema, Status

from courtyard.core.access import acts_on
from courtyard.core.api import Id, api_access, id_of, resource
from courtyard.core.bilingual import in_language
from courtyard.core.references import resolve, resolve_many
from courtyard.core.scoping import restrict
from courtyard.estates.models import Building, Estate

from ..choices import Cycle
from ..models import Bill, BillRun, ChargeItem
from ..pricing import to_money
from . import services as runs_services

router = Router(tags=["billing"])
RUNS = BillRun.objects.select_related("estate", "job").prefetch_related("items", "buildings")


class RunIn(Schema):
    estate: Id
    buildings: list[Id] = []
    cycle: Cycle = Cycle.MONTH
    period: str
    items: list[Id]
    confirm_ahead: bool = Field(
        False, description="Required (true) to start a run of a period beyond the next one."
    )


class ItemTotalOut(Schema):
    item: int
    item_name: str
    count: int
    amount: Decimal
    existing: int = 0


class ProblemOut(Schema):
    code: str
    label: str
    item: str
    outcome: str = Field(
        "",
        description="What the problem does to its bills: skipped (not created), no_payer "
        "(created without a payer), exists (created already), blocked (the run cannot start).",
    )
    effect: str = ""
    skips: bool
    count: int
    examples: list[str]


class PreviewOut(Schema):
    estate: int
    buildings: list[int]
    cycle: str
    period: str
    period_start: date
    period_end: date
    bill_count: int
    total_amount: Decimal
    existing_count: int
    skipped_count: int
    without_payer_count: int
    periods_ahead: int
    needs_confirmation: bool
    ahead_note: str
    totals: list[ItemTotalOut]
    problems: list[ProblemOut]
    blocked: str


class ProgressOut(Schema):
    job: int | None
    job_status: str
    done: int
    total: int
    percent: int


class RunOut(Schema):
    id: int
    status: str
    estate: int = id_of("estate")
    buildings: list[int]
    items: list[int]
    cycle: str
    period: str
    period_start: date
    period_end: date
    bill_count: int
    total_amount: Decimal
    progress: ProgressOut
    created_at: datetime
    published_at: datetime | None

    @staticmethod
    def resolve_buildings(obj):
        return [building.pk for building in obj.buildings.all()]

    @staticmethod
    def resolve_items(obj):
        return [item.pk for item in obj.items.all()]

    @staticmethod
    def resolve_progress(obj):
        job = obj.job
        finished = obj.status in ("generated", "published")
        return {
            "job": obj.job_id,
            "job_status": job.status if job else "",
            "done": job.done if job else 0,
            "total": job.total if job else 0,
            "percent": 100 if finished else (job.percent if job else 0),
        }


class RunDetailOut(RunOut):
    totals: list[ItemTotalOut]
    problems: list[ProblemOut]

    @staticmethod
    def resolve_totals(obj):
        rows = (
            Bill.objects.filter(bill_run=obj)
            .order_by("item__sort_order")
            .values("item_id", "item__name", "item__name_en", "item__sort_order")
            .annotate(count=Count("pk"), amount=Sum("amount"))
        )
        return [
            {
                "item": row["item_id"],
                "item_name": in_language(row["item__name"], row["item__name_en"]),
                "count": row["count"],
                "amount": to_money(row["amount"]),
            }
            for row in rows
        ]


def _choice(user, payload):
    """The payload's ids as records; one missing or outside the data scope is a 404."""
    return {
        "estate": resolve(user, Estate, payload.estate),
        "buildings": resolve_many(user, Building, payload.buildings),
        "cycle": payload.cycle,
        "period": payload.period,
        "items": resolve_many(user, ChargeItem, payload.items),
    }


# Before /bill-runs/{pk}: the first path that matches wins.
@router.post("/bill-runs/preview", response=PreviewOut)
@api_access("billing.add_billrun")
def preview_run(request, payload: RunIn):
    preview = runs_services.preview_bill_run(request.user, **_choice(request.user, payload))
    scope = preview.scope
    return {
        "estate": scope.estate.pk,
        "buildings": scope.building_ids,
        "cycle": scope.period.cycle,
        "period": scope.period.label,
        "period_start": scope.period.start,
        "period_end": scope.period.end,
        "bill_count": preview.bill_count,
        "total_amount": preview.total_amount,
        "existing_count": preview.existing_count,
        "skipped_count": preview.skipped_count,
        "without_payer_count": preview.without_payer_count,
        "periods_ahead": preview.periods_ahead,
        "needs_confirmation": preview.needs_confirmation,
        "ahead_note": preview.ahead_note,
        "totals": [
            {
                "item": total.item.pk,
                "item_name": total.item.shown_name,
                "count": total.count,
                "amount": total.amount,
                "existing": total.existing,
            }
            for total in preview.totals
        ],
        "problems": preview.problems,
        "blocked": preview.blocking,
    }


resource(
    router,
    "/bill-runs",
    BillRun,
    name="run",
    rows=lambda user, action: restrict(RUNS, user, action),
    out=RunOut,
    detail=RunDetailOut,
    order=("-created_at", "-id"),
    names={"list": "list_runs"},
)


@router.post("/bill-runs", response={201: RunDetailOut})
@api_access("billing.add_billrun")
def create_run(request, payload: RunIn):
    """Start a run; a period beyond the next one answers 400 ``period_far_ahead`` unless
    ``confirm_ahead`` is true."""
    run = runs_services.start_bill_run(
        request.user, **_choice(request.user, payload), confirm_ahead=payload.confirm_ahead
    )
    return Status(201, RUNS.get(pk=run.pk))


@router.post("/bill-runs/{pk}/publish", response=RunDetailOut)
@api_access("billing.publish_bill")
@acts_on(BillRun)
def publish_run(request, pk: int):
    run = BillRun.objects.filter(pk=pk).first()
    if run is None:
        raise Http404
    runs_services.publish_bill_run(request.user, run)  # checks the scope: 404 outside it
    return RUNS.get(pk=run.pk)


@router.post("/bill-runs/{pk}/restart", response=RunDetailOut)
@api_access("billing.add_billrun")
def restart_run(request, pk: int):
    """Generate a failed run again (409 ``not_failed`` for any other)."""
    run = BillRun.objects.filter(pk=pk).first()
    if run is None:
        raise Http404
    runs_services.restart_bill_run(request.user, run)  # checks the scope: 404 outside it
    return RUNS.get(pk=run.pk)
