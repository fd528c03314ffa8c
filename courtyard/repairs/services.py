"""Every change of a work order comes through here, along the state machine declared in
``states.WORK_ORDER`` (which states each transition leaves from and leads to, its permission,
whether the resident takes it from the portal).

Every transition is a named action with its own permission (``repairs.<action>_workorder``)
and a data-scope check (outside the scope: 404; without the permission: 403). It locks the
order's row (``select_for_update`` in a transaction; SQLite serialises writers with
IMMEDIATE transactions), checks the state again after locking — a transition not allowed
from the current state, or a state that changed since the caller loaded the order (the same
action submitted twice at once), raises ``StateConflict`` (409) and changes nothing — writes
the timeline, and queues messages to be delivered after commit.
"""

import base64
import binascii
import datetime
from collections import namedtuple
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core import parameters, privacy
from courtyard.core.choices import MessageChannel
from courtyard.core.exceptions import StateConflict
from courtyard.core.files import IMAGE_KINDS, attach
from courtyard.core.messaging import queue_message
from courtyard.core.scoping import (
    has_action,
    require_action,
    require_company_wide,
    restrict,
    user_scope,
)
from courtyard.core.timeline import record_event
from courtyard.core.versions import StaleVersion

from . import hooks, selectors
from .choices import MAX_PHOTOS, PhotoPurpose, Source, Urgency
from .models import (
    FollowUp,
    PendingListVisit,
    RepairCategory,
    TechnicianSkill,
    WorkOrder,
    WorkOrderSequence,
)
from .states import WORK_ORDER
from .statistics import rollup

TECHNICIAN_PERMISSION = "repairs.complete_workorder"
TECHNICIAN_CODENAME = "complete_workorder"

Candidate = namedtuple("Candidate", "user skills open_load suggested")


# SLA ----------------------------------------------------------------------------------------


def sla_hours(kind, urgency):
    """The hours of the ``response`` or ``resolution`` deadline for an urgency (parameters)."""
    return parameters.get(f"repairs.{kind}_hours_{urgency}")


def _hours(hours):
    return datetime.timedelta(seconds=int(Decimal(hours) * 3600))


def set_deadlines(order, start=None):
    """Response and resolution deadlines from the report time and the urgency's parameters."""
    start = start or order.created_at or timezone.now()
    order.response_due = start + _hours(sla_hours("response", order.urgency))
    order.resolution_due = start + _hours(sla_hours("resolution", order.urgency))


def _restart_resolution(order, now):
    """A reopened order is due again one resolution period from now; a new breach is new."""
    order.resolution_due = now + _hours(sla_hours("resolution", order.urgency))
    order.resolution_breach_notified_at = None


# Numbering ----------------------------------------------------------------------------------


def next_number(estate_id, year=None):
    """``BX-<year>-<6 digits>``, sequential per estate and year, taken under a row lock."""
    year = year or timezone.localdate().year
    with transaction.atomic():
        sequence = (
            WorkOrderSequence.objects.select_for_update().filter(estate_id=estate_id, year=year)
        ).first()
        if sequence is None:
            try:
                with transaction.atomic():
                    sequence = WorkOrderSequence.objects.create(
                        estate_id=estate_id, year=year, last_number=0
                    )
            except IntegrityError:  # created by a concurrent writer a moment ago
                sequence = WorkOrderSequence.objects.select_for_update().get(
                    estate_id=estate_id, year=year
                )
        sequence.last_number += 1
        sequence.save(update_fields=["last_number"])
    return f"BX-{year}-{sequence.last_number:06d}"


# Creating -----------------------------------------------------------------------------------


def create_work_order(
    actor,
    *,
    category,
    description,
    urgency=Urgency.NORMAL,
    source=Source.STAFF,
    unit=None,
    building=None,
    estate=None,
    location="",
    contact_name="",
    contact_phone="",
    preferred_time="",
    is_paid=False,
    photos=(),
):
    """A work order taken by staff (phone, walk-in, inspection …) for a unit or public area."""
    if not has_action(actor, WorkOrder, "add") or actor.is_resident:
        raise PermissionDenied
    estate, building = _place(unit, building, estate)
    if not user_scope(actor).covers(estate.pk, building.pk if building else None):
        raise Http404
    order = WorkOrder(
        estate=estate,
        building=building,
        unit=unit,
        location=(location or "").strip(),
        category=category,
        description=(description or "").strip(),
        urgency=urgency,
        source=source,
        contact_name=(contact_name or "").strip(),
        contact_phone=(contact_phone or "").strip(),
        preferred_time=(preferred_time or "").strip(),
        is_paid=bool(is_paid),
        reported_by=actor,
        created_by=actor,
    )
    if unit is not None and order.contact_phone:
        order.resident = _resident_of_unit(unit, order.contact_phone)
    return _create(actor, order, photos)


