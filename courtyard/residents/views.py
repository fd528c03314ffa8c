"""Pages of the residents register: lists (current, history, registrations), the new-resident
form with its unit picker, the person's page with their units, household, vehicles and
portal account, contact and core edits, move-out, archive, import and export.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from courtyard.core import privacy, versions
from courtyard.core.access import access
from courtyard.core.approvals import services as approvals
from courtyard.core.exceptions import StateConflict
from courtyard.core.generic import (
    ObjectDetailView,
    ObjectExportView,
    ObjectHistoryView,
    ObjectImportView,
    ObjectListView,
    ObjectViewMixin,
    apply_service_errors,
)
from courtyard.core.scoping import has_action, narrow_to_estate, restrict, scope_q, user_scope

from . import selectors, services
from .choices import MAIN_ROLES, OccupancyStatus, RegistrationStatus, ResidentStatus, Role
from .filters import HistoryResidentFilterSet, RegistrationFilterSet, ResidentFilterSet
from .forms import (
    ArchiveForm,
    ContactForm,
    CoreForm,
    MemberAddForm,
    MemberFormSet,
    MoveOutForm,
    OccupancyCoreForm,
    RegistrationForm,
    VehicleForm,
)
from .jobs import ResidentImporter
from .models import Occupancy, Registration, Resident, Vehicle
from .tables import HistoryResidentTable, RegistrationTable, ResidentTable, shown_id, shown_phone

RESIDENTS = Resident.objects.all()
REGISTRATIONS = Registration.objects.select_related(
    "resident", "unit", "unit__entrance", "estate", "building", "submitted_by"
)


def _error_text(error):
    if isinstance(error, StateConflict):
        return str(error.message)
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("No permission.")


# Lists -------------------------------------------------------------------------------------


class ResidentListView(ObjectListView):
    """住户列表: the people on the register, with their units."""

    queryset = Resident.objects.filter(status=ResidentStatus.CURRENT)
    filterset_class = ResidentFilterSet
    table_class = ResidentTable
    importable = True
    export_job = "residents.export_residents"

    def restricted(self, action=None):
        return selectors.current_residents(self.request.user)


class HistoryResidentListView(ObjectListView):
    """历史住户: archived people, searchable with their whole record."""

    queryset = Resident.objects.filter(status=ResidentStatus.ARCHIVED)
    filterset_class = HistoryResidentFilterSet
    table_class = HistoryResidentTable

    def restricted(self, action=None):
        return selectors.history_residents(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(model_name_plural=_("history residents"), add_url=None, import_url=None)
        return context


class RegistrationListView(ObjectListView):
    """New-resident registrations: awaiting approval, rejected (to correct), approved."""

    queryset = REGISTRATIONS
    filterset_class = RegistrationFilterSet
    table_class = RegistrationTable

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        may_add = has_action(self.request.user, Resident, "add")
        context["add_url"] = reverse("residents:resident_add") if may_add else None
        return context


# The person's page ------------------------------------------------------------------------


class ResidentDetailView(ObjectDetailView):
    queryset = RESIDENTS
    template_name = "residents/resident_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, resident = self.request.user, context["object"]
        resident.full_identity = selectors.may_see_identity(user)
        occupancies = selectors.occupancies_of(resident)
        households = selectors.households_of(user, occupancies)
        for occupancy in occupancies:
            occupancy.household = [
                o for o in households.get(occupancy.unit_id, []) if o.resident_id != resident.pk
            ]
        registrations = list(resident.registrations.select_related("unit", "unit__entrance"))
        for registration in registrations:
            registration.approval = approvals.latest_request(registration)
        current_units = [o.unit for o in occupancies if o.status == OccupancyStatus.CURRENT]
        context.update(
            phone=privacy.shown_phone(user, resident.phone, resident),
            id_number=shown_id(resident),
            emergency_phone=privacy.shown_phone(user, resident.emergency_phone, resident),
            occupancies=occupancies,
            registrations=registrations,
            vehicles=list(resident.vehicles.all()),
            confirmations=list(selectors.confirmations_of(resident)),
            archived=resident.archived_at is not None,
            can_change_core=user.has_perm("residents.change_core_resident"),
            can_invite=user.has_perm("residents.invite_resident"),
            vehicle_form=VehicleForm(),
            move_out_form=MoveOutForm(),
            member_form=MemberAddForm(units=_units_queryset(current_units), user=user)
            if current_units
            else None,
            today=_today(),
        )
        return context


def _today():
    from django.utils import timezone

    return timezone.localdate()


def _units_queryset(units):
    from courtyard.estates.models import Unit

    return Unit.objects.filter(pk__in=[u.pk for u in units]).select_related(
        "estate", "building", "entrance"
    )


class ResidentHistoryView(ObjectHistoryView):
    queryset = RESIDENTS


# Editing -----------------------------------------------------------------------------------


class ResidentFormView(ObjectViewMixin, TemplateView):
    """A form page about one person; subclasses name the form, the service and the access."""

    queryset = RESIDENTS
    action = "change"
    template_name = "residents/resident_form.html"
    title = ""

    def get_object(self):
        try:
            return self.restricted("change").get(pk=self.kwargs["pk"])
        except (Resident.DoesNotExist, ValueError):
            raise Http404

    def render_form(self, form, resident, status=200):
        context = self.get_context_data(form=form, object=resident, title=self.title)
        context.update(self.base_context())
        return self.render_to_response(context, status=status)

    def get(self, request, *args, **kwargs):
        resident = self.get_object()
        return self.render_form(self.make_form(resident), resident)

    def post(self, request, *args, **kwargs):
        resident = self.get_object()
        form = self.make_form(resident, request.POST, request.FILES)
        if form.is_valid():
            versions.apply_form_version(resident, form.cleaned_data)
            try:
                self.save(form, resident)
            except ValidationError as error:
                apply_service_errors(form, error)
            except versions.StaleVersion as error:
                versions.keep_typed_after_stale(form, resident, error)
            except (StateConflict, PermissionDenied) as error:
                form.add_error(None, _error_text(error))
            else:
                messages.success(request, _("Saved."))
                return redirect(resident.get_absolute_url())
        return self.render_form(form, resident, status=400)


class ResidentEditView(ResidentFormView):
    """Contact details: phone, email, emergency contact, note (the change permission)."""

    @classmethod
    def declared_access(cls):
        return "residents.change_resident"

    @property
    def title(self):
        return _("Edit contact details")

    def make_form(self, resident, data=None, files=None):
        return versions.add_version_field(ContactForm(data, resident=resident), resident)

    def save(self, form, resident):
        services.update_resident(self.request.user, resident, **form.cleaned_data)


class ResidentCoreEditView(ResidentFormView):
    """Name, kind, ID number: the core permission and the owner's confirmation."""

    access = "residents.change_core_resident"

    @classmethod
    def declared_access(cls):
        return cls.access

    @property
    def title(self):
        return _("Change core information")

    def make_form(self, resident, data=None, files=None):
        return versions.add_version_field(CoreForm(data, files, resident=resident), resident)

    def save(self, form, resident):
        services.change_core(
            self.request.user,
            resident,
            confirmation_note=form.cleaned_data["confirmation_note"],
            confirmation_file=form.cleaned_data.get("confirmation_file"),
            **form.changes(),
        )


