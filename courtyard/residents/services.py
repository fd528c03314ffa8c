"""Writes to the residents register: registrations, approvals' effects, edits, move-outs,
archiving, vehicles, portal invitations.

Every function takes the acting user first, checks the function permission and the data
scope, validates with messages a clerk understands, writes in one transaction, and records
the business event on the timeline. The web forms, the API and the Excel import all come
through here; ``check_people`` is the one validation of people for a unit that the form,
the API and the import share.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core.approvals import services as approvals
from courtyard.core.exceptions import StateConflict
from courtyard.core.files import attach, validate_upload
from courtyard.core.scoping import check_in_scope, require_action
from courtyard.core.timeline import record_event
from courtyard.estates import services as estate_services
from courtyard.estates.choices import Occupancy as UnitStatus

from . import hooks, idcard
from .choices import (
    MAIN_ROLES,
    DocumentPurpose,
    OccupancyStatus,
    RegistrationStatus,
    ResidentKind,
    ResidentStatus,
    Role,
    VehicleKind,
)
from .models import Occupancy, Registration, Resident, Vehicle
from .validators import normalise_phone, normalise_plate, validate_phone, validate_plate

APPROVAL_KIND = "residents.registration"
CONTACT_FIELDS = ("phone", "email", "emergency_contact", "emergency_phone", "note")
CORE_FIELDS = ("name", "kind", "company_name", "id_number")
LIVING = (OccupancyStatus.CURRENT, OccupancyStatus.PENDING)


# People for a unit: the one validation ------------------------------------------------------


@dataclass
class PersonInput:
    """One person named for a unit, as typed (form, API or import row)."""

    name: str
    role: str = Role.OWNER
    id_number: str = ""
    phone: str = ""
    kind: str = ResidentKind.INDIVIDUAL
    company_name: str = ""
    email: str = ""
    emergency_contact: str = ""
    emergency_phone: str = ""
    relation: str = ""
    # Filled in by check_people: the normalised number's fingerprint and masked form.
    id_hash: str = field(default="", repr=False)
    id_masked: str = field(default="", repr=False)
    # An existing person to keep (a resubmission without the ID number typed again).
    resident: Resident | None = field(default=None, repr=False)


def check_people(unit, people, *, previous_owner_move_out=None, registration=None):
    """Validate the people named for ``unit``; return per-person errors ``[{field: [..]}]``.

    Rules: a name; a valid ID number (required for an individual owner or tenant); a valid
    mobile number (required for the owner or tenant); nobody twice in the unit (in the list
    or already living there); at most one owner, and none while the unit has a current owner
    unless the first owner's move-out date is given. Normalises what it accepts in place.
    """
    errors = [{} for _person in people]
    own = registration.occupancies.values_list("pk", flat=True) if registration else []
    living = (
        Occupancy.objects.filter(unit=unit, status__in=LIVING)
        .exclude(pk__in=list(own))
        .select_related("resident")
    )
    living_hashes = {o.resident.id_number_hash for o in living if o.resident.id_number_hash}
    living_ids = {o.resident_id for o in living}
    owners_living = [o.status for o in living if o.role == Role.OWNER]
    has_owner = OccupancyStatus.CURRENT in owners_living
    owner_pending = OccupancyStatus.PENDING in owners_living
    seen, owners = {}, 0
    for index, person in enumerate(people):
        problems = errors[index]
        person.name = (person.name or "").strip()
        if not person.name:
            _add(problems, "name", _("Enter the person's name."), "required")
        if person.role not in Role.values:
            _add(problems, "role", _("Choose owner, tenant or household member."), "bad_role")
        if person.kind == ResidentKind.COMPANY and not (person.company_name or "").strip():
            _add(problems, "company_name", _("Enter the company's name."), "required")
        main = person.role in MAIN_ROLES
        number = idcard.normalise(person.id_number)
        if number:
            try:
                number = idcard.validate(number)
            except ValidationError as error:
                problems.setdefault("id_number", []).append(error)
            else:
                person.id_number = number
                person.id_hash = idcard.fingerprint(number)
                person.id_masked = idcard.mask(number)
        elif person.resident is not None:
            person.id_hash = person.resident.id_number_hash
            person.id_masked = person.resident.id_number_masked
        elif main and person.kind == ResidentKind.INDIVIDUAL:
            _add(problems, "id_number", _("Enter the ID number."), "required")
        person.phone = normalise_phone(person.phone)
        if person.phone:
            try:
                validate_phone(person.phone)
            except ValidationError as error:
                problems.setdefault("phone", []).append(error)
        elif main:
            _add(problems, "phone", _("Enter a mobile number."), "required")
        if person.emergency_phone:
            person.emergency_phone = normalise_phone(person.emergency_phone)
            try:
                validate_phone(person.emergency_phone)
            except ValidationError as error:
                problems.setdefault("emergency_phone", []).append(error)
        identity = person.id_hash or (person.resident.pk if person.resident else None)
        if identity:
            if identity in seen:
                _add(
                    problems,
                    "id_number",
                    _("This person is named twice for the unit."),
                    "duplicate_person",
                )
            elif person.id_hash in living_hashes or (
                person.resident is not None and person.resident.pk in living_ids
            ):
                _add(
                    problems,
                    "id_number",
                    _("This person is already registered at the unit."),
                    "duplicate_person",
                )
            seen[identity] = index
        if person.role == Role.OWNER:
            owners += 1
            if owners > 1:
                _add(problems, "role", _("A unit has one owner."), "second_owner")
            elif has_owner and not previous_owner_move_out:
                _add(
                    problems,
                    "role",
                    _(
                        "The unit already has an owner. Give the date the present owner "
                        "moves out, or register this person as a tenant or member."
                    ),
                    "second_owner",
                )
            elif owner_pending:
                _add(
                    problems,
                    "role",
                    _("An owner of this unit is already awaiting approval."),
                    "second_owner",
                )
    return errors


def _add(errors, name, message, code="invalid"):
    errors.setdefault(name, []).append(ValidationError(message, code=code))


def _prefixed(errors, prefix):
    return {f"{prefix}{name}": messages for name, messages in errors.items()}


# Registrations -------------------------------------------------------------------------------


def submit_registration(
    actor,
    *,
    unit,
    main,
    move_in,
    members=(),
    documents=(),
    previous_owner_move_out=None,
    note="",
    registration=None,
):
    """Register the owner or tenant of ``unit`` (plus members and documents) for approval.

    ``main`` and ``members`` are PersonInput; ``documents`` are (purpose, uploaded file)
    pairs. Nothing takes effect until the final approval (``apply_registration``); with no
    approval levels configured that happens at once. ``registration`` resubmits a rejected
    registration with corrected data (a new approval request). Returns the registration.
    """
    require_action(actor, Resident, "add")
    check_in_scope(actor, unit)
    if registration is not None:
        check_in_scope(actor, registration)
        if registration.status != RegistrationStatus.REJECTED:
            raise StateConflict(_("Only a rejected registration can be corrected and resubmitted."))
    members = list(members)
    errors = {}
    if main.role not in MAIN_ROLES:
        errors["role"] = [ValidationError(_("The main person is the owner or a tenant."))]
    if previous_owner_move_out and main.role != Role.OWNER:
        previous_owner_move_out = None
    if previous_owner_move_out and move_in and previous_owner_move_out > move_in:
        errors["previous_owner_move_out"] = [
            ValidationError(_("The present owner must move out before the new owner moves in."))
        ]
    if move_in is None:
        errors["move_in"] = [ValidationError(_("Enter the move-in date."))]
    for member in members:
        member.role = Role.MEMBER
    found = check_people(
        unit,
        [main, *members],
        previous_owner_move_out=previous_owner_move_out,
        registration=registration,
    )
    errors.update(found[0])
    for index, member_errors in enumerate(found[1:]):
        errors.update(_prefixed(member_errors, f"members-{index}-"))
    for _purpose, upload in documents:
        try:
            validate_upload(upload)
        except ValidationError as error:
            errors.setdefault("documents", []).extend(error.error_list)
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        values = {
            "unit": unit,
            "estate_id": unit.estate_id,
            "building_id": unit.building_id,
            "role": main.role,
            "move_in": move_in,
            "previous_owner_move_out": previous_owner_move_out,
            "note": (note or "").strip(),
            "status": RegistrationStatus.PENDING,
            "submitted_by": actor,
            "reject_reason": "",
            "decided_at": None,
        }
        person = _person_for(actor, main)
        if registration is None:
            registration = Registration.objects.create(resident=person, created_by=actor, **values)
            main_occupancy = None
        else:
            registration.resident = person
            for name, value in values.items():
                setattr(registration, name, value)
            registration.save()
            occupancies = list(registration.occupancies.all())
            main_occupancy = next((o for o in occupancies if o.role in MAIN_ROLES), None)
            # Members are named afresh; the main occupancy keeps its documents.
            registration.occupancies.filter(role=Role.MEMBER).delete()
        if main_occupancy is None:
            main_occupancy = Occupancy(registration=registration, created_by=actor)
        _place(main_occupancy, person, unit, main.role, move_in)
        main_occupancy.save()
        for member in members:
            occupancy = Occupancy(registration=registration, created_by=actor)
            _place(occupancy, _person_for(actor, member), unit, Role.MEMBER, move_in)
            occupancy.relation = (member.relation or "").strip()[:50]
            occupancy.save()
        for purpose, upload in documents:
            if purpose not in (DocumentPurpose.DEED, DocumentPurpose.LEASE):
                purpose = DocumentPurpose.OTHER
            attach(main_occupancy, upload, actor, purpose=purpose)
        check_in_scope(actor, registration)
        record_event(
            registration,
            actor,
            "submitted",
            _("Registration of %(name)s for %(unit)s submitted for approval.")
            % {"name": person.name, "unit": unit},
        )
        record_event(
            person,
            actor,
            "registration_submitted",
            _("Registered as %(role)s of %(unit)s; awaiting approval.")
            % {"role": Role(main.role).label, "unit": unit},
        )
        approvals.submit(
            actor,
            registration,
            kind=APPROVAL_KIND,
            estate_id=unit.estate_id,
            title=_("New resident: %(name)s, %(unit)s") % {"name": person.name, "unit": unit},
        )
    registration.refresh_from_db()
    return registration


def _person_for(actor, person):
    """The Resident a typed person stands for: recognised by the ID fingerprint, or new."""
    existing = person.resident
    if existing is None and person.id_hash:
        existing = (
            Resident.objects.filter(id_number_hash=person.id_hash).order_by("archived_at").first()
        )
    if existing is not None:
        # Locked and read afresh (callers are inside their transaction): an archive of the
        # person under way finishes first, and what follows sees the person archived.
        existing = Resident.objects.select_for_update().get(pk=existing.pk)
        # The record is the person's; fill in contact details it lacks, change nothing else.
        changed = []
        for name in ("phone", "email", "emergency_contact", "emergency_phone"):
            value = (getattr(person, name) or "").strip()
            if value and not getattr(existing, name):
                setattr(existing, name, value)
                changed.append(name)
        if person.id_hash and not existing.id_number_hash:
            existing.id_number_hash, existing.id_number_masked = person.id_hash, person.id_masked
            changed += ["id_number_hash", "id_number_masked"]
        if existing.status == ResidentStatus.PENDING and person.name != existing.name:
            # Not yet approved: a corrected name in a resubmission is simply the name.
            existing.name = person.name
            changed.append("name")
        if changed:
            existing.save(update_fields=[*changed, "updated_at"])
        return existing
    return Resident.objects.create(
        name=person.name,
        kind=person.kind or ResidentKind.INDIVIDUAL,
        company_name=(person.company_name or "").strip(),
        id_number_masked=person.id_masked,
        id_number_hash=person.id_hash,
        phone=person.phone,
        email=(person.email or "").strip(),
        emergency_contact=(person.emergency_contact or "").strip(),
        emergency_phone=person.emergency_phone or "",
        status=ResidentStatus.PENDING,
        created_by=actor,
    )


def _place(occupancy, person, unit, role, move_in):
    occupancy.resident = person
    occupancy.unit = unit
    occupancy.estate_id = unit.estate_id
    occupancy.building_id = unit.building_id
    occupancy.role = role
    occupancy.move_in = move_in
    occupancy.move_out = None
    occupancy.status = OccupancyStatus.PENDING


def apply_registration(actor, registration):
    """The final approval: people become current residents, the unit occupied or rented."""
    with transaction.atomic():
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status != RegistrationStatus.PENDING:
            raise StateConflict(_("This registration has already been decided."))
        unit = registration.unit
        if registration.role == Role.OWNER and registration.previous_owner_move_out:
            for occupancy in Occupancy.objects.filter(
                unit=unit, role=Role.OWNER, status=OccupancyStatus.CURRENT
            ).select_related("resident"):
                _end(actor, occupancy, registration.previous_owner_move_out, adjust_unit=False)
        occupancies = list(registration.occupancies.all())
        for occupancy in occupancies:
            occupancy.status = OccupancyStatus.CURRENT
            occupancy.save(update_fields=["status", "updated_at"])
            # Locked and read afresh: a contact edit saved since the registration was read
            # must neither be lost nor refuse the approval as a stale copy.
            person = Resident.objects.select_for_update().get(pk=occupancy.resident_id)
            if person.status != ResidentStatus.CURRENT:
                person.status = ResidentStatus.CURRENT
                person.archived_at, person.archived_by, person.archive_reason = None, None, ""
                person.save(
                    update_fields=[
                        "status",
                        "archived_at",
                        "archived_by",
                        "archive_reason",
                        "updated_at",
                    ]
                )
            record_event(
                person,
                actor,
                "moved_in",
                _("Now %(role)s of %(unit)s.")
                % {"role": occupancy.get_role_display(), "unit": unit},
            )
        registration.status = RegistrationStatus.APPROVED
        registration.decided_at = timezone.now()
        registration.save(update_fields=["status", "decided_at", "updated_at"])
        _sync_unit_status(actor, unit)
        record_event(registration, actor, "approved", _("Approved: the residents are current."))
    return registration


def decline_registration(actor, registration, reason):
    """A rejection: nothing takes effect; the submitter may correct and resubmit."""
    with transaction.atomic():
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status != RegistrationStatus.PENDING:
            raise StateConflict(_("This registration has already been decided."))
        registration.status = RegistrationStatus.REJECTED
        registration.reject_reason = (reason or "")[:255]
        registration.decided_at = timezone.now()
        registration.save(update_fields=["status", "reject_reason", "decided_at", "updated_at"])
        registration.occupancies.update(status=OccupancyStatus.REJECTED)
        record_event(
            registration, actor, "rejected", _("Rejected: %(reason)s") % {"reason": reason}
        )
    return registration


def on_approved(request, actor):
    """Approval-engine callback: the registration's final approval."""
    apply_registration(actor, request.subject)