def submit_from_portal(
    user, *, unit, category, description, urgency=Urgency.NORMAL, preferred_time="", photos=()
):
    """A resident reports a repair for one of the units they currently live in."""
    from courtyard.residents.choices import OccupancyStatus
    from courtyard.residents.models import Occupancy, Resident

    if not user.is_authenticated or not user.is_resident:
        raise PermissionDenied
    resident = Resident.objects.filter(user=user).first()
    if resident is None:
        raise PermissionDenied
    lives_there = Occupancy.objects.filter(
        resident=resident, unit=unit, status=OccupancyStatus.CURRENT
    ).exists()
    if unit is None or not lives_there:
        raise ValidationError(
            {
                "unit": ValidationError(
                    _("You can report repairs only for your own home."), code="not_your_unit"
                )
            }
        )
    order = WorkOrder(
        estate_id=unit.estate_id,
        building_id=unit.building_id,
        unit=unit,
        category=category,
        description=(description or "").strip(),
        urgency=urgency,
        source=Source.PORTAL,
        contact_name=resident.name,
        contact_phone=resident.phone or user.phone,
        preferred_time=(preferred_time or "").strip(),
        resident=resident,
        reported_by=user,
        created_by=user,
    )
    return _create(user, order, photos)


def _place(unit, building, estate):
    if unit is not None:
        if building is not None and building.pk != unit.building_id:
            raise ValidationError(
                {
                    "unit": ValidationError(
                        _("The unit is not in this building."), code="wrong_building"
                    )
                }
            )
        if estate is not None and estate.pk != unit.estate_id:
            raise ValidationError(
                {"unit": ValidationError(_("The unit is not in this estate."), code="wrong_estate")}
            )
        return unit.estate, unit.building
    if building is not None:
        if estate is not None and estate.pk != building.estate_id:
            raise ValidationError(
                {
                    "building": ValidationError(
                        _("The building is not in this estate."), code="invalid"
                    )
                }
            )
        return building.estate, building
    if estate is None:
        raise ValidationError(
            {
                "unit": ValidationError(
                    _("Choose a unit, or an estate for a public area."), code="required"
                )
            }
        )
    return estate, None


def _resident_of_unit(unit, phone):
    from courtyard.residents.choices import OccupancyStatus
    from courtyard.residents.models import Resident

    return (
        Resident.objects.filter(
            phone=phone, occupancies__unit=unit, occupancies__status=OccupancyStatus.CURRENT
        )
        .order_by("pk")
        .first()
    )


def _validate_new(order, photos, check_category=True):
    errors = {}
    if not order.description:
        errors["description"] = [ValidationError(_("Describe the problem."), code="required")]
    if check_category and (order.category is None or not order.category.is_active):
        errors["category"] = [
            ValidationError(_("Choose an active repair category."), code="invalid")
        ]
    if order.urgency not in Urgency.values:
        errors["urgency"] = [ValidationError(_("Choose an urgency."), code="invalid")]
    if order.source not in Source.values:
        errors["source"] = [ValidationError(_("Choose a source."), code="invalid")]
    if order.unit_id is None and not order.location:
        errors["location"] = [
            ValidationError(_("Say where the problem is in the public area."), code="required")
        ]
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = [_too_many_photos()]
    try:
        order.clean_fields(
            exclude=[
                "number",
                "estate",
                "building",
                "unit",
                "category",
                "assignee",
                "resident",
                "reported_by",
                "created_by",
                "description",
                "urgency",
                "source",
                "location",
            ]
        )
    except ValidationError as error:
        for field, messages in error.error_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _too_many_photos():
    return ValidationError(
        _("At most %(count)s photos."), code="too_many_photos", params={"count": MAX_PHOTOS}
    )


def _create(actor, order, photos):
    photos = list(photos or ())
    _validate_new(order, photos)
    with transaction.atomic():
        order.number = next_number(order.estate_id)
        order.save()  # created_at is stamped here
        set_deadlines(order, order.created_at)
        WorkOrder.objects.filter(pk=order.pk).update(
            response_due=order.response_due, resolution_due=order.resolution_due
        )
        _attach_photos(order, photos, actor, PhotoPurpose.REPORT)
        rollup.order_changed(order)
        record_event(
            order,
            actor,
            "submitted",
            _("Reported: %(category)s (%(urgency)s)")
            % {"category": order.category.name, "urgency": order.get_urgency_display()},
            source=order.source,
        )
    return order


