"""Formula injection: every export of the product, with formula payloads typed into the text it
carries (names, descriptions, codes, plates), writes no formula cell and keeps the text behind
a quote. A new export is walked here too: the last tests fail until it is added."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone
from openpyxl import load_workbook

from courtyard.billing.choices import MeterType
from courtyard.billing.models import ParkingSpace, Payment, PaymentAllocation
from courtyard.billing.tests.factories import make_bill, make_reading, seed_charge_items
from courtyard.core import jobs
from courtyard.core.models import Job
from courtyard.notices import services as notices
from courtyard.notices import views as notice_views
from courtyard.notices.choices import AudienceKind
from courtyard.repairs.choices import Source
from courtyard.repairs.models import RepairCategory, WorkOrder
from courtyard.residents.models import Vehicle
from courtyard.residents.tests.helpers import resident_in
from tests.factories import BuildingFactory, EntranceFactory, EstateFactory, UnitFactory, make_user

pytestmark = pytest.mark.django_db

ESTATE = '=HYPERLINK("http://evil.example/","estate")'
BUILDING = "=1+1"
DESCRIPTION = '=HYPERLINK("http://evil.example/","a")'
ENTRANCE = "@SUM(1+1)"
ROOM = "-2+3"
RESIDENT = "+cmd|' /C calc'!A0"
CATEGORY = "=2+2"
REPAIR = '=HYPERLINK("http://evil.example/","repair")'
ITEM = "@ITEM"
PAYER = "-cmd"
SPACE = "=1+3"
LEVEL = "@B1"
PLATE = "\t=1+5"
THIS_MONTH = timezone.localdate().strftime("%Y-%m")


@pytest.fixture
def world(db):
    """One record of each kind, every text it exports typed as a formula."""
    estate = EstateFactory(name=ESTATE)
    building = BuildingFactory(estate=estate, name=BUILDING, description=DESCRIPTION)
    unit = UnitFactory(entrance=EntranceFactory(building=building, name=ENTRANCE), room_no=ROOM)
    resident = resident_in(unit, name=RESIDENT, phone="13800000001")
    category = RepairCategory.objects.create(code="pipes", name=CATEGORY)
    WorkOrder.objects.create(
        number="BX-1",
        estate=estate,
        building=building,
        unit=unit,
        category=category,
        description=REPAIR,
        source=Source.PORTAL,  # a resident typed it in the portal
        resident=resident,
    )
    item = seed_charge_items()["property-fee"]
    item.name = item.name_en = ITEM  # exports show the reader's language: plant it in both
    item.save()
    overdue = timezone.localdate() - datetime.timedelta(days=40)
    bill = make_bill(unit, item, "112.50", payer=resident, due_date=overdue)
    payment = Payment.objects.create(
        number="SK-1", estate=estate, amount="10.00", method="cash", payer_name=PAYER
    )
    PaymentAllocation.objects.create(payment=payment, bill=bill, amount="10.00")
    make_reading(unit, MeterType.WATER, THIS_MONTH, "130")
    vehicle = Vehicle.objects.create(resident=resident, plate=PLATE)
    ParkingSpace.objects.create(
        estate=estate, code=SPACE, area=LEVEL, resident=resident, vehicle=vehicle, unit=unit
    )
    clerk = make_user("clerk", superuser=True)
    notice = notices.create_notice(
        clerk,
        title="停水通知",
        content="<p>明日停水。</p>",
        effective_from=timezone.now() - datetime.timedelta(hours=1),
        audience_kind=AudienceKind.ESTATES,
        estates=[estate],
        channels=["app"],
    )
    notices.submit_notice(clerk, notice)
    return {"clerk": clerk, "building": building, "notice": notice}


class Export:
    """How to get one export's file, the payloads it must carry as text, the job that writes
    it if any."""

    def __init__(self, url_name, payloads, params=None, job=None, args=None, long_list=False):
        self.url_name, self.payloads, self.job = url_name, payloads, job
        self.params, self.args = params or (lambda world: {}), args or (lambda world: ())
        self.long_list = long_list  # the unread list goes to a job only when it is long

    def content(self, client, world, capture, monkeypatch):
        if self.long_list:
            monkeypatch.setattr(notice_views, "UNREAD_EXPORT_INLINE", 0)
        with capture(execute=True):
            response = client.get(reverse(self.url_name, args=self.args(world)), self.params(world))
        if response.status_code == 302:  # the job page offers the file
            job = Job.objects.latest("pk")
            assert job.kind == self.job and job.status == "succeeded", job.result
            return job.output_file.open("rb").read()
        assert response.status_code == 200, response
        if self.job:  # written at once, but by the job all the same
            assert Job.objects.latest("pk").kind == self.job
        return b"".join(response.streaming_content) if response.streaming else response.content


TEMPLATE = lambda world: {"template": 1}  # noqa: E731

EXPORTS = {
    "buildings": Export(
        "estates:building_export", [ESTATE, BUILDING, DESCRIPTION], job="estates.export_buildings"
    ),
    "units": Export(
        "estates:unit_export", [ESTATE, BUILDING, ENTRANCE, ROOM], job="estates.export_units"
    ),
    "units import template": Export("estates:unit_import", [], TEMPLATE),
    "residents": Export("residents:resident_export", [RESIDENT], job="residents.export_residents"),
    "residents import template": Export("residents:resident_import", [], TEMPLATE),
    "work orders": Export(
        "repairs:workorder_export", [CATEGORY, REPAIR], job="repairs.export_work_orders"
    ),
    "repair statistics": Export(
        "repairs:statistics", [CATEGORY, ESTATE, BUILDING], lambda world: {"export": "xlsx"}
    ),
    "bills": Export("billing:bill_export", [ESTATE, RESIDENT, ITEM], job="billing.export_bills"),
    "payments": Export("billing:payment_export", [PAYER, ESTATE], job="billing.export_payments"),
    "arrears": Export("billing:arrears_export", [RESIDENT, ITEM], job="billing.export_arrears"),
    "meter readings": Export(
        "billing:meterreading_export",
        [ESTATE, BUILDING, ENTRANCE, ROOM],
        job="billing.export_readings",
    ),
    "meter readings building sheet": Export(
        "billing:meterreading_import",
        [ESTATE, BUILDING, ENTRANCE, ROOM],
        lambda world: {
            "template": 1,
            "building": world["building"].pk,
            "meter_type": MeterType.WATER,
            "period": THIS_MONTH,
        },
    ),
    "parking spaces": Export(
        "billing:parkingspace_export",
        [SPACE, LEVEL, ESTATE, RESIDENT, PLATE],
        job="billing.export_parking_spaces",
    ),
    "notice unread list": Export(
        "notices:notice_unread_export", [ESTATE, RESIDENT], args=lambda w: [w["notice"].pk]
    ),
    "notice unread list, long": Export(
        "notices:notice_unread_export",
        [ESTATE, RESIDENT],
        args=lambda w: [w["notice"].pk],
        job="notices.export_unread",
        long_list=True,
    ),
}


def cells(content):
    book = load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


@pytest.mark.parametrize("export", EXPORTS)
def test_no_export_writes_a_formula(
    export, client, world, django_capture_on_commit_callbacks, monkeypatch
):
    client.force_login(world["clerk"])
    content = EXPORTS[export].content(
        client, world, django_capture_on_commit_callbacks, monkeypatch
    )
    written = cells(content)
    assert [cell.value for cell in written if cell.data_type == "f"] == []
    texts = {cell.value for cell in written if cell.data_type == "s"}
    assert [p for p in EXPORTS[export].payloads if "'" + p not in texts] == []


def test_numbers_and_dates_stay_typed_in_an_export(
    client, world, django_capture_on_commit_callbacks, monkeypatch
):
    client.force_login(world["clerk"])
    content = EXPORTS["bills"].content(
        client, world, django_capture_on_commit_callbacks, monkeypatch
    )
    written = cells(content)
    amount = next(cell for cell in written if cell.value == Decimal("112.50"))
    assert amount.data_type == "n"
    assert any(cell.is_date for cell in written)


def test_every_export_page_is_walked():
    names = set()

    def walk(resolver, namespace):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                walk(pattern, pattern.namespace or namespace)
            elif pattern.name and ("export" in pattern.name or "import" in pattern.name):
                names.add(f"{namespace}:{pattern.name}")

    walk(get_resolver(), "")
    assert names - {export.url_name for export in EXPORTS.values()} == set()


def test_every_export_job_is_walked():
    kinds = {kind for kind in jobs._handlers if ".export_" in kind}
    assert kinds - {export.job for export in EXPORTS.values()} == set()
