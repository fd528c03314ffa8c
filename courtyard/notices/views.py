"""Staff pages of announcements (公告管理): the list, the form with its editor and audience
picker, a notice's page (approval, statistics, unread list, comments) with its actions, and
the templates.

Every change goes through one service function (or core.approvals for a decision); a
refusal comes back as a message or a form error, with what was typed kept.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from courtyard.core import files, jobs, versions
from courtyard.core.access import STAFF, AccessMixin, access, acts_on
from courtyard.core.approvals import services as approvals
from courtyard.core.approvals.forms import ApproveForm, RejectForm
from courtyard.core.estate_model import estates_for
from courtyard.core.exceptions import StateConflict
from courtyard.core.generic import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectHistoryView,
    ObjectListView,
    apply_service_errors,
    xlsx_response,
)
from courtyard.core.references import referable
from courtyard.core.scoping import restrict
from courtyard.core.timeline import events_for

from . import audience as audiences
from . import selectors, services
from .choices import (
    READER_VARIABLES,
    AttachmentPurpose,
    AudienceKind,
    NoticeChannel,
    NoticeStatus,
)
from .filters import NoticeFilterSet
from .forms import (
    AudienceForm,
    HideCommentForm,
    NoticeForm,
    NoticeTemplateForm,
    ReplyForm,
    StartFromTemplateForm,
    WithdrawForm,
    ids,
)
from .jobs import EXPORT_UNREAD, unread_workbook
from .models import Notice, NoticeComment, NoticeTemplate
from .states import NOTICE
from .tables import STATUS_COLOURS, NoticeTable, UnreadTable

S = NoticeStatus
NOTICES = Notice.objects.select_related("created_by")
UNREAD_EXPORT_INLINE = 2000  # rows written in the request; more go to a background job
SEARCH_RESULTS = 20
BUILDING_UNITS = 200  # the units of one building offered without a search
COMMENTS_PER_PAGE = 20  # the newest on the notice's page; "more" loads the next ones


def error_text(error):
    if isinstance(error, StateConflict):
        return str(error.message)
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("No permission.")


def notice_for(request, pk, action="view"):
    """The notice the user may ``action``: 404 outside the data scope (the permission is
    declared by the view)."""
    found = restrict(NOTICES, request.user, action).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def attachments_by_purpose(notice):
    found = {}
    for attachment in files.attachments_of(notice).order_by("uploaded_at", "pk"):
        found.setdefault(attachment.purpose, []).append(attachment)
    return found


# The list ----------------------------------------------------------------------------------


def tabs():
    return [("all", _("All"))] + [(status.value, status.label) for status in NoticeStatus]


class NoticeListView(ObjectListView):
    """公告列表: every notice in the scope, by state, filtered; each row with its figures."""

    queryset = NOTICES
    filterset_class = NoticeFilterSet
    table_class = NoticeTable
    template_name = "notices/notice_list.html"

    def tab(self):
        tab = self.request.GET.get("tab", "all")
        return tab if tab in dict(tabs()) else "all"

    def filtered(self):
        filterset, queryset = super().filtered()
        # Every tab's count in one query, with the filters applied.
        self.tab_counts = queryset.order_by().aggregate(
            all=Count("pk"), **{s.value: Count("pk", filter=Q(status=s)) for s in NoticeStatus}
        )
        if self.tab() != "all":
            queryset = queryset.filter(status=self.tab())
        return filterset, queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            tabs=[(key, label, self.tab_counts[key]) for key, label in tabs()],
            tab=self.tab(),
        )
        return context


# The form ----------------------------------------------------------------------------------


@acts_on(Notice)
class NoticeFormView(AccessMixin, TemplateView):
    """新增公告 and editing a draft, a rejected or a withdrawn notice."""

    template_name = "notices/notice_form.html"

    @classmethod
    def declared_access(cls):
        return "notices.add_notice"

    def get_access(self):
        return "notices.change_notice" if "pk" in self.kwargs else "notices.add_notice"

    def get_notice(self):
        if "pk" not in self.kwargs:
            return None
        return notice_for(self.request, self.kwargs["pk"], "change")

    def refuse(self, notice):
        """Awaiting review, approved, published or expired: back to its page, saying why."""
        messages.error(self.request, not_editable_message(notice))
        return redirect(notice.get_absolute_url())

    def make_form(self, notice, data=None, files_=None):
        user = self.request.user
        stored = self.stored_files(notice)
        if notice is not None:
            initial = NoticeForm.initial_for(notice)
        else:
            initial = self.start_initial()
        form = NoticeForm(data, files_, user=user, notice=notice, files_of=stored, initial=initial)
        return versions.add_version_field(form, notice)

    def stored_files(self, notice):
        if notice is None:
            return []
        return [
            a
            for a in files.attachments_of(notice).order_by("uploaded_at", "pk")
            if a.purpose != AttachmentPurpose.IMAGE
        ]

    def start_initial(self):
        """A new notice: the top bar's estate, or a template's wording (``?template=``)."""
        estate_id = self.request.session.get("estate_id")
        initial = {"estates": [estate_id] if estate_id else []}
        template_id = self.request.GET.get("template", "")
        template = (
            NoticeTemplate.objects.filter(pk=template_id).first() if template_id.isdigit() else None
        )
        if template is not None:
            estates = estates_for(self.request.user).filter(pk__in=initial["estates"])
            start = timezone.localtime().replace(second=0, microsecond=0)
            title, content = services.fill_template(template, estates=estates, effective_from=start)
            initial.update(title=title, content=content, category=template.category)
        return initial

    def render_form(self, form, notice, status=200):
        context = self.get_context_data(
            object=notice,
            **audience_context(form),
            templates_form=None
            if notice is not None
            else StartFromTemplateForm(initial={"template": self.request.GET.get("template")}),
            has_templates=notice is None and NoticeTemplate.objects.exists(),
            variables=[(f"{{{name}}}", label) for name, label in READER_VARIABLES.items()],
            can_submit=self.request.user.has_perm("notices.submit_notice"),
            upload_url=reverse("notices:notice_image", args=[notice.pk]) if notice else "",
            picker_url=reverse("notices:audience_picker"),
        )
        return self.render_to_response(context, status=status)

    def get(self, request, *args, **kwargs):
        notice = self.get_notice()
        if notice is not None and not notice.is_editable:
            return self.refuse(notice)
        return self.render_form(self.make_form(notice), notice)

    def post(self, request, *args, **kwargs):
        notice = self.get_notice()
        if notice is not None and not notice.is_editable:
            return self.refuse(notice)
        form = self.make_form(notice, request.POST, request.FILES)
        if form.is_valid():
            versions.apply_form_version(notice, form.cleaned_data)
            try:
                saved = save_notice(request.user, notice, form)
            except ValidationError as error:
                apply_service_errors(form, error)
            except versions.StaleVersion as error:
                versions.keep_typed_after_stale(form, notice, error)
            except (StateConflict, PermissionDenied) as error:
                form.add_error(None, error_text(error))
            else:
                return self.after_save(saved, notice is None)
        if request.FILES:
            form.add_error(None, _("Choose the files again: a browser cannot keep them."))
        return self.render_form(form, notice, status=400)

    def after_save(self, notice, created):
        request = self.request
        edit_url = reverse("notices:notice_edit", args=[notice.pk])
        then = request.POST.getlist("then")
        if "continue" in then:
            messages.success(request, _("Draft saved. You can insert images now."))
            return redirect(f"{edit_url}#editor")
        if "submit" in then:
            try:
                services.submit_notice(request.user, notice)
            except (StateConflict, ValidationError, PermissionDenied) as error:
                messages.error(
                    request,
                    _("The draft was saved but not submitted: %(reason)s")
                    % {"reason": error_text(error)},
                )
                return redirect(edit_url)
            notice.refresh_from_db()
            messages.success(request, submitted_message(notice))
            return redirect(notice.get_absolute_url())
        messages.success(request, _("Draft saved.") if created else _("Saved."))
        return redirect(notice.get_absolute_url())


def not_editable_message(notice):
    """Why the notice cannot be edited now, as the service refuses it."""
    return str(NOTICE.refusal(notice, "edit").message)


def submitted_message(notice):
    if notice.status == S.PUBLISHED:
        return _("Submitted, approved and published.")
    if notice.status == S.APPROVED:
        return _("Submitted and approved: it is published when it takes effect.")
    return _("Submitted for review.")


def save_notice(user, notice, form):
    """Create or change the draft, then its files, in one step (the service's)."""
    return services.save_draft(
        user,
        notice,
        add_files=form.uploads(),
        remove_files=form.cleaned_data.get("remove_files") or [],
        **form.service_kwargs(),
    )


def audience_context(form):
    """What the audience card shows: the buildings by estate, the chosen units or people,
    and how many residents the choice reaches now (or why it cannot be counted)."""
    kind = form.kind()
    context = {"form": form, "kind": kind, "kinds": AudienceKind}
    if kind == AudienceKind.BUILDINGS:
        context["building_groups"] = form.building_groups()
    elif kind == AudienceKind.UNITS:
        context["chosen"] = [
            (u.pk, f"{u.building.name} {u.entrance.name} {u.room_no}") for u in form.chosen_units()
        ]
        context["unit_buildings"] = [b for _e, group in form.building_groups() for b, _c in group]
    elif kind == AudienceKind.RESIDENTS:
        context["chosen"] = [(p.pk, p.name) for p in form.chosen_residents()]
    context.update(count_audience(form, kind))
    return context


def count_audience(form, kind):
    estates = form.value_ids("estates")
    if not estates:
        return {"hint": _("Choose the estates first.")}
    target = audiences.TARGET_FIELD.get(kind)
    chosen = audiences.Audience.chosen(
        kind, estates, **({target: form.value_ids(target)} if target else {})
    )
    if target and not chosen.target_ids:
        return {"hint": _("Choose who in these estates.")}
    try:
        audiences.check(form.user, chosen)
    except ValidationError as error:
        return {"problems": error.messages}
    count = audiences.audience_count(chosen)
    return {"count": count, "warning": None if count else audiences.audience_warning(chosen)}


@access(STAFF)
def audience_picker(request):
    """The audience card again as the choices change (htmx): add or remove a unit or
    person, search for one, and the live count."""
    user = request.user
    if not (user.has_perm("notices.add_notice") or user.has_perm("notices.change_notice")):
        raise PermissionDenied
    data = request.GET.copy()
    form = AudienceForm(data, user=user)
    kind = form.kind()
    field = {AudienceKind.UNITS: "units", AudienceKind.RESIDENTS: "residents"}.get(kind)
    if field:
        chosen = form.value_ids(field)
        chosen += [pk for pk in ids(data.getlist("add")) if pk not in chosen]
        removed = set(ids(data.getlist("remove")))
        data.setlist(field, [str(pk) for pk in chosen if pk not in removed])
        form = AudienceForm(data, user=user)
    context = audience_context(form)
    building = data.get("audience_building", "")
    building = int(building) if building.isdigit() else None
    context["results"] = search_audience(form, kind, data.get("audience_q", ""), building)
    context["picker_url"] = request.path
    return render(request, "notices/partials/audience.html", context)


def search_audience(form, kind, query, building=None):
    """Units (a building's, or by room) or people (by name, phone or room) of the chosen
    estates in scope, not chosen yet."""
    query = query.strip()
    estates = form.value_ids("estates")
    if not estates:
        return None
    if kind == AudienceKind.UNITS and (query or building):
        units = (
            form.fields["units"]
            .queryset.filter(estate_id__in=estates)
            .exclude(pk__in=form.value_ids("units"))
        )
        if building:
            units = units.filter(building_id=building)
        if query:
            units = units.filter(room_no__icontains=query)
        found = units.order_by("building__name", "entrance__name", "room_no")
        limit = BUILDING_UNITS if building else SEARCH_RESULTS
        return [
            (u.pk, f"{u.building.name} {u.entrance.name} {u.room_no}", "") for u in found[:limit]
        ]
    if kind == AudienceKind.RESIDENTS and query:
        return search_people(form, estates, query)
    return None


def search_people(form, estates, query):
    from courtyard.core.privacy import shown_phone
    from courtyard.residents.choices import OccupancyStatus
    from courtyard.residents.models import Occupancy

    homes = referable(
        form.user,
        Occupancy.objects.filter(status=OccupancyStatus.CURRENT, estate_id__in=estates),
    )
    match = Q(resident__name__icontains=query) | Q(unit__room_no=query)
    if query.isdigit() and len(query) >= 4:
        match |= Q(resident__phone__endswith=query)
    found = (
        homes.filter(match)
        .exclude(resident_id__in=form.value_ids("residents"))
        .select_related("resident", "unit__building", "unit__entrance")
        .order_by("resident__name", "resident_id")[: SEARCH_RESULTS * 2]
    )
    results = {}
    for home in found:
        unit = home.unit
        place = f"{unit.building.name} {unit.entrance.name} {unit.room_no}"
        if home.resident_id not in results:
            results[home.resident_id] = (
                home.resident_id,
                home.resident.name,
                f"{place} · {shown_phone(form.user, home.resident.phone, home.resident)}",
            )
    return list(results.values())[:SEARCH_RESULTS]


@require_POST
@access("notices.change_notice", model=Notice)
def notice_image(request, pk):
    """An image inserted from the editor: stored with the notice (checked by content) and
    answered with its permission-checked URL."""
    notice = notice_for(request, pk, "change")
    try:
        image = services.add_image(request.user, notice, request.FILES.get("image"))
    except StateConflict as error:
        return JsonResponse({"error": error_text(error)}, status=409)
    except PermissionDenied as error:
        return JsonResponse({"error": error_text(error)}, status=403)
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    return JsonResponse({"url": reverse("core:attachment", args=[image.pk])}, status=201)


# A notice's page ---------------------------------------------------------------------------


def actions_for(user, notice, approval):
    """The buttons a user sees: the transitions of ``NOTICE`` the state and their permissions
    allow (the services decide again), and whether they may decide the pending approval."""
    actions = NOTICE.buttons(user, notice)
    actions["decide"] = (
        approval is not None
        and NOTICE.state_allows(notice, "approve")
        and approvals.may_decide(user, approval)
    )
    return actions


EVENT_LOOKS = {
    "created": ("ti-file-plus", "blue"),
    "edited": ("ti-edit", "secondary"),
    "files_changed": ("ti-paperclip", "secondary"),
    "submitted": ("ti-send", "blue"),
    "approval_submitted": ("ti-checklist", "blue"),
    "approval_level_approved": ("ti-check", "green"),
    "approval_approved": ("ti-circle-check", "green"),
    "approval_rejected": ("ti-x", "red"),
    "approved": ("ti-circle-check", "green"),
    "rejected": ("ti-arrow-back-up", "red"),
    "published": ("ti-speakerphone", "green"),
    "withdrawn": ("ti-arrow-back", "orange"),
    "expired": ("ti-clock-off", "secondary"),
    "comment_hidden": ("ti-eye-off", "orange"),
    "comment_replied": ("ti-message-reply", "cyan"),
}


# The engine's own "submitted" and "approved" repeat the notice's (whose "approved" is the
# truer one: approved, not yet in effect).
ENGINE_REPEATS = {"approval_submitted", "approval_approved"}


def timeline_of(notice):
    entries = []
    for event in events_for(notice).exclude(verb__in=ENGINE_REPEATS).order_by("-at", "-pk"):
        icon, colour = EVENT_LOOKS.get(event.verb, ("ti-point", "secondary"))
        entries.append({"event": event, "icon": icon, "colour": colour})
    return entries


def audience_summary(notice):
    """The estates and, for a narrower audience, the buildings, units or people chosen."""
    estates = [e.name for e in notice.estates.all()]
    targets = []
    more = 0
    limit = 12
    field = audiences.TARGET_FIELD.get(notice.audience_kind)
    if field:
        related = getattr(notice, field)
        if field == "units":
            related = related.select_related("building", "entrance")
        elif field == "buildings":
            related = related.select_related("estate")
        found = list(related.all()[: limit + 1])
        total = len(found) if len(found) <= limit else related.count()
        more = max(0, total - limit)
        for item in found[:limit]:
            if field == "units":
                targets.append(f"{item.building.name} {item.entrance.name} {item.room_no}")
            elif field == "buildings":
                targets.append(item.name)
            else:
                targets.append(item.name)
    return {"estates": estates, "targets": targets, "more": more}


class NoticeDetailView(ObjectDetailView):
    """详情: the content as stored, audience, channels, approval progress, timeline, files;
    for those who may: the figures, the unread list and the comments to moderate."""

    queryset = NOTICES
    template_name = "notices/notice_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        notice = context["object"]
        approval = approvals.latest_request(notice)
        actions = actions_for(user, notice, approval)
        stored = attachments_by_purpose(notice)
        context.update(
            status_colour=STATUS_COLOURS.get(notice.status, "secondary"),
            approval=approval,
            levels=approvals.progress(approval) if approval else [],
            actions=actions,
            # Why a reviewer sees no buttons (their own notice, another level's role …).
            decision_refusal=approvals.decision_refusal(user, approval)
            if approval is not None and approval.is_pending and not actions["decide"]
            else None,
            any_action=any(actions.values()),
            attachments=stored.get(AttachmentPurpose.ATTACHMENT, []),
            posters=stored.get(AttachmentPurpose.POSTER, []),
            audience=audience_summary(notice),
            channel_labels=notice.channel_labels,
            has_variables=any(f"{{{name}}}" in notice.content for name in READER_VARIABLES),
            timeline=timeline_of(notice),
            can_change=False,
            can_delete=False,
            approve_form=kwargs.get("approve_form")
            or ApproveForm(initial={"level": approval.current_level if approval else 1}),
            reject_form=kwargs.get("reject_form")
            or RejectForm(initial={"level": approval.current_level if approval else 1}),
            withdraw_form=kwargs.get("withdraw_form") or WithdrawForm(),
        )
        if notice.is_editable:
            context["audience_now"] = audiences.audience_count(notice)
        if notice.was_published and user.has_perm("notices.view_notice_statistics"):
            context.update(statistics_context(self.request, notice))
        if notice.was_published:
            context.update(comments_context(self.request, notice))
        return context


def comments_context(request, notice, page=1):
    """The newest comments (a page of them, with their replies); "more" loads the next."""
    comments, has_more = selectors.comments_page(notice, page, COMMENTS_PER_PAGE)
    return {
        "comments": comments,
        "comments_more_url": (
            f"{reverse('notices:notice_comments', args=[notice.pk])}?page={page + 1}"
            if has_more
            else ""
        ),
        "can_moderate": request.user.has_perm("notices.moderate_noticecomment"),
    }


def statistics_context(request, notice):
    labels = dict(NoticeChannel.choices)
    deliveries = selectors.delivery_counts(notice)
    statistics = selectors.notice_statistics(notice)
    return {
        "statistics": statistics,
        "deliveries": [(labels.get(ch, ch), deliveries.get(ch, 0)) for ch in notice.channels]
        + [(labels.get(ch, ch), n) for ch, n in deliveries.items() if ch not in notice.channels],
        **unread_context(request, notice, unread=statistics.unread),
    }


def unread_context(request, notice, unread=None):
    table = UnreadTable(selectors.unread_audience(notice), request, viewer=request.user)
    page = table.page(count=unread)
    return {
        "unread_table": table,
        "unread_page": page,
        "unread_rows": list(table.rows(page.object_list)),
        "unread_url": reverse("notices:notice_unread", args=[notice.pk]),
    }


class NoticeHistoryView(ObjectHistoryView):
    queryset = NOTICES


def render_detail(request, notice, status=200, **forms):
    """The notice's page again (after a refusal: 409 when the state moved on)."""
    view = NoticeDetailView()
    view.setup(request, pk=notice.pk)
    context = view.get_context_data(**forms)
    return render(request, view.template_name, context, status=status)


def button_action(request, pk, call, success, action="view"):
    """A one-click action (submit, publish): POST only, then back to the notice."""
    notice = notice_for(request, pk, action)
    if request.method != "POST":
        return redirect(notice.get_absolute_url())
    try:
        result = call(request.user, notice)
    except StateConflict as error:
        messages.error(request, error_text(error))
        return render_detail(request, notice, status=409)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
        return redirect(notice.get_absolute_url())
    messages.success(request, success(result) if callable(success) else success)
    return redirect(notice.get_absolute_url())


@access("notices.submit_notice", model=Notice)
def notice_submit(request, pk):
    return button_action(request, pk, services.submit_notice, submitted_message, action="submit")


@access("notices.publish_notice", model=Notice)
def notice_publish(request, pk):
    return button_action(
        request,
        pk,
        services.publish_notice,
        lambda result: (
            _("Published to %(count)s residents; %(messages)s messages sent.")
            % {"count": result.audience, "messages": result.messages}
        ),
        action="publish",
    )


@access("notices.withdraw_notice", model=Notice)
def notice_withdraw(request, pk):
    """撤回: with a reason; readers no longer see it, and the author may edit it again."""
    notice = notice_for(request, pk, "withdraw")
    form = WithdrawForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.withdraw_notice(request.user, notice, form.cleaned_data["reason"])
            except StateConflict as error:
                form.add_error(None, error_text(error))
                status = 409
            except PermissionDenied as error:
                form.add_error(None, error_text(error))
                status = 403
            else:
                messages.success(request, _("Withdrawn. You can edit it and submit it again."))
                return redirect(notice.get_absolute_url())
    context = {"form": form, "object": notice, "title": _("Withdraw the announcement")}
    return render(request, "notices/notice_action.html", context, status=status)


class NoticeDeleteView(ObjectDeleteView):
    queryset = NOTICES
    delete_service = services.delete_notice


def pending_request(notice):
    approval = approvals.latest_request(notice)
    if approval is None or not approval.is_pending:
        return None
    return approval


@require_POST
@access("notices.view_notice", model=Notice)
def notice_approve(request, pk):
    """Approve at the current level (core.approvals decides who may)."""
    notice = notice_for(request, pk)
    approval = pending_request(notice)
    form = ApproveForm(request.POST)
    if approval is None:
        messages.error(request, _("This announcement is no longer awaiting review."))
        return redirect(notice.get_absolute_url())
    if not form.is_valid():
        return render_detail(request, notice, status=400, approve_form=form)
    try:
        approvals.approve(
            request.user, approval, form.cleaned_data["comment"], level=form.cleaned_data["level"]
        )
    except StateConflict as error:
        messages.error(request, error_text(error))
        return render_detail(request, notice, status=409)
    notice.refresh_from_db()
    if notice.status == S.PENDING_REVIEW:
        messages.success(request, _("Approved; it goes on to the next level."))
    elif notice.status == S.PUBLISHED:
        messages.success(request, _("Approved and published."))
    else:
        messages.success(request, _("Approved: it is published when it takes effect."))
    return redirect(notice.get_absolute_url())


@require_POST
@access("notices.view_notice", model=Notice)
def notice_reject(request, pk):
    notice = notice_for(request, pk)
    approval = pending_request(notice)
    form = RejectForm(request.POST)
    if approval is None:
        messages.error(request, _("This announcement is no longer awaiting review."))
        return redirect(notice.get_absolute_url())
    if form.is_valid():
        try:
            approvals.reject(
                request.user,
                approval,
                form.cleaned_data["reason"],
                level=form.cleaned_data["level"],
            )
        except StateConflict as error:
            messages.error(request, error_text(error))
            return render_detail(request, notice, status=409)
        except ValidationError as error:
            form.add_error("reason", error.message_dict.get("reason", error.messages))
        else:
            messages.success(request, _("Rejected; the author has been told the reason."))
            return redirect(notice.get_absolute_url())
    return render_detail(request, notice, status=400, reject_form=form)


# Statistics: the unread list and its export -----------------------------------------------


@access("notices.view_notice_statistics", model=Notice)
def notice_unread(request, pk):
    """A page of the unread list (htmx swaps it into the notice's page)."""
    notice = notice_for(request, pk)
    context = {"object": notice, **unread_context(request, notice)}
    return render(request, "notices/partials/unread.html", context)


@access("notices.view_notice_statistics", model=Notice)
def notice_unread_export(request, pk):
    """The unread list as Excel: written at once, or by a background job when it is long."""
    notice = notice_for(request, pk)
    if selectors.unread_audience(notice).count() > UNREAD_EXPORT_INLINE:
        job = jobs.start_job(request.user, EXPORT_UNREAD, params={"notice": notice.pk})
        return HttpResponseRedirect(reverse("core:job_detail", args=[job.pk]))
    name, content = unread_workbook(request.user, notice)
    return xlsx_response(content, name)


# Comments ---------------------------------------------------------------------------------


@access("notices.view_notice", model=Notice)
def notice_comments(request, pk):
    """The next page of a notice's comments (htmx appends it under the shown ones)."""
    notice = notice_for(request, pk)
    if not notice.was_published:
        raise Http404
    page = request.GET.get("page", "")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    context = {"object": notice, **comments_context(request, notice, page)}
    return render(request, "notices/partials/comment_items.html", context)


def comment_for(request, pk):
    comment = (
        NoticeComment.objects.filter(pk=pk, notice__in=restrict(Notice.objects.all(), request.user))
        .select_related("notice")
        .first()
    )
    if comment is None:
        raise Http404
    return comment


def comment_action(request, pk, form_class, call, success):
    comment = comment_for(request, pk)
    notice_url = f"{comment.notice.get_absolute_url()}#comments"
    if request.method != "POST":
        return redirect(notice_url)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(notice_url)
    try:
        call(request.user, comment, form.cleaned_data)
    except (StateConflict, ValidationError) as error:
        messages.error(request, error_text(error))
        return redirect(notice_url)
    messages.success(request, success)
    return redirect(notice_url)


@access("notices.moderate_noticecomment", model=NoticeComment)
def comment_hide(request, pk):
    return comment_action(
        request,
        pk,
        HideCommentForm,
        lambda user, comment, data: services.hide_comment(user, comment, data["reason"]),
        _("The comment is hidden from residents; it is kept with the reason."),
    )


@access("notices.moderate_noticecomment", model=NoticeComment)
def comment_reply(request, pk):
    return comment_action(
        request,
        pk,
        ReplyForm,
        lambda user, comment, data: services.reply_to_comment(user, comment, data["body"]),
        _("Reply posted."),
    )


# Templates --------------------------------------------------------------------------------


@access("notices.view_noticetemplate")
def template_list(request):
    templates = NoticeTemplate.objects.select_related("created_by").order_by("category", "name")
    user = request.user
    context = {
        "templates": templates,
        "can_add": user.has_perm("notices.add_noticetemplate"),
        "can_change": user.has_perm("notices.change_noticetemplate"),
        "can_delete": user.has_perm("notices.delete_noticetemplate"),
        "can_use": user.has_perm("notices.add_notice"),
    }
    return render(request, "notices/template_list.html", context)


def template_form(request, template=None):
    initial = {}
    if template is not None:
        initial = {name: getattr(template, name) for name in services.TEMPLATE_FIELDS}
    form = NoticeTemplateForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                if template is None:
                    services.create_template(request.user, **form.cleaned_data)
                else:
                    services.update_template(request.user, template, **form.cleaned_data)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Template saved."))
                return redirect("notices:template_list")
    context = {"form": form, "object": template, "variables": form.variables()}
    return render(request, "notices/template_form.html", context, status=status)


@access("notices.add_noticetemplate")
def template_add(request):
    return template_form(request)


def template_or_404(pk):
    template = NoticeTemplate.objects.filter(pk=pk).first()
    if template is None:
        raise Http404
    return template


@access("notices.change_noticetemplate", model=NoticeTemplate)
def template_edit(request, pk):
    return template_form(request, template_or_404(pk))


@access("notices.delete_noticetemplate", model=NoticeTemplate)
def template_delete(request, pk):
    template = template_or_404(pk)
    if request.method == "POST":
        services.delete_template(request.user, template)
        messages.success(request, _("Deleted “%(name)s”.") % {"name": template})
        return redirect("notices:template_list")
    return render(request, "notices/template_delete.html", {"object": template})
