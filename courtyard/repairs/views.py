"""Staff pages of repairs: the pending list, the work order list with its tabs, a work order's
page with its timeline and actions, dispatching, the technician's phone list ("my work
orders"), and a new order taken by phone or at the desk.

Every change goes through one service function; a StateConflict (someone else acted first,
or the order moved on) comes back as a message, with what was typed kept.
"""

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from courtyard.accounts.models import User
from courtyard.core.access import AccessMixin, access, acts_on
from courtyard.core.exceptions import StateConflict
from courtyard.core.generic import (
    CompanyWideFormMixin,
    CompanyWideMixin,
    ObjectDetailView,
    ObjectEditView,
    ObjectExportView,
    ObjectHistoryView,
    ObjectListView,
    apply_service_errors,
)
from courtyard.core.models import Attachment
from courtyard.core.paging import IdsFirst
from courtyard.core.scoping import has_action, narrow_to_estate, restrict
from courtyard.core.timeline import events_for

from . import selectors, services
from .choices import (
    ASSIGNED_STATUSES,
    UNRESPONDED_STATUSES,
    PhotoPurpose,
    WorkOrderStatus,
)
from .filters import RepairCategoryFilterSet, TechnicianFilterSet, WorkOrderFilterSet
from .forms import (
    CompleteForm,
    DispatchForm,
    FollowUpForm,
    ReasonForm,
    RepairCategoryForm,
    TechnicianSkillsForm,
    WorkOrderForm,
)
from .models import RepairCategory, TechnicianSkill, WorkOrder
from .states import WORK_ORDER
from .tables import (
    ROW_RELATED,
    RepairCategoryTable,
    TechnicianTable,
    WorkOrderTable,
    place_of,
)

ORDERS = WorkOrder.objects.select_related(*ROW_RELATED)


def tabs():
    """The tabs of the work order list: (key, label), "all" first."""
    return [(key, label) for key, (label, _filter) in selectors.TABS.items()]


def error_text(error):
    if isinstance(error, StateConflict):
        return str(error.message)
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("No permission.")


def photos_of(objects, purpose=None):
    """{pk: [attachment, …]} of several records in one query (thumbnails in lists)."""
    objects = list(objects)
    if not objects:
        return {}
    content_type = ContentType.objects.get_for_model(type(objects[0]))
    found = Attachment.objects.filter(
        content_type=content_type, object_id__in=[str(o.pk) for o in objects]
    ).order_by("uploaded_at", "pk")
    if purpose:
        found = found.filter(purpose=purpose)
    result = {o.pk: [] for o in objects}
    for attachment in found:
        result[int(attachment.object_id)].append(attachment)
    return result


def annotate_sla(orders, now=None):
    """Each order's running deadline and how it stands: ok, soon (within an hour), overdue."""
    now = now or timezone.now()
    for order in orders:
        due = None
        if order.status in UNRESPONDED_STATUSES:
            due, order.sla_kind = order.response_due, "response"
        elif order.status in ASSIGNED_STATUSES:
            due, order.sla_kind = order.resolution_due, "resolution"
        order.sla_due = due
        if due is None:
            order.sla_state = ""
        elif due < now:
            order.sla_state = "overdue"
        elif (due - now).total_seconds() < 3600:
            order.sla_state = "soon"
        else:
            order.sla_state = "ok"
        order.where = place_of(order)
    return orders


def order_for(request, pk, queryset=ORDERS):
    """The order the user may see: 404 outside the data scope (the permission is declared)."""
    try:
        return restrict(queryset, request.user, "view").get(pk=pk)
    except (WorkOrder.DoesNotExist, ValueError):
        raise Http404