def _attach_photos(owner, photos, actor, purpose, field="photos"):
    for photo in photos:
        try:
            attach(owner, photo, actor, purpose=purpose, kinds=IMAGE_KINDS)
        except ValidationError as error:
            raise ValidationError({field: error.error_list})


UPDATE_FIELDS = (
    "category",
    "description",
    "urgency",
    "location",
    "contact_name",
    "contact_phone",
    "preferred_time",
    "is_paid",
)


def update_work_order(actor, order, **changes):
    """Correct an open order's details (repairs.change_workorder). A new urgency moves the
    deadlines still running: the response deadline from the report, the resolution
    deadline from the report (or from the reopening, for a reopened order)."""
    unknown = set(changes) - set(UPDATE_FIELDS)
    if unknown:
        raise TypeError(f"WorkOrder has no changeable field {sorted(unknown)}")
    with transaction.atomic():
        locked = _lock(actor, order, "change")
        if locked.version != order.version:
            # An edit of details read before another change would undo it; a transition
            # (the other callers of _lock) acts on the stored order whatever was read.
            raise StaleVersion()
        before = {name: getattr(locked, name) for name in changes}
        for name, value in changes.items():
            setattr(locked, name, value.strip() if isinstance(value, str) else value)
        if "is_paid" in changes and locked.charge_raised_at is not None:
            locked.is_paid = before["is_paid"]  # the charge is raised: billing corrects it
        _validate_new(locked, [], check_category="category" in changes)
        fields = [name for name in changes if getattr(locked, name) != before[name]]
        if "urgency" in fields:
            now = timezone.now()
            fields.append("priority")
            locked.response_due = locked.created_at + _hours(sla_hours("response", locked.urgency))
            start = locked.dispatched_at if locked.reopen_count else locked.created_at
            locked.resolution_due = (start or locked.created_at) + _hours(
                sla_hours("resolution", locked.urgency)
            )
            fields += ["response_due", "resolution_due"]
            if locked.response_due > now:
                locked.response_breach_notified_at = None
                fields.append("response_breach_notified_at")
            if locked.resolution_due > now:
                locked.resolution_breach_notified_at = None
                fields.append("resolution_breach_notified_at")
        if not fields:
            return _finish(order, locked, [])
        changed = {
            name: [str(before[name]), str(getattr(locked, name))]
            for name in changes
            if name in fields
        }
        record_event(
            locked,
            actor,
            "changed",
            _("Details changed: %(fields)s")
            % {
                "fields": ", ".join(
                    str(WorkOrder._meta.get_field(name).verbose_name) for name in changed
                )
            },
            changes=changed,
        )
        return _finish(order, locked, fields)


# Transitions --------------------------------------------------------------------------------


def _lock(actor, order, action):
    """The order's row, locked, after the permission, scope and state checks of ``action``
    (a transition of ``WORK_ORDER``).

    A staff user needs the transition's permission and the order in their scope; a resident
    takes the portal's transitions on an order of their own. The caller's ``order`` shows
    the state they saw: if the row moved on meanwhile the action is refused.
    """
    WORK_ORDER.require(actor, action)
    queryset = WorkOrder.objects.select_for_update()
    if actor.is_resident:
        # Ownership first (a join), then the lock on the order's row alone: PostgreSQL
        # cannot lock the nullable side of an outer join.
        mine = WorkOrder.objects.filter(
            Q(resident__user=actor) | Q(reported_by=actor), pk=order.pk
        ).exists()
        locked = queryset.filter(pk=order.pk).first() if mine else None
    else:
        permission = WORK_ORDER[action].permission
        locked = restrict(queryset, actor, permission).filter(pk=order.pk).first()
    if locked is None:
        raise Http404
    if locked.status != order.status or locked.assignee_id != order.assignee_id:
        raise StateConflict(
            _(
                "Work order %(number)s was changed by someone else meanwhile (now: %(status)s)."
                " Reload it and try again."
            )
            % {"number": locked.number, "status": locked.get_status_display()},
            "changed_meanwhile",
        )
    WORK_ORDER.check_state(locked, action, actor)
    return locked


