"""API: staff accounts and roles (read-only; changes go through the administration pages)."""

from datetime import datetime

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from courtyard.core import privacy
from courtyard.core.api import Pagination, api_access, filtered
from courtyard.core.versions import set_etag

from .. import selectors
from ..filters import RoleFilterSet, UserFilterSet
from . import services as admin_services

router = Router(tags=["accounts"])


class UserOut(Schema):
    id: int
    username: str
    full_name: str
    department: int | None = Field(None, alias="department_id")
    department_name: str | None = None
    position: str
    phone: str
    email: str
    is_active: bool
    require_two_factor: bool
    roles: list[str] = []
    last_login: datetime | None

    @staticmethod
    def resolve_department_name(obj):
        return obj.department.name if obj.department_id else None

    resolve_phone = privacy.phone_resolver("phone")

    @staticmethod
    def resolve_roles(obj):
        return sorted(group.name for group in obj.groups.all())


class UserDetailOut(UserOut):
    must_change_password: bool
    locked: bool = False
    scope: str = ""

    @staticmethod
    def resolve_locked(obj):
        return selectors.is_locked(obj)

    @staticmethod
    def resolve_scope(obj):
        return str(admin_services.describe_scope(obj))


class RoleOut(Schema):
    id: int
    name: str
    description: str
    is_builtin: bool
    user_count: int = Field(0, alias="member_count")


class RoleDetailOut(RoleOut):
    permissions: list[str] = []

    @staticmethod
    def resolve_permissions(obj):
        permissions = obj.group.permissions.select_related("content_type").order_by(
            "content_type__app_label", "codename"
        )
        return [f"{p.content_type.app_label}.{p.codename}" for p in permissions]


@router.get("/users", response=list[UserOut])
@api_access("accounts.view_user")
@paginate(Pagination)
def list_users(
    request,
    department: int | None = None,
    role: int | None = None,
    is_active: bool | None = None,
    q: str | None = None,
):
    """Staff accounts; filters as on the users page (``q`` searches username, name, phone)."""
    return filtered(UserFilterSet, request, selectors.users_for(request.user))


@router.get("/users/{user_id}", response=UserDetailOut)
@api_access("accounts.view_user")
def get_user(request, user_id: int, response: HttpResponse):
    user = get_object_or_404(selectors.users_for(request.user), pk=user_id)
    return set_etag(response, user)


@router.get("/roles", response=list[RoleOut])
@api_access("accounts.view_role")
@paginate(Pagination)
def list_roles(request, q: str | None = None):
    return filtered(RoleFilterSet, request, selectors.roles_for(request.user)).order_by(
        "group__name"
    )


@router.get("/roles/{role_id}", response=RoleDetailOut)
@api_access("accounts.view_role")
def get_role(request, role_id: int):
    return get_object_or_404(selectors.roles_for(request.user), pk=role_id)