class ResidentArchiveView(ResidentFormView):
    """Delete = archive: refused with the reason while the person lives anywhere."""

    action = "delete"
    template_name = "residents/resident_archive.html"

    @classmethod
    def declared_access(cls):
        return "residents.delete_resident"

    def get_object(self):
        try:
            return self.restricted("delete").get(pk=self.kwargs["pk"])
        except (Resident.DoesNotExist, ValueError):
            raise Http404

    @property
    def title(self):
        return _("Move to the history residents")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        resident = kwargs.get("object")
        if resident is not None:
            context["refusals"] = (
                [] if resident.archived_at else services.archive_refusals(resident)
            )
        return context

    def make_form(self, resident, data=None, files=None):
        return ArchiveForm(data)

    def post(self, request, *args, **kwargs):
        resident = self.get_object()
        form = self.make_form(resident, request.POST)
        if form.is_valid():
            try:
                services.archive_resident(request.user, resident, form.cleaned_data["reason"])
            except (StateConflict, ValidationError) as error:
                messages.error(request, _error_text(error))
                return redirect(resident.get_absolute_url())
            messages.success(
                request, _("%(name)s moved to the history residents.") % {"name": resident}
            )
            return redirect("residents:resident_list")
        return self.render_form(form, resident, status=400)


def _resident_for(request, pk, action="change"):
    try:
        return restrict(RESIDENTS, request.user, action).get(pk=pk)
    except (Resident.DoesNotExist, ValueError):
        raise Http404


