"""API: sign-in with bearer tokens, sign-out, and who am I."""

from datetime import datetime

from django.contrib.auth import authenticate
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.security import HttpBearer

from courtyard.core.access import PUBLIC, SIGNED_IN, STAFF
from courtyard.core.api import ApiError, ErrorOut, api_access
from courtyard.core.audit import attach_actor
from courtyard.core.scoping import user_scope

from . import services, throttling
from .models import ApiToken, hash_token

router = Router(tags=["auth"])


class TokenAuth(HttpBearer):
    """Bearer tokens issued by ``auth/login``: stored hashed, expiring, revocable."""

    def authenticate(self, request, token):
        found = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_token(token), revoked_at__isnull=True)
            .first()
        )
        if found is None or not found.user.is_active:
            return None
        now = timezone.now()
        if found.expires_at <= now:
            raise ApiError(401, _("The token has expired; sign in again."), "token_expired")
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        request.api_token = found
        attach_actor(found.user)
        return found.user


class LoginIn(Schema):
    username: str
    password: str
    otp: str | None = None


class TokenOut(Schema):
    token: str
    expires_at: datetime


class ScopeOut(Schema):
    all_estates: bool
    estates: list[int]
    buildings: list[int]


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    kind: str
    department: str | None
    position: str
    roles: list[str]
    permissions: list[str]
    scope: ScopeOut


# Signing in is open to anyone, yet refuses: wrong credentials, a locked account or a
# password to change first, too many attempts, maintenance.
@router.post(
    "/auth/login",
    auth=None,
    response={200: TokenOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut, 503: ErrorOut},
)
@api_access(PUBLIC)
def login(request, payload: LoginIn):
    throttling.check_address(request, payload.username)
    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        raise ApiError(
            403,
            _("This account is locked after too many failed sign-ins. Try again later."),
            "account_locked",
        )
    if user is None:
        raise ApiError(401, _("Wrong username or password."), "invalid_credentials")
    refusal = services.sign_in_refusal(user)
    if refusal:
        raise ApiError(503, refusal, "maintenance")
    if services.needs_second_factor(user) and not services.verify_second_factor(
        request, user, payload.otp
    ):
        raise ApiError(401, _("A valid one-time code is required."), "otp_required")
    if user.must_change_password:
        raise ApiError(
            403,
            _("Change your initial password in the web application first."),
            "password_change_required",
        )
    token, raw = services.issue_api_token(request, user)
    return {"token": raw, "expires_at": token.expires_at}


@router.post("/auth/logout", response={204: None})
@api_access(SIGNED_IN)
def logout(request):
    services.revoke_api_token(request.api_token)
    return Status(204, None)


@router.get("/me", response=MeOut)
@api_access(STAFF)
def me(request):
    user = request.user
    scope = user_scope(user)
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.full_name,
        "kind": user.kind,
        "department": user.department.name if user.department_id else None,
        "position": user.position,
        "roles": sorted(user.groups.values_list("name", flat=True)),
        "permissions": sorted(user.get_all_permissions()),
        "scope": {
            "all_estates": scope.all_estates,
            "estates": sorted(scope.estate_ids),
            "buildings": sorted(scope.building_ids),
        },
    }
