"""System pages: parameters, message templates, maintenance mode, the audit log and the outbox."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courtyard.core import message_templates, messaging
from courtyard.core.access import PUBLIC, access
from courtyard.core.exceptions import StateConflict
from courtyard.core.models import Message
from courtyard.core.scoping import may_change_company_wide
from courtyard.core.timeline import events_for

from . import selectors, services
from .filters import AuditLogFilterSet, MessageFilterSet, SecurityEventFilterSet
from .forms import MaintenanceForm, MessageTemplateForm, ParametersForm, field_name
from .tables import AuditLogTable, MessageTable, SecurityEventTable


@access("system.change_parameters")
def parameters(request):
    form = ParametersForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.save_parameters(request.user, form.raw_values())
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field_name(key), error)
            form.style_fields()
        else:
            if changed:
                messages.success(request, _("The parameters have been saved."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("system:parameters")
    context = {"form": form, "may_change": may_change_company_wide(request.user)}
    return render(request, "system/parameters.html", context, status=400 if form.errors else 200)


def _message_template(key):
    try:
        return message_templates.definition(key)
    except KeyError:
        raise Http404 from None


@access("core.change_messagetemplate")
def message_template_list(request):
    """Every registered message by module; each card is its own form (save or restore)."""
    posted_key = request.POST.get("key") if request.method == "POST" else None
    if posted_key is not None:
        _message_template(posted_key)
    forms = [
        MessageTemplateForm(t, request.POST if t.key == posted_key else None)
        for t in message_templates.registered()
    ]
    if posted_key is not None:
        form = next(f for f in forms if f.template.key == posted_key)
        done = _save_message_template(request, form)
        if done:
            anchor = "#" + field_name(posted_key)
            return redirect(reverse("system:message_templates") + anchor)
    return render(
        request,
        "system/message_templates.html",
        {
            "groups": selectors.message_template_groups(forms),
            "history_url": selectors.message_template_history_url(),
            "may_change": may_change_company_wide(request.user),
        },
        status=400 if any(f.is_bound and f.errors for f in forms) else 200,
    )


def _save_message_template(request, form):
    """Save or restore the posted template; False (with the errors on the form) if invalid."""
    key, label = form.template.key, form.template.label
    if request.POST.get("action") == "restore":
        if services.restore_message_template(request.user, key):
            messages.success(
                request, _("“%(label)s” is back to its default text.") % {"label": label}
            )
        else:
            messages.info(
                request, _("“%(label)s” already uses its default text.") % {"label": label}
            )
        return True
    subject, body = form.texts()
    try:
        changed = services.save_message_template(request.user, key, subject=subject, body=body)
    except ValidationError as exc:
        form.is_valid()  # the form's own (empty) checks first, so the service's errors stay
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field, error)
        return False
    if changed:
        messages.success(request, _("“%(label)s” has been saved.") % {"label": label})
    else:
        messages.info(request, _("Nothing was changed."))
    return True


@require_POST
@access("core.change_messagetemplate")
def message_template_preview(request):
    """The live preview of one card: its typed texts rendered with the sample values."""
    form = MessageTemplateForm(_message_template(request.POST.get("key", "")), request.POST)
    return render(request, "system/partials/message_template_preview.html", {"form": form})


@access("system.change_maintenance")
def maintenance(request):
    state = selectors.maintenance_state()
    form = MaintenanceForm(request.POST or None, state=state)
    if request.method == "POST" and form.is_valid():
        switch_on = request.POST.get("action") == "on"
        try:
            services.switch_maintenance(
                request.user,
                on=switch_on,
                until=form.cleaned_data["until"],
                message=form.cleaned_data["message"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            form.style_fields()
        else:
            if switch_on:
                messages.warning(
                    request,
                    _("Maintenance mode is on: only administrators can sign in and work."),
                )
            else:
                messages.success(request, _("Maintenance mode is off: everybody can sign in."))
            return redirect("system:maintenance")
    return render(
        request,
        "system/maintenance.html",
        {"form": form, "state": state, "may_change": may_change_company_wide(request.user)},
        status=400 if form.errors else 200,
    )


@access(PUBLIC)
def maintenance_notice(request):
    """Where signed-in non-administrators wait while the system is being upgraded."""
    state = selectors.maintenance_state()
    return render(request, "system/maintenance_notice.html", {"state": state})


@access("system.view_audit_log")
def audit_log(request):
    tab = "security" if request.GET.get("tab") == "security" else "changes"
    if tab == "security":
        filterset_class, table_class = SecurityEventFilterSet, SecurityEventTable
        queryset = selectors.security_events()
    else:
        filterset_class, table_class = AuditLogFilterSet, AuditLogTable
        queryset = selectors.audit_entries()
    data = request.GET.copy()
    data.pop("tab", None)
    filterset = filterset_class(data or None, queryset, request=request)
    if filterset.is_bound and filterset.is_valid():
        queryset = filterset.qs
    table = table_class(queryset, request)
    page = table.page()
    if tab == "changes":
        page.object_list = selectors.readable_changes(page.object_list, request.user)
    return render(
        request,
        "system/audit_log.html",
        {"tab": tab, "filterset": filterset, "table": table, "page": page},
    )


@access("core.view_message")
def message_list(request):
    queryset = selectors.messages_visible_to(request.user)
    filterset = MessageFilterSet(request.GET or None, queryset, request=request)
    if filterset.is_bound and filterset.is_valid():
        queryset = filterset.qs
    table = MessageTable(queryset, request)
    page = table.page()
    page.object_list = selectors.with_shown_recipient(page.object_list, request.user)
    return render(
        request,
        "system/message_list.html",
        {"filterset": filterset, "table": table, "page": page},
    )


def _message(request, pk):
    message = selectors.messages_visible_to(request.user).filter(pk=pk).first()
    if message is None:
        raise Http404
    return message


@access("core.view_message", model=Message)
def message_detail(request, pk):
    message = _message(request, pk)
    selectors.with_shown_recipient([message], request.user)
    return render(
        request,
        "system/message_detail.html",
        {
            "message": message,
            "events": events_for(message),
            "can_retry": request.user.has_perm("core.change_message"),
        },
    )


@require_POST
@access("core.change_message", model=Message)
def message_retry(request, pk):
    message = _message(request, pk)
    try:
        messaging.retry_message(request.user, message)
    except StateConflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The message has been queued again."))
    return redirect("system:message_detail", pk=message.pk)