def next_url(request, order):
    """Back where the action started (the technician's list), else the order's page."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return order.get_absolute_url()


# Lists -------------------------------------------------------------------------------------


class PendingListView(AccessMixin, TemplateView):
    """待处理报修: new requests, most urgent and oldest first (or newest first), to accept and
    dispatch; searched and filtered as the work order list, with what arrived since the
    user's last look marked new."""

    access = "repairs.view_workorder"
    template_name = "repairs/pending_list.html"
    per_page = 25

    def get_context_data(self, **kwargs):
        user, get = self.request.user, self.request.GET
        new_since = services.look_at_pending(user)
        sort = get.get("sort") if get.get("sort") in selectors.PENDING_SORTS else "urgency"
        queryset = narrow_to_estate(
            selectors.pending_work_orders(user, sort).select_related(*ROW_RELATED),
            self.request.session.get("estate_id"),
        )
        filterset = WorkOrderFilterSet(get or None, queryset, request=self.request)
        if filterset.is_bound and filterset.is_valid():
            queryset = filterset.qs
        arrived = queryset.filter(created_at__gt=new_since) if new_since else queryset.none()
        only_new = bool(get.get("new")) and new_since is not None
        shown = arrived if only_new else queryset
        page = Paginator(IdsFirst(shown), self.per_page).get_page(get.get("page"))
        orders = annotate_sla(list(page.object_list))
        photos = photos_of(orders, PhotoPurpose.REPORT)
        for order in orders:
            order.photos = photos.get(order.pk, [])
            order.is_new = new_since is not None and order.created_at > new_since
        context = super().get_context_data(**kwargs)
        context.update(
            page=page,
            orders=orders,
            filterset=filterset,
            sort=sort,
            only_new=only_new,
            # The filter form keeps the order and the "new only" switch.
            filter_hidden={"sort": sort, **({"new": "1"} if only_new else {})},
            new_since=new_since,
            new_count=arrived.count() if new_since else 0,
            can_accept=user.has_perm("repairs.accept_workorder"),
            can_dispatch=user.has_perm("repairs.dispatch_workorder"),
            can_add=user.has_perm("repairs.add_workorder"),
        )
        return context


