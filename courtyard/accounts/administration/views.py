"""Pages of the account administration: users, roles (with the permission matrix), departments.

Lists, details and simple edits are declarations on the generic views; the actions on a user
(roles, scope, password, unlock, deactivate) are short views that call one service each.
"""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courtyard.core import versions
from courtyard.core.access import access
from courtyard.core.exceptions import StateConflict
from courtyard.core.generic import (
    CompanyWideFormMixin,
    CompanyWideMixin,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectListView,
    apply_service_errors,
)
from courtyard.core.scoping import get_for_action
from courtyard.core.timeline import events_for

from .. import roles as role_defs
from .. import selectors
from ..filters import DepartmentFilterSet, RoleFilterSet, UserFilterSet
from ..models import Department, Role, User
from ..tables import DepartmentTable, RoleTable, UserTable
from . import services as admin_services
from .forms import (
    DepartmentForm,
    PasswordResetForm,
    RoleForm,
    RolePermissionsForm,
    UserCreateForm,
    UserEditForm,
    UserRolesForm,
    UserScopeForm,
)

STAFF_USERS = User.objects.staff().select_related("department")
ROLES = Role.objects.select_related("group")


# -- users ----------------------------------------------------------------------------------
class UserListView(ObjectListView):
    queryset = STAFF_USERS.prefetch_related("groups__role")
    filterset_class = UserFilterSet
    table_class = UserTable


class UserDetailView(ObjectDetailView):
    queryset = STAFF_USERS
    template_name = "accounts/user_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = context["object"]
        viewer = self.request.user
        refusal = admin_services.administration_refusal(viewer, user)
        context.update(
            {
                "roles": selectors.roles_of(user),
                "grants": selectors.permanent_grants(user),
                "temporary_grants": selectors.temporary_grants(user),
                "security_events": selectors.security_events_of(user),
                "events": events_for(user)[:50],
                "locked": selectors.is_locked(user),
                "can_unlock": viewer.has_perm("accounts.unlock_user"),
                "can_reset_password": viewer.has_perm("accounts.reset_password_user"),
                "administration_refusal": refusal,
                "may_administer": refusal is None,
                "is_self": user.pk == viewer.pk,
            }
        )
        return context


class UserHistoryView(ObjectHistoryView):
    queryset = STAFF_USERS


class UserEditView(ObjectEditView):
    queryset = User.objects.staff()
    template_name = "accounts/user_form.html"
    create_service = admin_services.create_user
    update_service = admin_services.update_user

    def get_object(self):
        user = super().get_object()
        if user is not None:
            admin_services.check_may_administer(self.request.user, user)
        return user

    def get_form(self, obj, data=None, files=None):
        form_class = UserEditForm if obj is not None else UserCreateForm
        form = form_class(data, files, instance=obj, user=self.request.user)
        return versions.add_version_field(form, obj)


def _posted(request):
    # Not ``request.POST or None``: a POST that unticks every role is empty, and still a POST.
    return request.POST if request.method == "POST" else None


def _user_form_page(request, user, form, title, intro, status=200):
    context = {"object": user, "form": form, "title": title, "intro": intro}
    return render(request, "accounts/user_action_form.html", context, status=status)