def _occupancy_for(request, pk):
    queryset = Occupancy.objects.select_related("resident", "unit", "unit__entrance")
    q = scope_q(Occupancy, user_scope(request.user))
    try:
        occupancy = (queryset if q is None else queryset.filter(q)).get(pk=pk)
    except (Occupancy.DoesNotExist, ValueError):
        raise Http404
    occupancy.resident = _resident_for(request, occupancy.resident_id)
    return occupancy


def _done(request, resident, call, success):
    try:
        call()
    except (ValidationError, StateConflict, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, success)
    return redirect(resident.get_absolute_url())


@access("residents.change_resident", model=Occupancy)
def occupancy_move_out(request, pk):
    occupancy = _occupancy_for(request, pk)
    if request.method != "POST":
        return redirect(occupancy.resident.get_absolute_url())
    form = MoveOutForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the move-out date."))
        return redirect(occupancy.resident.get_absolute_url())
    return _done(
        request,
        occupancy.resident,
        lambda: services.end_occupancy(request.user, occupancy, form.cleaned_data["move_out"]),
        _("Move-out recorded."),
    )


@access("residents.change_core_resident", model=Occupancy)
def occupancy_core(request, pk):
    """Ownership of one unit: owner / tenant / member, with the owner's confirmation."""
    occupancy = _occupancy_for(request, pk)
    resident = occupancy.resident
    form = OccupancyCoreForm(
        request.POST or None, request.FILES or None, initial={"role": occupancy.role}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.change_occupancy(
                    request.user,
                    occupancy,
                    role=form.cleaned_data["role"],
                    confirmation_note=form.cleaned_data["confirmation_note"],
                    confirmation_file=form.cleaned_data.get("confirmation_file"),
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            except (StateConflict, PermissionDenied) as error:
                form.add_error(None, _error_text(error))
            else:
                messages.success(request, _("Saved."))
                return redirect(resident.get_absolute_url())
        status = 400
    context = {
        "form": form,
        "object": resident,
        "occupancy": occupancy,
        "title": _("Change ownership of %(unit)s") % {"unit": occupancy.unit},
        "model_name": Resident._meta.verbose_name,
    }
    return render(request, "residents/resident_form.html", context, status=status)


@access("residents.change_resident", model=Resident)
def member_add(request, pk):
    resident = _resident_for(request, pk)
    if request.method != "POST":
        return redirect(resident.get_absolute_url())
    units = _units_queryset(
        [o.unit for o in resident.occupancies.filter(status=OccupancyStatus.CURRENT)]
    )
    form = MemberAddForm(request.POST, units=units, user=request.user)
    if not form.is_valid():
        messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
        return redirect(resident.get_absolute_url())
    data = form.cleaned_data
    return _done(
        request,
        resident,
        lambda: services.add_member(request.user, data["unit"], form.person(), data["move_in"]),
        _("Household member added."),
    )


@access("residents.change_resident", model=Resident)
def vehicle_add(request, pk):
    resident = _resident_for(request, pk)
    if request.method != "POST":
        return redirect(resident.get_absolute_url())
    form = VehicleForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
        return redirect(resident.get_absolute_url())
    return _done(
        request,
        resident,
        lambda: services.add_vehicle(request.user, resident, **form.cleaned_data),
        _("Vehicle added."),
    )


@access("residents.change_resident", model=Vehicle)
def vehicle_delete(request, pk):
    try:
        vehicle = Vehicle.objects.get(pk=pk)
    except (Vehicle.DoesNotExist, ValueError):
        raise Http404
    resident = vehicle.resident = _resident_for(request, vehicle.resident_id)
    if request.method != "POST":
        return redirect(resident.get_absolute_url())
    return _done(
        request,
        resident,
        lambda: services.remove_vehicle(request.user, vehicle),
        _("Vehicle removed."),
    )


@access("residents.invite_resident", model=Resident)
def resident_invite(request, pk):
    resident = _resident_for(request, pk, "view")
    if request.method != "POST":
        return redirect(resident.get_absolute_url())
    try:
        _user, sent = services.invite_to_portal(request.user, resident)
    except (ValidationError, StateConflict, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, sent or _("Invitation sent."))
    return redirect(resident.get_absolute_url())


# New resident (registration) ---------------------------------------------------------------


class RegistrationFormView(ObjectViewMixin, TemplateView):
    """新增住户: one form for the unit, the owner or tenant, members and documents.

    Without ``pk`` it registers someone new; with ``pk`` it corrects a rejected registration
    and resubmits it (a new approval request).
    """

    queryset = REGISTRATIONS
    template_name = "residents/registration_form.html"

    @classmethod
    def declared_access(cls):
        return "residents.add_resident"

    def get_access(self):
        return self.declared_access()

    def get_registration(self):
        if "pk" not in self.kwargs:
            return None
        try:
            registration = self.restricted("view").get(pk=self.kwargs["pk"])
        except (Registration.DoesNotExist, ValueError):
            raise Http404
        if registration.status != RegistrationStatus.REJECTED:
            raise Http404
        return registration

    def initial(self, registration):
        if registration is None:
            return {"move_in": _today(), "estate": self.request.session.get("estate_id")}
        person = registration.resident
        return {
            "estate": registration.estate_id,
            "building": registration.building_id,
            "entrance": registration.unit.entrance_id,
            "unit": registration.unit_id,
            "role": registration.role,
            "name": person.name,
            "kind": person.kind,
            "company_name": person.company_name,
            "phone": person.phone,
            "email": person.email,
            "emergency_contact": person.emergency_contact,
            "emergency_phone": person.emergency_phone,
            "move_in": registration.move_in,
            "previous_owner_move_out": registration.previous_owner_move_out,
            "note": registration.note,
        }

    def member_initial(self, registration):
        if registration is None:
            return []
        return [
            {
                "name": o.resident.name,
                "relation": o.relation,
                "phone": o.resident.phone,
                "resident": o.resident_id,
            }
            for o in registration.occupancies.filter(role=Role.MEMBER).select_related("resident")
        ]

    def forms(self, registration, data=None, files=None):
        form = RegistrationForm(
            data,
            files,
            user=self.request.user,
            registration=registration,
            initial=self.initial(registration),
        )
        initial = self.member_initial(registration)
        members = MemberFormSet(data, prefix="members", initial=initial or None)
        return form, members

    def render_forms(self, form, members, registration, status=200):
        context = self.get_context_data(
            form=form,
            members=members,
            registration=registration,
            documents=selectors.registration_documents(registration) if registration else [],
        )
        context.update(self.base_context())
        context["list_url"] = reverse("residents:resident_list")
        return self.render_to_response(context, status=status)

    def get(self, request, *args, **kwargs):
        registration = self.get_registration()
        return self.render_forms(*self.forms(registration), registration)

    def post(self, request, *args, **kwargs):
        registration = self.get_registration()
        form, members = self.forms(registration, request.POST, request.FILES)
        if form.is_valid() and members.is_valid():
            known = {}
            if registration is not None:
                known = {
                    o.resident_id: o.resident
                    for o in registration.occupancies.select_related("resident")
                }
            rows = [m for m in members.forms if not m.is_blank()]
            try:
                saved = services.submit_registration(
                    request.user,
                    unit=form.cleaned_data["unit"],
                    main=form.person(),
                    move_in=form.cleaned_data["move_in"],
                    members=[m.person(known) for m in rows],
                    documents=form.documents(),
                    previous_owner_move_out=form.cleaned_data.get("previous_owner_move_out"),
                    note=form.cleaned_data.get("note", ""),
                    registration=registration,
                )
            except ValidationError as error:
                self.apply_errors(form, rows, error)
            except (StateConflict, PermissionDenied) as error:
                form.add_error(None, _error_text(error))
            else:
                if saved.status == RegistrationStatus.APPROVED:
                    messages.success(
                        request, _("%(name)s is registered.") % {"name": saved.resident}
                    )
                    return redirect(saved.resident.get_absolute_url())
                messages.success(
                    request, _("Submitted for approval: it takes effect once approved.")
                )
                return redirect(saved.get_absolute_url())
        return self.render_forms(form, members, registration, status=400)

    def apply_errors(self, form, rows, error):
        if not hasattr(error, "error_dict"):
            form.add_error(None, error)
            return
        for key, errors in error.error_dict.items():
            if key.startswith("members-"):
                _prefix, index, name = key.split("-", 2)
                member = rows[int(index)]
                member.add_error(name if name in member.fields else None, errors)
            elif key == "documents":
                form.add_error("others", errors)
            else:
                form.add_error(key if key in form.fields else None, errors)


@access("residents.add_resident")
def unit_picker(request):
    """The four selects of the unit picker, kept consistent (htmx).

    The select that differs from its ``prev_*`` value changed: the ones after it are cleared.
    """
    values = request.GET.dict()
    order = ["estate", "building", "entrance", "unit"]
    for index, name in enumerate(order):
        if values.get(name, "") != values.get(f"prev_{name}", ""):
            for later in order[index + 1 :]:
                values.pop(later, None)
            break
    form = RegistrationForm(user=request.user, initial=values)
    return render(request, "residents/partials/unit_picker.html", {"form": form})


class RegistrationDetailView(ObjectDetailView):
    queryset = REGISTRATIONS
    template_name = "residents/registration_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        registration = context["object"]
        occupancies = list(registration.occupancies.select_related("resident").order_by("role"))
        identity = selectors.may_see_identity(self.request.user)
        for occupancy in occupancies:
            occupancy.resident.full_identity = identity
            occupancy.shown_phone = shown_phone(occupancy.resident)
            occupancy.shown_id = shown_id(occupancy.resident)
        context.update(
            occupancies=occupancies,
            documents=selectors.registration_documents(registration),
            approval=approvals.latest_request(registration),
            can_resubmit=registration.status == RegistrationStatus.REJECTED
            and has_action(self.request.user, Resident, "add"),
            main_roles=MAIN_ROLES,
        )
        return context


class RegistrationHistoryView(ObjectHistoryView):
    queryset = REGISTRATIONS


# Import and export -------------------------------------------------------------------------


class ResidentImportView(ObjectImportView):
    queryset = RESIDENTS
    importer = ResidentImporter
    template_name = "residents/resident_import.html"


class ResidentExportView(ObjectExportView):
    queryset = RESIDENTS
    filterset_class = ResidentFilterSet
    table_class = ResidentTable
    export_job = "residents.export_residents"


# Home --------------------------------------------------------------------------------------


def residents_card(request):
    """Current residents, owners, tenants and registrations awaiting approval in the scope."""
    user = request.user
    if not has_action(user, Resident, "view"):
        return None
    estate_id = request.session.get("estate_id")
    people = narrow_to_estate(selectors.current_residents(user), estate_id)  # counted as sets
    occupancies = narrow_to_estate(
        restrict(Occupancy.objects.filter(status=OccupancyStatus.CURRENT), user), estate_id
    )
    pending = narrow_to_estate(
        restrict(Registration.objects.filter(status=RegistrationStatus.PENDING), user), estate_id
    )
    owners = occupancies.filter(role=Role.OWNER).count()
    tenants = occupancies.filter(role=Role.TENANT).count()
    list_url = reverse("residents:resident_list")
    items = [
        (_("Residents"), people.count(), list_url),
        (_("Owners"), owners, f"{list_url}?role=owner"),
        (_("Tenants"), tenants, f"{list_url}?role=tenant"),
        (_("Awaiting approval"), pending.count(), reverse("residents:registration_list")),
    ]
    return {"title": _("Residents"), "icon": "ti-users", "items": items}