class WorkOrderListView(ObjectListView):
    """报修列表: every order in the scope, by state, filtered, sortable, exportable."""

    queryset = ORDERS
    filterset_class = WorkOrderFilterSet
    table_class = WorkOrderTable
    export_job = "repairs.export_work_orders"
    template_name = "repairs/workorder_list.html"

    def tab(self):
        tab = self.request.GET.get("tab", "all")
        return tab if tab in dict(tabs()) else "all"

    def restricted(self, action=None):
        return selectors.work_orders_by_tab(self.request.user, self.tab()).select_related(
            *ROW_RELATED
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(tabs=tabs(), tab=self.tab())
        return context


class WorkOrderExportView(ObjectExportView):
    queryset = ORDERS
    filterset_class = WorkOrderFilterSet
    table_class = WorkOrderTable
    export_job = "repairs.export_work_orders"


# The technician's big buttons, and those of an order's page (transitions of WORK_ORDER).
PHONE_BUTTONS = ("start", "follow_up", "complete")
PAGE_BUTTONS = (
    "accept",
    "dispatch",
    "reassign",
    "start",
    "follow_up",
    "complete",
    "close",
    "reopen",
    "cancel",
)


@access("repairs.complete_workorder")
def my_work_orders(request):
    """我的工单: the technician's open orders on a phone, with big buttons."""
    orders = annotate_sla(list(selectors.my_work_orders(request.user).select_related(*ROW_RELATED)))
    photos = photos_of(orders, PhotoPurpose.REPORT)
    for order in orders:
        order.photos = photos.get(order.pk, [])
        order.actions = WORK_ORDER.buttons(request.user, order, PHONE_BUTTONS)
    return render(request, "repairs/my_work_orders.html", {"orders": orders})


# One work order ----------------------------------------------------------------------------


# How each business event looks on the timeline: (icon, colour).
EVENT_LOOKS = {
    "reported": ("ti-file-plus", "blue"),
    "submitted": ("ti-file-plus", "blue"),
    "created": ("ti-file-plus", "blue"),
    "accepted": ("ti-check", "azure"),
    "dispatched": ("ti-user-share", "azure"),
    "reassigned": ("ti-arrows-exchange", "orange"),
    "started": ("ti-player-play", "blue"),
    "followed_up": ("ti-message-dots", "cyan"),
    "completed": ("ti-circle-check", "green"),
    "confirmed": ("ti-thumb-up", "green"),
    "rejected": ("ti-thumb-down", "red"),
    "rated": ("ti-star", "yellow"),
    "closed": ("ti-lock", "secondary"),
    "cancelled": ("ti-x", "red"),
    "reopened": ("ti-arrow-back-up", "orange"),
    "phone_revealed": ("ti-eye", "secondary"),
}


def timeline_of(order):
    """Events and follow-ups (with their photos) merged by time, newest first."""
    follow_ups = list(order.follow_ups.select_related("author"))
    photos = photos_of(follow_ups)
    entries = [
        {
            "kind": "follow_up",
            "at": f.created_at,
            "actor": f.author,
            "text": f.text,
            "photos": photos.get(f.pk, []),
            "icon": "ti-message-dots",
            "colour": "cyan",
        }
        for f in follow_ups
    ]
    for event in events_for(order):
        # A follow-up is shown with its text and photos; its bare event would repeat it.
        if event.verb in ("follow_up", "followed_up") and follow_ups:
            continue
        icon, colour = EVENT_LOOKS.get(event.verb, ("ti-point", "secondary"))
        entries.append(
            {
                "kind": "event",
                "icon": icon,
                "colour": colour,
                "verb": event.verb,
                "at": event.at,
                "actor": event.actor,
                "text": event.message,
                "data": event.data,
            }
        )
    entries.sort(key=lambda entry: entry["at"], reverse=True)
    return entries


class WorkOrderDetailView(ObjectDetailView):
    queryset = ORDERS.select_related("reported_by", "resident")
    template_name = "repairs/workorder_detail.html"
    # Set by workorder_reveal_phone (after the service allowed it) for a page without htmx.
    phone_revealed = False

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        order = context["object"]
        annotate_sla([order])
        photos = {}
        for attachment in photos_of([order])[order.pk]:
            photos.setdefault(attachment.purpose, []).append(attachment)
        actions = WORK_ORDER.buttons(self.request.user, order, PAGE_BUTTONS)
        context.update(
            report_photos=photos.get(PhotoPurpose.REPORT, []),
            completion_photos=photos.get(PhotoPurpose.COMPLETION, []),
            signatures=photos.get(PhotoPurpose.SIGNATURE, []),
            timeline=timeline_of(order),
            actions=actions,
            any_action=any(actions.values()),
            phone_revealed=self.phone_revealed,
            can_reveal_phone=selectors.may_reveal_contact_phone(self.request.user, order),
            can_change=False,
            can_delete=False,
        )
        return context


class WorkOrderHistoryView(ObjectHistoryView):
    queryset = ORDERS


@require_POST
@access("repairs.view_workorder", model=WorkOrder)
def workorder_reveal_phone(request, pk):
    """显示号码: the contact phone in full, on the timeline; htmx swaps it into the page."""
    order = order_for(request, pk)
    services.reveal_contact_phone(request.user, order)
    if request.htmx:
        context = {"object": order, "phone_revealed": True}
        return render(request, "repairs/partials/contact_phone.html", context)
    view = WorkOrderDetailView(phone_revealed=True)
    view.setup(request, pk=order.pk)
    return view.get(request, pk=order.pk)


def render_detail_with_error(request, order, error, status=409):
    """The order's page again with the refusal on top (409: the state moved on)."""
    messages.error(request, error_text(error))
    view = WorkOrderDetailView()
    view.setup(request, pk=order.pk)
    response = view.get(request, pk=order.pk)
    response.status_code = status
    return response


def button_action(request, pk, call, success):
    """A one-click action (accept, start, close): POST only, then back where it came from."""
    order = order_for(request, pk)
    if request.method != "POST":
        return redirect(order.get_absolute_url())
    try:
        call(request.user, order)
    except StateConflict as error:
        return render_detail_with_error(request, order, error)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
        return redirect(next_url(request, order))
    messages.success(request, success)
    return redirect(next_url(request, order))


@access("repairs.accept_workorder", model=WorkOrder)
def workorder_accept(request, pk):
    return button_action(request, pk, services.accept, _("Accepted."))


@access("repairs.complete_workorder", model=WorkOrder)
def workorder_start(request, pk):
    return button_action(request, pk, services.start, _("Work started."))


@access("repairs.close_workorder", model=WorkOrder)
def workorder_close(request, pk):
    return button_action(request, pk, services.close, _("Closed."))


def form_action(request, pk, *, form_class, call, success, template, title, form_kwargs=None):
    """An action with a form (follow up, complete, cancel, reopen).

    Refusals are shown on the form, which keeps what was typed: 400 for bad input,
    409 when the order's state no longer allows the action.
    """
    order = order_for(request, pk)
    form_kwargs = form_kwargs(order) if form_kwargs else {}
    form = form_class(request.POST or None, request.FILES or None, **form_kwargs)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                call(request.user, order, form)
            except StateConflict as error:
                form.add_error(None, error_text(error))
                status = 409
            except ValidationError as error:
                apply_service_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, error_text(error))
                status = 403
            else:
                messages.success(request, success)
                return redirect(next_url(request, order))
    context = {
        "form": form,
        "object": order,
        "title": title,
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    annotate_sla([order])
    return render(request, template, context, status=status)


@access("repairs.followup_workorder", model=WorkOrder)
def workorder_follow_up(request, pk):
    return form_action(
        request,
        pk,
        form_class=FollowUpForm,
        call=lambda user, order, form: services.add_follow_up(
            user, order, text=form.cleaned_data["text"], photos=form.cleaned_data["photos"]
        ),
        success=_("Follow-up added."),
        template="repairs/workorder_action.html",
        title=_("Follow up"),
    )


@access("repairs.complete_workorder", model=WorkOrder)
def workorder_complete(request, pk):
    return form_action(
        request,
        pk,
        form_class=CompleteForm,
        form_kwargs=lambda order: {"order": order},
        call=lambda user, order, form: services.complete(user, order, **form.service_kwargs()),
        success=_("Completed. The resident is asked to confirm."),
        template="repairs/workorder_complete.html",
        title=_("Complete the repair"),
    )


@access("repairs.cancel_workorder", model=WorkOrder)
def workorder_cancel(request, pk):
    return form_action(
        request,
        pk,
        form_class=ReasonForm,
        call=lambda user, order, form: services.cancel(
            user, order, reason=form.cleaned_data["reason"]
        ),
        success=_("Cancelled."),
        template="repairs/workorder_action.html",
        title=_("Cancel the work order"),
    )


@access("repairs.close_workorder", model=WorkOrder)
def workorder_reopen(request, pk):
    return form_action(
        request,
        pk,
        form_class=ReasonForm,
        call=lambda user, order, form: services.reopen(
            user, order, reason=form.cleaned_data["reason"]
        ),
        success=_("Reopened and sent back to the technician."),
        template="repairs/workorder_action.html",
        title=_("Reopen the work order"),
    )


@access("repairs.dispatch_workorder", model=WorkOrder)
def workorder_dispatch(request, pk):
    """派工 (or reassign): the candidates with skills and load, the suggested one first."""
    order = order_for(request, pk)
    candidates = services.technician_candidates(order)
    suggested = next((c[0].pk for c in candidates if c[3]), None)
    # Reassigning starts from the suggestion too, unless that is who has it now.
    initial = {
        "assignee": suggested if suggested != order.assignee_id else None,
        "note": order.dispatch_note,
    }
    form = DispatchForm(request.POST or None, candidates=candidates, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.dispatch(
                    request.user,
                    order,
                    assignee=form.cleaned_data["assignee"],
                    note=form.cleaned_data["note"],
                )
            except StateConflict as error:
                form.add_error(None, error_text(error))
                status = 409
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Dispatched to %(name)s.")
                    % {"name": form.cleaned_data["assignee"].display_name},
                )
                return redirect(next_url(request, order))
    annotate_sla([order])
    rows = [
        {"user": user, "skills": skills, "load": load, "suggested": is_suggested}
        for user, skills, load, is_suggested in candidates
    ]
    context = {
        "form": form,
        "object": order,
        "candidates": rows,
        "chosen": str(form["assignee"].value() or ""),
        "reassign": WORK_ORDER.state_allows(order, "reassign"),
        "accepts_too": WORK_ORDER.state_allows(order, "accept"),
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "repairs/workorder_dispatch.html", context, status=status)


# A new order taken by staff ------------------------------------------------------------------


class WorkOrderCreateView(AccessMixin, TemplateView):
    """新建报修: a request taken by phone, at the desk or on an inspection round."""

    access = "repairs.add_workorder"
    template_name = "repairs/workorder_form.html"

    def make_form(self, data=None, files=None):
        initial = {"estate": self.request.session.get("estate_id")}
        return WorkOrderForm(data, files, user=self.request.user, initial=initial)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.make_form()))

    def post(self, request, *args, **kwargs):
        form = self.make_form(request.POST, request.FILES)
        if form.is_valid():
            try:
                order = services.create_work_order(request.user, **form.service_kwargs())
            except ValidationError as error:
                apply_service_errors(form, error)
            except (StateConflict, PermissionDenied) as error:
                form.add_error(None, error_text(error))
            else:
                messages.success(request, _("Work order %(number)s created.") % {"number": order})
                return redirect(order.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)