def _finish(order, locked, fields):
    """Save the locked row and bring the caller's object up to date."""
    locked.save(update_fields=[*fields, "updated_at"])
    if fields:
        rollup.order_changed(locked)
    for field in WorkOrder._meta.concrete_fields:
        setattr(order, field.attname, getattr(locked, field.attname))
    return order


def accept(actor, order):
    """接单: the office takes a new request (answers the response deadline)."""
    with transaction.atomic():
        locked = _lock(actor, order, "accept")
        WORK_ORDER.move(locked, "accept")
        locked.accepted_at = timezone.now()
        record_event(locked, actor, "accepted", _("Accepted"))
        _notify_resident(
            locked,
            _("Your repair request %(number)s has been accepted; we will send a technician soon.")
            % {"number": locked.number},
            "repair_accepted",
        )
        return _finish(order, locked, ["status", "accepted_at"])


def dispatch(actor, order, *, assignee, note=""):
    """派工: assign a technician (from submitted this accepts too; later, it reassigns)."""
    note = (note or "").strip()
    # The state the caller saw picks the transition; _lock refuses it if the row moved on.
    action = "reassign" if WORK_ORDER.state_allows(order, "reassign") else "dispatch"
    with transaction.atomic():
        locked = _lock(actor, order, action)
        _check_assignee(locked, assignee)
        if len(note) > WorkOrder._meta.get_field("dispatch_note").max_length:
            raise ValidationError(
                {"note": ValidationError(_("The dispatch note is too long."), code="max_length")}
            )
        now = timezone.now()
        previous = locked.assignee
        fields = ["status", "assignee", "dispatch_note", "dispatched_at"]
        if WORK_ORDER.state_allows(locked, "accept"):  # a new request: accepted at once
            locked.accepted_at = now
            fields.append("accepted_at")
            record_event(locked, actor, "accepted", _("Accepted"))
        if previous is not None:
            if previous.pk == assignee.pk:
                raise ValidationError(
                    {
                        "assignee": ValidationError(
                            _("The work order is already assigned to %(name)s.")
                            % {"name": assignee.display_name},
                            code="already_assigned",
                        )
                    }
                )
            locked.started_at = None
            fields.append("started_at")
            record_event(
                locked,
                actor,
                "reassigned",
                _("Reassigned from %(old)s to %(new)s")
                % {"old": previous.display_name, "new": assignee.display_name},
                previous_assignee=previous.pk,
                assignee=assignee.pk,
                note=note,
            )
        else:
            record_event(
                locked,
                actor,
                "dispatched",
                _("Dispatched to %(name)s") % {"name": assignee.display_name},
                assignee=assignee.pk,
                note=note,
            )
        WORK_ORDER.move(locked, action)
        locked.assignee = assignee
        locked.dispatch_note = note
        locked.dispatched_at = now
        _notify_assignee(locked, assignee, note)
        if previous is None:
            _notify_resident(
                locked,
                _("A technician (%(name)s) has been assigned to your repair %(number)s.")
                % {"name": assignee.display_name, "number": locked.number},
                "repair_dispatched",
            )
        return _finish(order, locked, fields)


def _check_assignee(order, assignee):
    if assignee is None:
        raise ValidationError(
            {"assignee": ValidationError(_("Choose a technician."), code="required")}
        )
    if not technicians().filter(pk=assignee.pk).exists():
        raise ValidationError(
            {
                "assignee": ValidationError(
                    _("%(name)s is not an active technician.") % {"name": assignee.display_name},
                    code="not_technician",
                )
            }
        )
    if not staff_covering(order).filter(pk=assignee.pk).exists():
        raise ValidationError(
            {
                "assignee": ValidationError(
                    _("%(name)s does not work in this work order's estate or building.")
                    % {"name": assignee.display_name},
                    code="out_of_scope",
                )
            }
        )


def start(actor, order):
    """开工: the technician starts the work."""
    with transaction.atomic():
        locked = _lock(actor, order, "start")
        WORK_ORDER.move(locked, "start")
        locked.started_at = timezone.now()
        record_event(locked, actor, "started", _("Work started"))
        return _finish(order, locked, ["status", "started_at"])


def add_follow_up(actor, order, *, text, photos=()):
    """跟进: a record with text and photos on an open work order."""
    text = (text or "").strip()
    photos = list(photos or ())
    errors = {}
    if not text:
        errors["text"] = [ValidationError(_("Write what was done or found."), code="required")]
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = [_too_many_photos()]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _lock(actor, order, "follow_up")
        follow_up = FollowUp.objects.create(
            work_order=locked, author=actor, text=text, created_by=actor
        )
        _attach_photos(follow_up, photos, actor, PhotoPurpose.PHOTO)
        record_event(locked, actor, "followed_up", text, follow_up=follow_up.pk, photos=len(photos))
        _finish(order, locked, [])
    return follow_up