def on_rejected(request, actor, reason):
    """Approval-engine callback: a level rejected the registration."""
    decline_registration(actor, request.subject, reason)


def _sync_unit_status(actor, unit):
    """Occupied with a current owner living there, rented with a tenant, vacant with nobody."""
    roles = set(
        Occupancy.objects.filter(unit=unit, status=OccupancyStatus.CURRENT).values_list(
            "role", flat=True
        )
    )
    if Role.TENANT in roles:
        status = UnitStatus.RENTED
    elif roles:
        status = UnitStatus.OCCUPIED
    elif unit.status in (UnitStatus.OCCUPIED, UnitStatus.RENTED):
        status = UnitStatus.VACANT
    else:
        return
    estate_services.set_unit_occupancy(actor, unit, status)


# Move-out and archive ------------------------------------------------------------------------


def end_occupancy(actor, occupancy, move_out):
    """Someone moves out of a unit; a unit with nobody left living there becomes vacant."""
    require_action(actor, Resident, "change")
    check_in_scope(actor, occupancy)
    if occupancy.status != OccupancyStatus.CURRENT:
        raise StateConflict(_("Only a current resident can move out."))
    if move_out is None:
        raise ValidationError({"move_out": _("Enter the move-out date.")})
    if occupancy.move_in and move_out < occupancy.move_in:
        raise ValidationError({"move_out": _("The move-out date is before the move-in date.")})
    with transaction.atomic():
        _end(actor, occupancy, move_out)
    return occupancy