@access("repairs.add_workorder")
def unit_picker(request):
    """The estate → building → entrance → room selects of the new-order form (htmx)."""
    values = request.GET.dict()
    order = ["estate", "building", "entrance", "unit"]
    for index, name in enumerate(order):
        if values.get(name, "") != values.get(f"prev_{name}", ""):
            for later in order[index + 1 :]:
                values.pop(later, None)
            break
    form = WorkOrderForm(user=request.user, initial=values)
    return render(request, "repairs/partials/unit_picker.html", {"form": form})


# Repair categories and technicians' skills -------------------------------------------------

CATEGORIES = RepairCategory.objects.annotate(technicians=Count("skills", distinct=True))


class RepairCategoryListView(CompanyWideMixin, ObjectListView):
    """报修类别: the one list every estate's orders choose from (company-wide)."""

    queryset = CATEGORIES
    filterset_class = RepairCategoryFilterSet
    table_class = RepairCategoryTable


class RepairCategoryDetailView(CompanyWideMixin, ObjectDetailView):
    queryset = CATEGORIES


class RepairCategoryHistoryView(ObjectHistoryView):
    queryset = CATEGORIES


class RepairCategoryEditView(CompanyWideFormMixin, ObjectEditView):
    """Add or change a category; deactivating it is unticking "active" (orders keep it)."""

    queryset = CATEGORIES
    form_class = RepairCategoryForm
    create_service = services.create_repair_category
    update_service = services.update_repair_category