@access("accounts.change_user", model=User)
def user_roles(request, pk):
    user = admin_services.user_to_administer(request.user, pk, "change")
    form = UserRolesForm(_posted(request), initial={"roles": selectors.roles_of(user)})
    if request.method == "POST" and form.is_valid():
        try:
            admin_services.set_user_roles(request.user, user, form.cleaned_data["roles"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Roles saved."))
            return redirect(user.get_absolute_url())
    title = _("Roles of %(user)s") % {"user": user}
    intro = _("A user holds the function permissions of every role ticked here.")
    return _user_form_page(request, user, form, title, intro, 400 if form.errors else 200)


@access("accounts.change_user", model=User)
def user_scope(request, pk):
    user = admin_services.user_to_administer(request.user, pk, "change")
    form = UserScopeForm(
        _posted(request), actor=request.user, initial=UserScopeForm.initial_for(user)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            admin_services.set_user_scope(
                request.user, user, data["kind"], data["estates"], data["buildings"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except StateConflict as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Data scope saved."))
            return redirect(user.get_absolute_url())
    context = {"object": user, "form": form, "temporary_grants": selectors.temporary_grants(user)}
    status = 400 if form.errors else 200
    return render(request, "accounts/user_scope.html", context, status=status)


@access("accounts.reset_password_user", model=User)
def user_password(request, pk):
    user = admin_services.user_to_administer(request.user, pk, "reset_password")
    form = PasswordResetForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            admin_services.reset_password(request.user, user, form.cleaned_data["password"])
        except ValidationError as error:
            apply_service_errors(form, error)
        except StateConflict as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Password set. %(user)s must change it at the next sign-in.") % {"user": user},
            )
            return redirect(user.get_absolute_url())
    title = _("Reset the password of %(user)s") % {"user": user}
    intro = _(
        "Give the user this initial password in person; they must change it at the next "
        "sign-in. Their API tokens are revoked."
    )
    return _user_form_page(request, user, form, title, intro, 400 if form.errors else 200)


def _user_action(request, pk, action, service, done):
    user = admin_services.user_to_administer(request.user, pk, action)
    try:
        service(request.user, user)
    except StateConflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect(user.get_absolute_url())


@access("accounts.unlock_user", model=User)
@require_POST
def user_unlock(request, pk):
    return _user_action(request, pk, "unlock", admin_services.unlock_user, _("Account unlocked."))


@access("accounts.change_user", model=User)
@require_POST
def user_deactivate(request, pk):
    return _user_action(
        request, pk, "change", admin_services.deactivate_user, _("Account deactivated.")
    )


@access("accounts.change_user", model=User)
@require_POST
def user_activate(request, pk):
    return _user_action(
        request, pk, "change", admin_services.activate_user, _("Account activated.")
    )


@access("accounts.change_user", model=User)
@require_POST
def user_sign_out(request, pk):
    user = admin_services.user_to_administer(request.user, pk, "change")
    revoked = admin_services.sign_out_everywhere(request.user, user)
    if user.pk == request.user.pk:
        # Signing oneself out everywhere else keeps this browser signed in.
        update_session_auth_hash(request, user)
    messages.success(
        request,
        _("%(user)s is signed out everywhere; %(count)d API token(s) revoked.")
        % {"user": user, "count": revoked},
    )
    return redirect(user.get_absolute_url())


# -- roles ----------------------------------------------------------------------------------
class RoleListView(CompanyWideMixin, ObjectListView):
    queryset = ROLES.annotate(member_count=Count("group__user", distinct=True))
    filterset_class = RoleFilterSet
    table_class = RoleTable


class RoleDetailView(CompanyWideMixin, ObjectDetailView):
    queryset = ROLES
    template_name = "accounts/role_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        role = context["object"]
        granted = set(role.group.permissions.values_list("pk", flat=True))
        context.update(
            {
                "matrix": role_defs.permission_matrix(),
                "granted": granted,
                "actions": list(role_defs.ACTION_LABELS.items()),
                "members": User.objects.filter(groups=role.group).order_by("username")[:100],
                "member_count": role.group.user_set.count(),
                "events": events_for(role)[:20],
            }
        )
        return context


class RoleHistoryView(ObjectHistoryView):
    queryset = ROLES


class RoleEditView(CompanyWideFormMixin, ObjectEditView):
    queryset = ROLES
    form_class = RoleForm
    create_service = admin_services.create_role
    update_service = admin_services.update_role


class RoleDeleteView(CompanyWideFormMixin, ObjectDeleteView):
    queryset = ROLES
    delete_service = admin_services.delete_role


@access("accounts.change_role", model=Role)
@require_POST
def role_permissions(request, pk):
    role = get_for_action(ROLES, request.user, "change", pk=pk)
    form = RolePermissionsForm(request.POST, matrix=role_defs.permission_matrix())
    if not form.is_valid():
        messages.error(request, _("Choose permissions from the matrix only."))
        return redirect(role.get_absolute_url())
    try:
        admin_services.set_role_permissions(request.user, role, form.cleaned_data["permissions"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Permissions saved."))
    return redirect(role.get_absolute_url())


# -- departments ----------------------------------------------------------------------------
class DepartmentListView(ObjectListView):
    queryset = Department.objects.annotate(member_count=Count("members", distinct=True))
    filterset_class = DepartmentFilterSet
    table_class = DepartmentTable


class DepartmentEditView(ObjectEditView):
    queryset = Department.objects.all()
    template_name = "accounts/department_form.html"
    form_class = DepartmentForm
    create_service = admin_services.create_department
    update_service = admin_services.update_department


class DepartmentDeleteView(ObjectDeleteView):
    queryset = Department.objects.all()
    delete_service = admin_services.delete_department