def _end(actor, occupancy, move_out, adjust_unit=True):
    occupancy.status = OccupancyStatus.ENDED
    occupancy.move_out = move_out
    occupancy.save(update_fields=["status", "move_out", "updated_at"])
    record_event(
        occupancy.resident,
        actor,
        "moved_out",
        _("Moved out of %(unit)s on %(date)s.") % {"unit": occupancy.unit, "date": move_out},
    )
    if adjust_unit:
        _sync_unit_status(actor, occupancy.unit)


def archive_refusals(resident):
    """Why the person cannot be archived yet (empty when they can)."""
    reasons = []
    living = resident.occupancies.filter(status=OccupancyStatus.CURRENT).select_related("unit")
    units = ", ".join(str(o.unit) for o in living)
    if units:
        reasons.append(
            _("%(name)s still lives in %(units)s: record the move-out first.")
            % {"name": resident.name, "units": units}
        )
    if resident.occupancies.filter(status=OccupancyStatus.PENDING).exists():
        reasons.append(_("A registration of this person is awaiting approval."))
    reasons.extend(str(reason) for reason in hooks.archive_refusals(resident))
    return reasons


def archive_resident(actor, resident, reason=""):
    """Delete = archive: only after every move-out, and when every archive check passes."""
    require_action(actor, Resident, "delete")
    check_in_scope(actor, resident)
    with transaction.atomic():
        # Checked under the person's row lock: a move-in or a second archive waits for this
        # one and then sees the person archived; none slips in between the check and the act.
        resident = Resident.objects.select_for_update().get(pk=resident.pk)
        if resident.archived_at is not None:
            raise StateConflict(_("This person is already in the history residents."))
        refusals = archive_refusals(resident)
        if refusals:
            raise StateConflict(" ".join(refusals), code="still_resident")
        resident.archived_at = timezone.now()
        resident.archived_by = actor
        resident.archive_reason = (reason or "").strip()[:255]
        resident.status = ResidentStatus.ARCHIVED
        resident.save(
            update_fields=["archived_at", "archived_by", "archive_reason", "status", "updated_at"]
        )
        record_event(resident, actor, "archived", _("Moved to the history residents."))
    return resident