def complete(
    actor, order, *, work_done, materials="", cost=Decimal("0"), photos=(), signature=None
):
    """完工: the technician records the work done, materials, cost, photos and signature."""
    work_done = (work_done or "").strip()
    materials = (materials or "").strip()
    photos = list(photos or ())
    errors = {}
    if not work_done:
        errors["work_done"] = [ValidationError(_("Describe the work done."), code="required")]
    try:
        cost = Decimal(str(cost if cost not in (None, "") else "0"))
        if not cost.is_finite() or cost < 0 or cost.as_tuple().exponent < -2:
            raise InvalidOperation
        if cost >= Decimal("100000000"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["cost"] = [
            ValidationError(
                _("Enter an amount of at least 0 with at most 2 decimals."), code="invalid"
            )
        ]
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = [_too_many_photos()]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _lock(actor, order, "complete")
        if locked.category.requires_signature and not signature:
            raise ValidationError(
                {
                    "signature": ValidationError(
                        _("This category needs the resident's signature."),
                        code="signature_required",
                    )
                }
            )
        now = timezone.now()
        WORK_ORDER.move(locked, "complete")
        locked.completed_at = now
        locked.work_done, locked.materials, locked.cost = work_done, materials, cost
        fields = ["status", "completed_at", "work_done", "materials", "cost"]
        _attach_photos(locked, photos, actor, PhotoPurpose.COMPLETION)
        if signature:
            _attach_photos(
                locked, [_signature_file(signature)], actor, PhotoPurpose.SIGNATURE, "signature"
            )
        record_event(
            locked,
            actor,
            "completed",
            _("Completed: %(work)s") % {"work": work_done},
            materials=materials,
            cost=str(cost),
            photos=len(photos),
            signed=bool(signature),
        )
        if locked.is_paid and locked.charge_raised_at is None:
            locked.charge_raised_at = now
            fields.append("charge_raised_at")
            hooks.paid_repair_completed(locked, actor)
        _notify_resident(
            locked,
            _(
                "Your repair %(number)s is done. Please confirm it (or tell us what is still "
                "wrong) and rate the work in the resident portal."
            )
            % {"number": locked.number},
            "repair_completed",
        )
        return _finish(order, locked, fields)


def _signature_file(signature):
    """The resident's signature as a PNG file: a ``data:image/png;base64,`` URL or an upload."""
    if not isinstance(signature, str):
        return signature
    prefix = "data:image/png;base64,"
    if not signature.startswith(prefix):
        raise ValidationError(
            {
                "signature": ValidationError(
                    _("The signature is not a PNG image."), code="bad_file_type"
                )
            }
        )
    try:
        data = base64.b64decode(signature[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(
            {
                "signature": ValidationError(
                    _("The signature is not a PNG image."), code="bad_file_type"
                )
            }
        )
    return ContentFile(data, name="signature.png")


def close(actor, order):
    """关闭: staff close a completed order (the resident did not answer)."""
    with transaction.atomic():
        locked = _lock(actor, order, "close")
        WORK_ORDER.move(locked, "close")
        locked.closed_at = timezone.now()
        record_event(locked, actor, "closed", _("Closed"))
        return _finish(order, locked, ["status", "closed_at"])


def cancel(actor, order, *, reason):
    """取消 with a reason: staff from any open state, the resident only before dispatch."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": ValidationError(_("Give a reason for cancelling."), code="required")}
        )
    if len(reason) > WorkOrder._meta.get_field("cancel_reason").max_length:
        raise ValidationError(
            {"reason": ValidationError(_("The reason is too long."), code="max_length")}
        )
    action = "resident_cancel" if actor.is_authenticated and actor.is_resident else "cancel"
    with transaction.atomic():
        locked = _lock(actor, order, action)
        WORK_ORDER.move(locked, action)
        locked.cancelled_at = timezone.now()
        locked.cancel_reason = reason
        record_event(locked, actor, "cancelled", _("Cancelled: %(reason)s") % {"reason": reason})
        if locked.assignee_id:
            queue_message(
                MessageChannel.APP,
                locked.assignee.get_username(),
                _("Work order %(number)s was cancelled: %(reason)s")
                % {"number": locked.number, "reason": reason},
                user=locked.assignee,
                subject=_("Work order cancelled: %(number)s") % {"number": locked.number},
                purpose="repair_cancelled",
            )
        return _finish(order, locked, ["status", "cancelled_at", "cancel_reason"])


def reopen(actor, order, *, reason):
    """重新派工: staff send a completed or closed order back to its technician."""
    reason = _required_reason(reason)
    with transaction.atomic():
        locked = _lock(actor, order, "reopen")
        fields = _back_to_dispatched(locked, "reopen")
        record_event(locked, actor, "reopened", _("Reopened: %(reason)s") % {"reason": reason})
        _notify_assignee_reopened(locked, reason)
        return _finish(order, locked, fields)


def _required_reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError(_("Give a reason."), code="required")})
    return reason


def _back_to_dispatched(locked, action):
    now = timezone.now()
    WORK_ORDER.move(locked, action)
    locked.reopen_count += 1
    locked.completed_at = locked.started_at = locked.closed_at = None
    locked.closed_automatically = False
    locked.dispatched_at = now
    _restart_resolution(locked, now)
    return [
        "status",
        "reopen_count",
        "completed_at",
        "started_at",
        "closed_at",
        "closed_automatically",
        "dispatched_at",
        "resolution_due",
        "resolution_breach_notified_at",
    ]


def _notify_assignee_reopened(locked, reason):
    if locked.assignee_id:
        queue_message(
            MessageChannel.APP,
            locked.assignee.get_username(),
            _("Work order %(number)s needs more work: %(reason)s")
            % {"number": locked.number, "reason": reason},
            user=locked.assignee,
            subject=_("Work order reopened: %(number)s") % {"number": locked.number},
            purpose="repair_reopened",
        )


# The resident's answers ---------------------------------------------------------------------


def confirm_completion(user, order):
    """The resident confirms the repair: the order closes."""
    with transaction.atomic():
        locked = _lock(user, order, "confirm")
        WORK_ORDER.move(locked, "confirm")
        locked.closed_at = timezone.now()
        record_event(locked, user, "confirmed", _("Confirmed by the resident"))
        return _finish(order, locked, ["status", "closed_at"])


def reject_completion(user, order, *, reason):
    """The resident says the problem remains: back to the technician, counted as a reopen."""
    reason = _required_reason(reason)
    with transaction.atomic():
        locked = _lock(user, order, "reject")
        fields = _back_to_dispatched(locked, "reject")
        record_event(
            locked, user, "rejected", _("Rejected by the resident: %(reason)s") % {"reason": reason}
        )
        _notify_assignee_reopened(locked, reason)
        return _finish(order, locked, fields)


def rate(user, order, *, stars, comment=""):
    """The resident rates a completed or closed repair, once, with 1–5 stars."""
    comment = (comment or "").strip()
    try:
        stars = int(stars)
    except (TypeError, ValueError):
        stars = 0
    if not 1 <= stars <= 5:
        raise ValidationError(
            {"stars": ValidationError(_("Give 1 to 5 stars."), code="invalid_rating")}
        )
    if len(comment) > WorkOrder._meta.get_field("rating_comment").max_length:
        raise ValidationError(
            {"comment": ValidationError(_("The comment is too long."), code="max_length")}
        )
    with transaction.atomic():
        locked = _lock(user, order, "rate")
        locked.rating = stars
        locked.rating_comment = comment
        locked.rated_at = timezone.now()
        record_event(
            locked,
            user,
            "rated",
            _("Rated %(stars)s of 5") % {"stars": stars},
            stars=stars,
            comment=comment,
        )
        return _finish(order, locked, ["rating", "rating_comment", "rated_at"])


# The contact phone --------------------------------------------------------------------------


def reveal_contact_phone(actor, order):
    """显示号码: the contact phone in full for someone at the desk who sees it masked; who
    asked, and when, goes on the order's timeline. Whoever sees it in full already just
    gets it."""
    if privacy.sees_full_phone(actor, order):
        return order.contact_phone
    if not selectors.may_reveal_contact_phone(actor, order):
        raise PermissionDenied
    if not restrict(WorkOrder.objects, actor, "view").filter(pk=order.pk).exists():
        raise Http404
    record_event(order, actor, "phone_revealed", _("Contact phone shown in full"))
    return order.contact_phone


# The pending list ---------------------------------------------------------------------------

# A pause longer than this ends a look at the pending list; the next look marks as new what
# arrived since the last one. Within a look, filtering and paging keep the same markers.
LOOK_GAP = datetime.timedelta(minutes=15)


def look_at_pending(user, now=None):
    """Record that ``user`` looks at the pending list now and answer since when orders are
    new to them: the end of their previous look (None at their very first look)."""
    now = now or timezone.now()
    visit, created = PendingListVisit.objects.get_or_create(user=user, defaults={"seen_at": now})
    if created:
        return None
    if now - visit.seen_at > LOOK_GAP:
        visit.new_since = visit.seen_at
    PendingListVisit.objects.filter(pk=visit.pk).update(seen_at=now, new_since=visit.new_since)
    return visit.new_since


# Technicians --------------------------------------------------------------------------------


def technicians():
    """Active staff users holding the technician permission (through a role or directly)."""
    User = get_user_model()
    permission = Permission.objects.filter(
        content_type__app_label="repairs", codename=TECHNICIAN_CODENAME
    )
    return (
        User.objects.filter(is_active=True, kind="staff")
        .filter(Q(groups__permissions__in=permission) | Q(user_permissions__in=permission))
        .distinct()
    )


def staff_covering(order):
    """Active staff whose data scope covers the order's place (its estate, or its building):
    who may be named on the order, e.g. as its assignee — anyone else answers as if they did
    not exist. ``Scope.covers`` of their live scope grants, in SQL."""
    from courtyard.accounts.choices import ScopeKind
    from courtyard.accounts.models import ScopeGrant

    covering = Q(kind=ScopeKind.ALL) | Q(estates=order.estate_id)
    if order.building_id is not None:
        covering |= Q(buildings=order.building_id)
    live = Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    grants = ScopeGrant.objects.filter(live).filter(covering)
    return get_user_model().objects.filter(
        Q(is_superuser=True) | Q(pk__in=grants.values("user_id")), is_active=True, kind="staff"
    )


def technician_candidates(order):
    """Technicians whose data scope covers the order's unit: (user, skills, open_load,
    suggested), best first. The suggestion: the lightest open load among those whose skills
    cover the category. A fixed number of queries, whatever the number of technicians."""
    users = list(
        selectors.with_skills(
            technicians().filter(pk__in=staff_covering(order).values("pk"))
        ).order_by("full_name", "username")
    )
    result = []
    for user in users:
        skills = [row.category for row in user.skill_rows]
        result.append((user, skills, user.open_load))
    skilled = [c for c in result if any(s.pk == order.category_id for s in c[1])]
    best = min(skilled, key=lambda c: c[2]) if skilled else None
    candidates = [
        Candidate(user, skills, load, best is not None and user is best[0])
        for user, skills, load in result
    ]
    candidates.sort(
        key=lambda c: (
            not c.suggested,
            not any(s.pk == order.category_id for s in c.skills),
            c.open_load,
            c.user.display_name,
        )
    )
    return candidates


def _scope_of(grants):
    from courtyard.accounts.choices import ScopeKind
    from courtyard.core.scoping import Scope

    all_estates, estates, buildings = False, set(), set()
    for grant in grants:
        if grant.kind == ScopeKind.ALL:
            all_estates = True
        estates.update(e.pk for e in grant.estates.all())
        buildings.update(b.pk for b in grant.buildings.all())
    return Scope(all_estates, frozenset(estates), frozenset(buildings))


def technicians_for(user):
    """The technicians whose skills ``user`` may see and set: those working somewhere in the
    user's data scope (a live scope grant of all estates, or of an estate or a building
    within it); everyone for an all-estates user."""
    from courtyard.accounts.choices import ScopeKind
    from courtyard.accounts.models import ScopeGrant

    people = technicians()
    scope = user_scope(user)
    if scope.all_estates:
        return people
    working_there = (
        Q(kind=ScopeKind.ALL)
        | Q(estates__in=scope.estate_ids)
        | Q(buildings__in=scope.building_ids)
        | Q(buildings__estate__in=scope.estate_ids)
    )
    live = Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    grants = ScopeGrant.objects.filter(live).filter(working_there)
    return people.filter(Q(is_superuser=True) | Q(pk__in=grants.values("user_id")))


def set_skills(actor, technician, categories):
    """Set the categories a technician handles (supervisors: repairs.change_technicianskill).

    A technician outside the actor's scope is not found; only active categories may be
    given. Rows are created one by one so that each lands in the audit log."""
    if not has_action(actor, TechnicianSkill, "change") or actor.is_resident:
        raise PermissionDenied
    if not technicians_for(actor).filter(pk=technician.pk).exists():
        raise Http404
    inactive = [c.name for c in categories if not c.is_active]
    if inactive:
        raise ValidationError(
            {
                "categories": ValidationError(
                    _("No longer in use: %(names)s.") % {"names": "、".join(inactive)},
                    code="inactive_category",
                )
            }
        )
    wanted = {c.pk for c in categories}
    with transaction.atomic():
        TechnicianSkill.objects.filter(user=technician).exclude(category__in=wanted).delete()
        have = set(
            TechnicianSkill.objects.filter(user=technician).values_list("category", flat=True)
        )
        for pk in sorted(wanted - have):
            TechnicianSkill.objects.create(user=technician, category_id=pk, created_by=actor)
    return technician


# Repair categories --------------------------------------------------------------------------

CATEGORY_FIELDS = ("name", "name_en", "sort_order", "is_active", "requires_signature")


def create_repair_category(actor, *, name, code="", **values):
    """A new repair category (company-wide: every estate's orders choose from the same list).
    Without a code, one is made up: other parts find the seeded categories by theirs."""
    require_action(actor, RepairCategory, "add")
    require_company_wide(actor)
    category = RepairCategory(created_by=actor, name=(name or "").strip(), code=code or "")
    for field in CATEGORY_FIELDS[1:]:
        if field in values:
            setattr(category, field, values[field])
    with transaction.atomic():
        if not category.code:
            category.code = _free_category_code()
        _save_category(category)
        record_event(category, actor, "created", _("Repair category created."))
    return category


def update_repair_category(actor, category, **changes):
    """Rename, reorder, (de)activate a category; a deactivated one is offered for no new
    order and no technician, while the orders that have it keep it. Its code never changes."""
    require_action(actor, RepairCategory, "change")
    require_company_wide(actor)
    for field in CATEGORY_FIELDS:
        if field in changes:
            setattr(category, field, changes[field].strip() if field == "name" else changes[field])
    with transaction.atomic():
        _save_category(category)
    return category


def _free_category_code():
    taken = set(RepairCategory.objects.values_list("code", flat=True))
    number = RepairCategory.objects.count() + 1
    while f"category-{number}" in taken:
        number += 1
    return f"category-{number}"


def _save_category(category):
    errors = {}
    try:
        category.clean_fields(exclude=["created_by"])
    except ValidationError as error:
        errors = {field: list(messages) for field, messages in error.error_dict.items()}
    others = RepairCategory.objects.exclude(pk=category.pk)
    if category.name and "name" not in errors and others.filter(name=category.name).exists():
        errors["name"] = [
            ValidationError(_("Another repair category has this name."), code="duplicate")
        ]
    if category.code and "code" not in errors and others.filter(code=category.code).exists():
        errors["code"] = [
            ValidationError(_("Another repair category has this code."), code="duplicate")
        ]
    if errors:
        raise ValidationError(errors)
    category.save()


# Messages -----------------------------------------------------------------------------------


def _notify_resident(order, body, purpose):
    """An app notice to the resident's portal account; an SMS as well when configured."""
    resident = order.resident
    user = resident.user if resident is not None else None
    if user is None and order.reported_by_id and order.reported_by.is_resident:
        user = order.reported_by
    subject = _("Repair %(number)s") % {"number": order.number}
    if user is not None:
        queue_message(
            MessageChannel.APP,
            user.get_username(),
            body,
            user=user,
            subject=subject,
            purpose=purpose,
        )
    phone = order.contact_phone or (resident.phone if resident is not None else "")
    if phone and parameters.get("repairs.notify_resident_by_sms"):
        queue_message(
            MessageChannel.SMS,
            phone,
            f"【Courtyard】{body}",
            user=user,
            subject=subject,
            purpose=purpose,
        )


def _notify_assignee(order, assignee, note):
    body = _("New work order %(number)s (%(urgency)s, %(category)s) at %(place)s: %(text)s") % {
        "number": order.number,
        "urgency": order.get_urgency_display(),
        "category": order.category.name,
        "place": order.place,
        "text": order.description,
    }
    if note:
        body += " " + _("Note: %(note)s") % {"note": note}
    queue_message(
        MessageChannel.APP,
        assignee.get_username(),
        body,
        user=assignee,
        subject=_("Work order dispatched to you: %(number)s") % {"number": order.number},
        purpose="repair_dispatched_to_you",
    )


def active_categories():
    return RepairCategory.objects.filter(is_active=True)