class TechnicianScopeMixin:
    """The rows are technicians (users) in the user's scope; the permissions are those of
    their skills (``repairs.*_technicianskill``), which are added and removed only by
    setting a technician's categories."""

    queryset = TechnicianSkill.objects.all()

    def restricted(self, action=None):
        user = self.request.user
        if not has_action(user, TechnicianSkill, action or self.action):
            return services.technicians().none()
        return selectors.with_skills(services.technicians_for(user))

    def can(self, action):
        return action in ("view", "change") and super().can(action)


class TechnicianListView(TechnicianScopeMixin, ObjectListView):
    """技师技能: the technicians in the scope, the categories each covers, their open load."""

    filterset_class = TechnicianFilterSet
    table_class = TechnicianTable


@acts_on(User)  # the path names the technician
class TechnicianSkillEditView(TechnicianScopeMixin, ObjectEditView):
    """The categories one technician covers (the dispatch page suggests by them)."""

    action = "change"
    form_class = TechnicianSkillsForm
    update_service = services.set_skills
    template_name = "repairs/technician_skills_form.html"

    def get_access(self):
        return self.declared_access()

    def get_object(self):
        found = self.restricted().filter(pk=self.kwargs["pk"]).first()
        if found is None:
            raise Http404
        return found

    def saved_url(self, saved):
        return reverse("repairs:technicianskill_list")


# Home --------------------------------------------------------------------------------------


def repairs_card(request):
    """Pending, in-progress and overdue orders in the scope (and the estate filter)."""
    user = request.user
    if not has_action(user, WorkOrder, "view"):
        return None
    orders = narrow_to_estate(
        restrict(WorkOrder.objects.all(), user), request.session.get("estate_id")
    )
    list_url = reverse("repairs:workorder_list")
    items = [
        (
            _("Pending"),
            orders.filter(status=WorkOrderStatus.SUBMITTED).count(),
            reverse("repairs:pending"),
        ),
        (
            _("In progress"),
            orders.filter(status__in=ASSIGNED_STATUSES).count(),
            f"{list_url}?tab={WorkOrderStatus.IN_PROGRESS}",
        ),
        (_("Overdue"), orders.filter(WorkOrder.overdue_q()).count(), f"{list_url}?overdue=true"),
    ]
    return {"title": _("Repairs"), "icon": "ti-tool", "items": items}