# Editing -------------------------------------------------------------------------------------


def update_resident(actor, resident, **changes):
    """Contact details (phone, email, emergency contact, note): the change permission."""
    require_action(actor, Resident, "change")
    check_in_scope(actor, resident)
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown & set(CORE_FIELDS):
        raise PermissionDenied(
            _("Name, ID number and kind are core information: use “Change core information”.")
        )
    if unknown:
        raise TypeError(f"Resident has no changeable field {sorted(unknown)}")
    _refuse_archived(resident)
    errors = {}
    values = {k: (v or "").strip() for k, v in changes.items()}
    for name in ("phone", "emergency_phone"):
        if name in values:
            values[name] = normalise_phone(values[name])
            if values[name]:
                try:
                    validate_phone(values[name])
                except ValidationError as error:
                    errors[name] = error.error_list
    if (
        "phone" in values
        and not values["phone"]
        and resident.occupancies.filter(role__in=MAIN_ROLES, status__in=LIVING).exists()
    ):
        errors["phone"] = [ValidationError(_("An owner or tenant needs a mobile number."))]
    for name, value in values.items():
        setattr(resident, name, value)
    try:
        resident.clean_fields(exclude=[f for f in _field_names(Resident) if f not in values])
    except ValidationError as error:
        errors.update(error.error_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        resident.save()
        record_event(
            resident,
            actor,
            "contact_changed",
            _("Contact details changed: %(fields)s.")
            % {"fields": ", ".join(str(Resident._meta.get_field(n).verbose_name) for n in values)},
        )
    return resident


def _field_names(model):
    return [f.name for f in model._meta.fields]


def _refuse_archived(resident):
    if resident.archived_at is not None:
        raise StateConflict(_("An archived person's record is kept as it was."))


def _require_confirmation(actor, confirmation_note, confirmation_file, require_file):
    """Core changes need the owner's confirmation: a note, and (from the web) a document."""
    if not actor.has_perm("residents.change_core_resident"):
        raise PermissionDenied(
            _(
                "Changing core information (name, ID number, unit, ownership) needs its own "
                "permission."
            )
        )
    errors = {}
    if not (confirmation_note or "").strip():
        errors["confirmation_note"] = [
            ValidationError(
                _("Record the owner's confirmation of this change."), code="confirmation_required"
            )
        ]
    if require_file and confirmation_file is None:
        errors["confirmation_file"] = [
            ValidationError(
                _("Attach the owner's signed confirmation (PDF or photo)."),
                code="confirmation_required",
            )
        ]
    if confirmation_file is not None:
        try:
            validate_upload(confirmation_file)
        except ValidationError as error:
            errors["confirmation_file"] = error.error_list
    return errors


def change_core(
    actor,
    resident,
    *,
    confirmation_note,
    confirmation_file=None,
    require_file=True,
    **changes,
):
    """Name, kind, company name or ID number: the core permission plus the owner's confirmation.

    The confirmation note goes to the timeline and the document is attached to the person
    (purpose "confirmation"). The API passes ``require_file=False`` (no uploads there), the
    note still being required.
    """
    require_action(actor, Resident, "change")
    check_in_scope(actor, resident)
    unknown = set(changes) - set(CORE_FIELDS)
    if unknown:
        raise TypeError(f"not a core field: {sorted(unknown)}")
    _refuse_archived(resident)
    errors = _require_confirmation(actor, confirmation_note, confirmation_file, require_file)
    values = {k: (v or "").strip() for k, v in changes.items() if v is not None}
    if "id_number" in values:
        number = values.pop("id_number")
        if number:
            try:
                number = idcard.validate(number)
            except ValidationError as error:
                errors["id_number"] = error.error_list
            else:
                fingerprint = idcard.fingerprint(number)
                if (
                    Resident.objects.filter(id_number_hash=fingerprint)
                    .exclude(pk=resident.pk)
                    .exists()
                ):
                    errors["id_number"] = [
                        ValidationError(
                            _("Another person is registered with this ID number."),
                            code="duplicate_person",
                        )
                    ]
                values["id_number_hash"] = fingerprint
                values["id_number_masked"] = idcard.mask(number)
    if "name" in values and not values["name"]:
        errors["name"] = [ValidationError(_("Enter the person's name."))]
    if values.get("kind") and values["kind"] not in ResidentKind.values:
        errors["kind"] = [ValidationError(_("Choose individual or company."))]
    if errors:
        raise ValidationError(errors)
    changed = [n for n, v in values.items() if getattr(resident, n) != v]
    if not changed:
        raise ValidationError(_("Nothing to change: the values are the same as before."))
    with transaction.atomic():
        for name in changed:
            setattr(resident, name, values[name])
        resident.save()
        if confirmation_file is not None:
            attach(resident, confirmation_file, actor, purpose=DocumentPurpose.CONFIRMATION)
        labels = [
            str(Resident._meta.get_field(n).verbose_name) for n in changed if n != "id_number_hash"
        ]
        record_event(
            resident,
            actor,
            "core_changed",
            _("Core information changed (%(fields)s) with the owner's confirmation: %(note)s")
            % {"fields": ", ".join(labels), "note": confirmation_note.strip()},
        )
    return resident


def change_occupancy(
    actor,
    occupancy,
    *,
    role=None,
    unit=None,
    confirmation_note,
    confirmation_file=None,
    require_file=True,
):
    """Ownership (role) or unit of a current occupancy: core information, as ``change_core``."""
    require_action(actor, Resident, "change")
    check_in_scope(actor, occupancy)
    if unit is not None:
        check_in_scope(actor, unit)
    if occupancy.status != OccupancyStatus.CURRENT:
        raise StateConflict(_("Only a current occupancy can be changed."))
    errors = _require_confirmation(actor, confirmation_note, confirmation_file, require_file)
    new_role = role or occupancy.role
    new_unit = unit or occupancy.unit
    if new_role == occupancy.role and new_unit.pk == occupancy.unit_id:
        errors.setdefault("role", []).append(
            ValidationError(_("Nothing to change: the values are the same as before."))
        )
    else:
        others = Occupancy.objects.filter(unit=new_unit, status__in=LIVING).exclude(pk=occupancy.pk)
        if new_role == Role.OWNER and others.filter(role=Role.OWNER).exists():
            errors.setdefault("role", []).append(
                ValidationError(
                    _("The unit already has an owner: record their move-out first."),
                    code="second_owner",
                )
            )
        if (
            new_unit.pk != occupancy.unit_id
            and others.filter(resident=occupancy.resident_id).exists()
        ):
            errors.setdefault("unit", []).append(
                ValidationError(
                    _("This person is already registered at the unit."), code="duplicate_person"
                )
            )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        old_unit = occupancy.unit
        old = f"{occupancy.get_role_display()} · {old_unit}"
        occupancy.role = new_role
        if new_unit.pk != old_unit.pk:
            occupancy.unit = new_unit
            occupancy.estate_id = new_unit.estate_id
            occupancy.building_id = new_unit.building_id
        occupancy.save()
        if confirmation_file is not None:
            attach(
                occupancy.resident, confirmation_file, actor, purpose=DocumentPurpose.CONFIRMATION
            )
        record_event(
            occupancy.resident,
            actor,
            "core_changed",
            _("Occupancy changed from %(old)s to %(new)s with the owner's confirmation: %(note)s")
            % {
                "old": old,
                "new": f"{occupancy.get_role_display()} · {new_unit}",
                "note": confirmation_note.strip(),
            },
        )
        _sync_unit_status(actor, new_unit)
        if new_unit.pk != old_unit.pk:
            _sync_unit_status(actor, old_unit)
        check_in_scope(actor, occupancy)
    return occupancy


# Members and vehicles ------------------------------------------------------------------------


def add_member(actor, unit, person, move_in=None):
    """A household member joins a unit at once (the unit already has its owner or tenant)."""
    require_action(actor, Resident, "change")
    check_in_scope(actor, unit)
    if not Occupancy.objects.filter(
        unit=unit, role__in=MAIN_ROLES, status=OccupancyStatus.CURRENT
    ).exists():
        raise StateConflict(
            _("Register the unit's owner or tenant first; members join their household.")
        )
    person.role = Role.MEMBER
    errors = check_people(unit, [person])[0]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        resident = _person_for(actor, person)
        occupancy = Occupancy(created_by=actor)
        _place(occupancy, resident, unit, Role.MEMBER, move_in or timezone.localdate())
        occupancy.status = OccupancyStatus.CURRENT
        occupancy.relation = (person.relation or "").strip()[:50]
        occupancy.save()
        if resident.status != ResidentStatus.CURRENT:
            resident.status = ResidentStatus.CURRENT
            resident.archived_at, resident.archived_by = None, None
            resident.save(update_fields=["status", "archived_at", "archived_by", "updated_at"])
        record_event(
            resident,
            actor,
            "moved_in",
            _("Now %(role)s of %(unit)s.") % {"role": Role.MEMBER.label, "unit": unit},
        )
        _sync_unit_status(actor, unit)
    return occupancy


def add_vehicle(actor, resident, *, plate, kind=VehicleKind.CAR, note=""):
    require_action(actor, Resident, "change")
    check_in_scope(actor, resident)
    _refuse_archived(resident)
    plate = normalise_plate(plate)
    errors = {}
    try:
        validate_plate(plate)
    except ValidationError as error:
        errors["plate"] = error.error_list
    if kind not in VehicleKind.values:
        errors["kind"] = [ValidationError(_("Choose a vehicle type."))]
    if not errors and resident.vehicles.filter(plate=plate).exists():
        errors["plate"] = [ValidationError(_("This vehicle is already registered."), "duplicate")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        vehicle = Vehicle.objects.create(
            resident=resident, plate=plate, kind=kind, note=(note or "").strip(), created_by=actor
        )
        message = _("Vehicle %(plate)s added.") % {"plate": plate}
        record_event(resident, actor, "vehicle_added", message)
    return vehicle


def remove_vehicle(actor, vehicle):
    require_action(actor, Resident, "change")
    check_in_scope(actor, vehicle.resident)
    with transaction.atomic():
        record_event(
            vehicle.resident,
            actor,
            "vehicle_removed",
            _("Vehicle %(plate)s removed.") % {"plate": vehicle.plate},
        )
        vehicle.delete()


# Portal --------------------------------------------------------------------------------------


SELF_SERVICE_FIELDS = ("email", "emergency_contact", "emergency_phone")


def update_own_contact(user, resident, *, email="", emergency_contact="", emergency_phone=""):
    """A resident changes their own email and emergency contact (in the portal); nothing else."""
    if not user.is_resident or resident.user_id != user.pk:
        raise PermissionDenied
    values = {
        "email": (email or "").strip(),
        "emergency_contact": (emergency_contact or "").strip(),
        "emergency_phone": normalise_phone(emergency_phone),
    }
    errors = {}
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            errors["email"] = _("Enter a valid email address.")
    if values["emergency_phone"]:
        try:
            validate_phone(values["emergency_phone"])
        except ValidationError as error:
            errors["emergency_phone"] = error.messages
    if errors:
        raise ValidationError(errors)
    changed = {name: value for name, value in values.items() if getattr(resident, name) != value}
    if changed:
        with transaction.atomic():
            for name, value in changed.items():
                setattr(resident, name, value)
            resident.save(update_fields=[*changed, "updated_at"])
            record_event(
                resident,
                user,
                "contact_updated",
                _("Contact details changed by the resident in the portal"),
                fields=sorted(changed),
            )
    return resident


def invite_to_portal(actor, resident):
    """Create (or reuse) the person's portal account and send the activation code."""
    require_action(actor, Resident, "invite")
    check_in_scope(actor, resident)
    _refuse_archived(resident)
    if not resident.phone:
        raise ValidationError({"phone": _("The person needs a mobile number for the portal.")})
    if not resident.occupancies.filter(status=OccupancyStatus.CURRENT).exists():
        raise StateConflict(_("Only current residents can be invited to the portal."))
    from courtyard.accounts.resident_accounts import invite_resident_account

    with transaction.atomic():
        user, sent = invite_resident_account(actor, phone=resident.phone, full_name=resident.name)
        if resident.user_id != user.pk:
            Resident.objects.filter(user=user).exclude(pk=resident.pk).update(user=None)
            resident.user = user
            resident.save(update_fields=["user", "updated_at"])
        record_event(
            resident,
            actor,
            "invited",
            _("Invited to the resident portal (%(phone)s).") % {"phone": resident.masked_phone},
        )
    return user, sent


# Import --------------------------------------------------------------------------------------


def import_unit_people(actor, unit, people, move_in=None):
    """Record people already living in ``unit`` (the Excel import): current at once.

    The import is how an office brings its existing register in; the same rules as the form
    apply (``check_people``), the caller having reported every row's errors first. Each
    person may carry ``move_in`` (a date) as an attribute; otherwise ``move_in`` applies.
    """
    require_action(actor, Resident, "add")
    check_in_scope(actor, unit)
    found = check_people(unit, people)
    errors = {}
    for index, person_errors in enumerate(found):
        errors.update(_prefixed(person_errors, f"people-{index}-"))
    if errors:
        raise ValidationError(errors)
    occupancies = []
    with transaction.atomic():
        for person in people:
            resident = _person_for(actor, person)
            occupancy = Occupancy(created_by=actor)
            _place(occupancy, resident, unit, person.role, getattr(person, "move_in", move_in))
            occupancy.status = OccupancyStatus.CURRENT
            occupancy.relation = (person.relation or "").strip()[:50]
            occupancy.save()
            occupancies.append(occupancy)
            if resident.status != ResidentStatus.CURRENT:
                resident.status = ResidentStatus.CURRENT
                resident.archived_at, resident.archived_by = None, None
                resident.save(update_fields=["status", "archived_at", "archived_by", "updated_at"])
            record_event(
                resident,
                actor,
                "imported",
                _("Imported as %(role)s of %(unit)s.")
                % {"role": occupancy.get_role_display(), "unit": unit},
            )
        _sync_unit_status(actor, unit)
    return occupancies
