"""The residents rules: registration and approval, recognition, owners, edits, move-out, archive."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from courtyard.core.approvals import services as approvals
from courtyard.core.exceptions import StateConflict
from courtyard.core.files import attachments_of
from courtyard.core.timeline import events_for
from courtyard.residents import hooks, services
from courtyard.residents.models import Occupancy, Registration, Resident
from tests.factories import make_user

from .conftest import id_number, person

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 3, 1)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name="deed.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def register(actor, unit, main=None, **kwargs):
    kwargs.setdefault("move_in", TODAY)
    return services.submit_registration(actor, unit=unit, main=main or person(), **kwargs)


def two_levels(estate=None):
    admin = make_user("flow-admin", superuser=True)
    first = Group.objects.create(name="客服主管")
    second = Group.objects.create(name="项目经理")
    approvals.set_flow_levels(admin, services.APPROVAL_KIND, estate, [first, second])
    one = make_user("approver1")
    one.groups.add(first)
    two = make_user("approver2")
    two.groups.add(second)
    return one, two


# Registration and approval -----------------------------------------------------------------


def test_without_levels_a_registration_takes_effect_at_once(clerk, unit):
    registration = register(
        clerk,
        unit,
        members=[person("李娜", role="member", sequence=2, phone="", relation="配偶")],
        documents=[("deed", pdf())],
    )
    assert registration.status == "approved"
    owner = registration.resident
    assert owner.status == "current"
    assert owner.id_number_masked == id_number(1)[:6] + "********" + id_number(1)[-4:]
    assert len(owner.id_number_hash) == 64 and id_number(1) not in owner.id_number_hash
    assert set(Occupancy.objects.filter(unit=unit).values_list("role", "status")) == {
        ("owner", "current"),
        ("member", "current"),
    }
    unit.refresh_from_db()
    assert unit.status == "occupied"
    main = Occupancy.objects.get(unit=unit, role="owner")
    assert [a.purpose for a in attachments_of(main)] == ["deed"]


def test_a_tenant_makes_the_unit_rented(clerk, unit):
    register(clerk, unit, main=person(role="tenant"))
    unit.refresh_from_db()
    assert unit.status == "rented"


def test_two_levels_take_effect_only_on_the_final_approval(clerk, unit):
    one, two = two_levels()
    registration = register(clerk, unit)
    assert registration.status == "pending"
    assert registration.resident.status == "pending"
    request = approvals.latest_request(registration)
    approvals.approve(one, request, "ok")
    registration.refresh_from_db()
    unit.refresh_from_db()
    assert registration.status == "pending" and unit.status == "vacant"
    approvals.approve(two, request)
    registration.refresh_from_db()
    unit.refresh_from_db()
    assert registration.status == "approved" and unit.status == "occupied"
    assert Resident.objects.get(pk=registration.resident_id).status == "current"


def test_rejection_returns_it_and_a_resubmission_starts_again(clerk, unit):
    one, two = two_levels()
    registration = register(clerk, unit, main=person(phone="13911112222"))
    approvals.reject(one, approvals.latest_request(registration), "证件照片不清晰")
    registration.refresh_from_db()
    assert registration.status == "rejected"
    assert registration.reject_reason == "证件照片不清晰"
    assert set(registration.occupancies.values_list("status", flat=True)) == {"rejected"}
    unit.refresh_from_db()
    assert unit.status == "vacant"
    # Corrected without typing the ID number again: the same person is kept.
    main = services.PersonInput(name="张伟", role="owner", phone="13911113333")
    main.resident = registration.resident
    again = register(clerk, unit, main=main, registration=registration)
    assert again.pk == registration.pk and again.status == "pending"
    assert len(approvals.requests_for(again)) == 2
    request = approvals.latest_request(again)
    approvals.approve(one, request)
    approvals.approve(two, request)
    again.refresh_from_db()
    assert again.status == "approved"
    assert Resident.objects.count() == 1


def test_only_rejected_registrations_are_resubmitted(clerk, unit):
    two_levels()
    registration = register(clerk, unit)
    with pytest.raises(StateConflict):
        register(clerk, unit, registration=registration)


def test_the_same_person_is_recognised_by_the_id_number(clerk, unit, unit2):
    first = register(clerk, unit)
    second = register(clerk, unit2, main=person(name="张伟", sequence=1, phone="13700001111"))
    assert second.resident_id == first.resident_id
    assert Resident.objects.count() == 1
    assert Occupancy.objects.filter(resident=first.resident, status="current").count() == 2


def test_bad_id_and_phone_change_nothing(clerk, unit):
    bad = person()
    bad.id_number = bad.id_number[:-1] + ("0" if bad.id_number[-1] != "0" else "1")
    with pytest.raises(ValidationError) as error:
        register(clerk, unit, main=bad)
    assert "id_number" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        register(clerk, unit, main=person(phone="12345"))
    assert "phone" in error.value.message_dict
    assert not Registration.objects.exists() and not Resident.objects.exists()


def test_a_second_owner_is_refused_unless_the_first_moves_out(clerk, unit):
    first = register(clerk, unit)
    with pytest.raises(ValidationError) as error:
        register(clerk, unit, main=person("王芳", sequence=5))
    assert "already has an owner" in " ".join(error.value.message_dict["role"])
    register(
        clerk,
        unit,
        main=person("王芳", sequence=5),
        previous_owner_move_out=datetime.date(2026, 2, 28),
    )
    old = Occupancy.objects.get(resident=first.resident, unit=unit)
    assert old.status == "ended" and old.move_out == datetime.date(2026, 2, 28)
    assert Occupancy.objects.get(unit=unit, status="current").resident.name == "王芳"


def test_a_person_cannot_be_named_twice_for_a_unit(clerk, unit):
    with pytest.raises(ValidationError) as error:
        register(clerk, unit, members=[person("张伟", role="member", sequence=1)])
    assert "members-0-id_number" in error.value.message_dict


def test_a_document_must_be_what_it_claims(clerk, unit):
    fake = SimpleUploadedFile("deed.pdf", b"MZ not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError) as error:
        register(clerk, unit, documents=[("deed", fake)])
    assert "documents" in error.value.message_dict
    assert not Registration.objects.exists()


def test_registration_needs_the_permission_and_the_scope(clerk, other_unit, unit):
    with pytest.raises(Http404):
        register(clerk, other_unit)
    with pytest.raises(PermissionDenied):
        register(make_user("viewer", "residents.view_resident"), unit)


# Editing -----------------------------------------------------------------------------------


def test_contact_details_change_with_the_change_permission(clerk, unit):
    owner = register(clerk, unit).resident
    services.update_resident(clerk, owner, phone="13655556666", email="zw@example.com")
    owner.refresh_from_db()
    assert owner.phone == "13655556666" and owner.phone_last4 == "6666"
    assert events_for(owner).filter(verb="contact_changed").exists()
    with pytest.raises(ValidationError):
        services.update_resident(clerk, owner, phone="555")
    with pytest.raises(PermissionDenied):
        services.update_resident(clerk, owner, name="别人")


def test_core_changes_need_the_permission_and_the_confirmation(clerk, admin, unit):
    owner = register(clerk, unit).resident
    with pytest.raises(PermissionDenied):
        services.change_core(clerk, owner, confirmation_note="业主来电", name="张伟伟")
    with pytest.raises(ValidationError) as error:
        services.change_core(admin, owner, confirmation_note="", name="张伟伟")
    assert set(error.value.message_dict) == {"confirmation_note", "confirmation_file"}
    owner.refresh_from_db()
    assert owner.name == "张伟"
    services.change_core(
        admin,
        owner,
        confirmation_note="业主持身份证到前台确认",
        confirmation_file=pdf("confirm.pdf"),
        name="张伟伟",
        id_number=id_number(9),
    )
    owner.refresh_from_db()
    assert owner.name == "张伟伟" and owner.id_number_masked.endswith(id_number(9)[-4:])
    assert attachments_of(owner).get().purpose == "confirmation"
    assert events_for(owner).filter(verb="core_changed").exists()


def test_ownership_change_is_core_information(clerk, admin, unit):
    register(clerk, unit, members=[person("李娜", role="member", sequence=2, phone="")])
    member = Occupancy.objects.get(unit=unit, role="member")
    with pytest.raises(ValidationError) as error:
        services.change_occupancy(
            admin, member, role="owner", confirmation_note="确认", confirmation_file=pdf()
        )
    assert "role" in error.value.message_dict  # the unit has its owner
    services.change_occupancy(
        admin, member, role="tenant", confirmation_note="确认", confirmation_file=pdf()
    )
    member.refresh_from_db()
    unit.refresh_from_db()
    assert member.role == "tenant" and unit.status == "rented"


# Move-out and archive ----------------------------------------------------------------------


def test_archive_is_refused_while_the_person_lives_there(clerk, unit):
    owner = register(clerk, unit).resident
    with pytest.raises(StateConflict) as error:
        services.archive_resident(clerk, owner)
    assert "still lives in" in str(error.value.message)
    owner.refresh_from_db()
    assert owner.archived_at is None


def test_move_out_empties_the_unit_and_then_archive_works(clerk, unit):
    owner = register(clerk, unit).resident
    occupancy = Occupancy.objects.get(resident=owner)
    services.end_occupancy(clerk, occupancy, datetime.date(2026, 4, 1))
    unit.refresh_from_db()
    assert unit.status == "vacant"
    services.archive_resident(clerk, owner, "已售房")
    owner.refresh_from_db()
    assert owner.status == "archived" and owner.archived_by == clerk


def test_a_person_archived_meanwhile_is_not_archived_twice(clerk, unit):
    owner = register(clerk, unit).resident
    services.end_occupancy(clerk, Occupancy.objects.get(resident=owner), TODAY)
    seen_by_second_clerk = Resident.objects.get(pk=owner.pk)
    services.archive_resident(clerk, owner, "已售房")
    with pytest.raises(StateConflict):
        services.archive_resident(clerk, seen_by_second_clerk, "另一个理由")
    owner.refresh_from_db()
    assert owner.archive_reason == "已售房"


def test_a_unit_stays_occupied_while_someone_lives_there(clerk, unit):
    register(clerk, unit, members=[person("李娜", role="member", sequence=2, phone="")])
    owner = Occupancy.objects.get(unit=unit, role="owner")
    services.end_occupancy(clerk, owner, datetime.date(2026, 4, 1))
    unit.refresh_from_db()
    assert unit.status == "occupied"


def test_archive_checks_of_other_modules_apply(clerk, unit, monkeypatch):
    owner = register(clerk, unit).resident
    services.end_occupancy(clerk, Occupancy.objects.get(resident=owner), TODAY)
    monkeypatch.setattr(hooks, "_archive_checks", [lambda r: "欠费 ¥320.00"])
    with pytest.raises(StateConflict) as error:
        services.archive_resident(clerk, owner)
    assert "320.00" in str(error.value.message)


def test_members_and_vehicles(clerk, unit):
    owner = register(clerk, unit).resident
    occupancy = services.add_member(clerk, unit, person("张小明", role="member", sequence=3))
    assert occupancy.status == "current" and occupancy.role == "member"
    vehicle = services.add_vehicle(clerk, owner, plate="京a 12345", kind="car")
    assert vehicle.plate == "京A12345"
    with pytest.raises(ValidationError):
        services.add_vehicle(clerk, owner, plate="京A12345")
    with pytest.raises(ValidationError):
        services.add_vehicle(clerk, owner, plate="ABC")
    services.remove_vehicle(clerk, vehicle)
    assert not owner.vehicles.exists()


def test_a_member_needs_a_household(clerk, unit):
    with pytest.raises(StateConflict):
        services.add_member(clerk, unit, person("张小明", role="member", sequence=3))
