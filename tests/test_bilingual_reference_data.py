"""Under an English browser nothing seeded stays Chinese: roles, repair categories and charge
items show their English name (the Chinese one stays the default); a person's name is 姓名;
the language switcher names each language in itself; Django's similarity message reads
without stray spaces (issue 19 point 15)."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.password_validation import UserAttributeSimilarityValidator
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from courtyard.accounts.administration.services import ensure_default_roles
from courtyard.accounts.models import Role, User
from courtyard.billing.tests.factories import make_bill, seed_charge_items
from courtyard.repairs.models import RepairCategory
from courtyard.residents.tables import ResidentTable

pytestmark = pytest.mark.django_db


def in_both(record):
    with translation.override("en"):
        english = str(record)
    with translation.override("zh-hans"):
        chinese = str(record)
    return english, chinese


def test_seeded_charge_items_read_in_the_users_language():
    items = seed_charge_items()
    assert in_both(items["property-fee"]) == ("Property fee", "物业费")
    assert in_both(items["water"]) == ("Water", "水费")


def test_seeded_repair_categories_read_in_the_users_language():
    importlib.import_module("courtyard.repairs.migrations.0002_seed_categories").seed(apps, None)
    importlib.import_module("courtyard.repairs.migrations.0011_repaircategory_english_name").fill(
        apps, None
    )
    assert in_both(RepairCategory.objects.get(code="water_electric")) == (
        "Water & electricity",
        "水电",
    )


def test_a_category_without_an_english_name_shows_its_name():
    category = RepairCategory.objects.create(name="绿化", code="greenery")
    assert in_both(category) == ("绿化", "绿化")


def test_default_roles_read_in_the_users_language():
    ensure_default_roles()
    assert in_both(Role.objects.get(group__name="财务人员")) == ("Finance", "财务人员")
    assert all(role.name_en for role in Role.objects.all())


def test_the_portal_bill_list_shows_the_english_item_name(client):
    from courtyard.portal.tests.conftest import move_in, resident_account
    from courtyard.residents.choices import Role as Occupying
    from tests.factories import UnitFactory

    unit = UnitFactory()
    user = resident_account()
    me = move_in(unit, "王小明", user.phone, Occupying.OWNER, user=user).resident
    make_bill(unit, seed_charge_items()["property-fee"], payer=me)
    client.force_login(user)
    client.cookies["django_language"] = "en"
    assert "Property fee" in client.get("/portal/bills/").content.decode()


def test_a_persons_name_is_xingming():
    with translation.override("zh-hans"):
        assert str(ResidentTable.base_columns["name"].label) == "姓名"


def test_the_language_switcher_names_each_language_in_itself(client):
    for language in ("en", "zh-hans"):
        client.cookies["django_language"] = language
        html = client.get("/accounts/login/").content.decode()
        assert '<option value="en" lang="en"' in html and ">English</option>" in html
        assert '<option value="zh-hans" lang="zh-hans"' in html and ">简体中文</option>" in html


def test_too_similar_to_the_username_reads_without_stray_spaces():
    user = User(username="wangfang88")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        UserAttributeSimilarityValidator().validate("wangfang88!", user)
    assert refused.value.messages == ["密码与用户名太相似。"]


def test_the_repair_category_form_sets_the_english_name(client):
    from tests.factories import make_user

    client.force_login(make_user("keeper", "repairs.add_repaircategory"))
    form = client.get(reverse("repairs:repaircategory_add")).content.decode()
    assert 'name="name_en"' in form
    client.post(
        reverse("repairs:repaircategory_add"),
        {"name": "绿化", "name_en": " Greenery ", "sort_order": "9", "is_active": "on"},
    )
    assert in_both(RepairCategory.objects.get(name="绿化")) == ("Greenery", "绿化")


def test_the_charge_item_form_sets_the_english_name(client):
    from tests.factories import make_user

    water = seed_charge_items()["water"]
    client.force_login(make_user("chief", "billing.change_chargeitem"))
    edit = reverse("billing:chargeitem_edit", args=[water.pk])
    assert 'name="name_en"' in client.get(edit).content.decode()
    data = {
        "name": "自来水费",
        "name_en": "Tap water",
        "kind": "metered",
        "pricing": "metered",
        "cycle": "month",
        "meter_type": "water",
        "due_days": 20,
        "sort_order": 20,
        "is_active": "on",
    }
    assert client.post(edit, data).status_code == 302
    water.refresh_from_db()
    assert in_both(water) == ("Tap water", "自来水费")


def test_the_role_form_sets_the_english_name_of_a_built_in_role_too(client):
    from tests.factories import make_user

    ensure_default_roles()
    finance = Role.objects.get(group__name="财务人员")
    client.force_login(make_user("root", "accounts.add_role", "accounts.change_role"))
    edit = reverse("accounts:role_edit", args=[finance.pk])
    assert 'value="Finance"' in client.get(edit).content.decode()
    client.post(edit, {"name": "财务人员", "name_en": "Accounts", "description": ""})
    finance.refresh_from_db()
    assert in_both(finance) == ("Accounts", "财务人员")
    client.post(reverse("accounts:role_add"), {"name": "保洁主管", "name_en": "Cleaning lead"})
    assert in_both(Role.objects.get(group__name="保洁主管")) == ("Cleaning lead", "保洁主管")


def bearer(user, language):
    from courtyard.accounts.models import ApiToken

    _token, raw = ApiToken.issue(user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": language}


@pytest.fixture
def billed():
    """A generated bill run of one unit: its property fee and water bills (drafts)."""
    from datetime import date

    from courtyard.billing.models import BillRun
    from tests.factories import UnitFactory

    unit = UnitFactory()
    items = seed_charge_items()
    run = BillRun.objects.create(
        estate=unit.estate,
        cycle="month",
        period="2026-10",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        status="generated",
    )
    for code in ("property-fee", "water"):
        make_bill(unit, items[code], status="draft", bill_run=run)
    return run


@pytest.mark.parametrize(("language", "names"), [("en", "Water"), ("zh-hans", "水费")])
def test_bills_and_bill_runs_name_items_in_the_users_language(client, billed, language, names):
    from tests.factories import make_user

    finance = make_user("finance", "billing.view_bill", "billing.view_billrun")
    headers = bearer(finance, language)
    bills = client.get("/api/v1/bills", **headers).json()["items"]
    assert names in {bill["item_name"] for bill in bills}
    run = client.get(f"/api/v1/bill-runs/{billed.pk}", **headers).json()
    assert names in {total["item_name"] for total in run["totals"]}

    client.force_login(finance)
    client.cookies["django_language"] = language
    page = client.get(reverse("billing:billrun_detail", args=[billed.pk])).content.decode()
    assert f"<td>{names}</td>" in page
    listing = client.get(reverse("billing:bill_list"), {"status": "draft"}).content.decode()
    assert names in listing


def test_the_bill_list_reads_english_names_without_more_queries(client, billed):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_user

    client.force_login(make_user("finance", "billing.view_bill"))
    counts = {}
    for language in ("zh-hans", "en", "zh-hans"):
        client.cookies["django_language"] = language
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("billing:bill_list"), {"status": "draft"})
        counts[language] = len(queries.captured_queries)
    assert counts["en"] == counts["zh-hans"]


@pytest.mark.parametrize(("language", "name"), [("en", "Water & electricity"), ("zh-hans", "水电")])
def test_work_orders_name_their_category_in_the_users_language(client, language, name):
    from courtyard.portal.tests.conftest import move_in, resident_account
    from courtyard.repairs.services import submit_from_portal
    from courtyard.residents.choices import Role as Occupying
    from tests.factories import UnitFactory, make_user

    unit = UnitFactory()
    resident = resident_account()
    move_in(unit, "王小明", resident.phone, Occupying.OWNER, user=resident)
    category = RepairCategory.objects.create(
        name="水电", name_en="Water & electricity", code="water_electric"
    )
    submit_from_portal(resident, unit=unit, category=category, description="厨房水管漏水")
    clerk = make_user("clerk", "repairs.view_workorder", estates=[unit.estate])
    assert (
        client.get("/api/v1/work-orders", **bearer(clerk, language)).json()["items"][0][
            "category_name"
        ]
        == name
    )
    mine = client.get("/api/v1/portal/work-orders", **bearer(resident, language)).json()
    assert mine["items"][0]["category_name"] == name
    client.force_login(clerk)
    client.cookies["django_language"] = language
    assert escape(name) in client.get(reverse("repairs:workorder_list")).content.decode()


def test_user_and_role_pages_name_roles_in_the_users_language(client):
    from tests.factories import make_user

    ensure_default_roles()
    finance = Role.objects.get(group__name="财务人员")
    clerk = make_user("clerk")
    clerk.groups.add(finance.group)
    admin = make_user("root", "accounts.view_user", "accounts.view_role")
    client.force_login(admin)
    client.cookies["django_language"] = "en"
    pages = {
        "users": reverse("accounts:user_list"),
        "user": reverse("accounts:user_detail", args=[clerk.pk]),
        "roles": reverse("accounts:role_list"),
        "role": reverse("accounts:role_detail", args=[finance.pk]),
    }
    for name, url in pages.items():
        content = client.get(url).content.decode()
        assert "Finance" in content, name
    assert (
        '<span class="badge bg-blue-lt">Finance</span>'
        in client.get(pages["users"]).content.decode()
    )
    client.cookies["django_language"] = "zh-hans"
    assert "财务人员" in client.get(pages["users"]).content.decode()


def test_the_user_list_reads_role_names_in_a_fixed_number_of_queries(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_user

    ensure_default_roles()
    roles = list(Role.objects.all())
    client.force_login(make_user("root", "accounts.view_user"))
    client.cookies["django_language"] = "en"
    client.get(reverse("accounts:user_list"))  # the session and the cached parameters settle
    counts = []
    for batch in range(2):
        for number in range(5 * batch + 1):
            make_user(f"staff{batch}{number}").groups.add(*[r.group for r in roles[:3]])
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("accounts:user_list"))
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]
