"""Users, departments, roles, data scopes, API tokens and the security log."""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import SideChannelDevice

from courtyard.core.audit import AuditedMixin, register
from courtyard.core.bilingual import BilingualName
from courtyard.core.messaging import queue_message
from courtyard.core.models import BaseModel, ScopedQuerySet
from courtyard.core.scoping import Scope
from courtyard.core.versions import Versioned

from .choices import CodePurpose, ScopeKind, SecurityEventKind, UserKind


@register
class Department(BaseModel):
    """A department of the company (客服部, 工程部, 财务部 …)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=255, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("accounts:department_list")


SESSION_HASH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"


class UserQuerySet(ScopedQuerySet):
    def staff(self):
        return self.filter(kind=UserKind.STAFF)


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    pass


class User(Versioned, AuditedMixin, AbstractUser):
    """A person who signs in: a staff member (by username) or a resident (portal, by phone)."""

    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    kind = models.CharField(
        _("account type"), max_length=16, choices=UserKind.choices, default=UserKind.STAFF
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    position = models.CharField(_("position"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    must_change_password = models.BooleanField(_("must change password"), default=True)
    require_two_factor = models.BooleanField(_("second factor required"), default=False)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)
    # Renewed to sign the user out everywhere (see get_session_auth_hash).
    session_stamp = models.CharField(max_length=16, blank=True, editable=False)

    objects = UserManager()

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            ("unlock_user", _("Can unlock accounts")),
            ("reset_password_user", _("Can reset passwords")),
        ]

    def __str__(self):
        return self.full_name or self.username

    def get_absolute_url(self):
        return reverse("accounts:user_detail", args=[self.pk])

    def get_session_auth_hash(self):
        """Django's hash of the password, plus the session stamp: a session signed in before
        the password or the stamp last changed no longer matches and is signed out."""
        return self._session_auth_hash()

    def get_session_auth_fallback_hash(self):
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_auth_hash(secret)

    def _session_auth_hash(self, secret=None):
        # Without a stamp this is exactly Django's hash, so existing sessions stay valid.
        value = f"{self.password}:{self.session_stamp}" if self.session_stamp else self.password
        return salted_hmac(SESSION_HASH_SALT, value, secret=secret, algorithm="sha256").hexdigest()

    @property
    def is_resident(self):
        return self.kind == UserKind.RESIDENT

    @property
    def display_name(self):
        return self.full_name or self.username

    def get_scope(self):
        """The union of this user's scope grants (see core.scoping)."""
        all_estates = False
        estates, buildings = set(), set()
        now = timezone.now()
        grants = self.scope_grants.filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        ).prefetch_related("estates", "buildings")
        for grant in grants:
            if grant.kind == ScopeKind.ALL:
                all_estates = True
            estates.update(e.pk for e in grant.estates.all())
            buildings.update(b.pk for b in grant.buildings.all())
        return Scope(all_estates, frozenset(estates), frozenset(buildings))


# Users are audited too, but never their password hash.
register(User, exclude_fields=["password", "last_login", "updated_at", "version"])


class Role(BilingualName, BaseModel):
    """A named set of function permissions: a Django group with a description."""

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="role")
    description = models.CharField(_("description"), max_length=255, blank=True)
    is_builtin = models.BooleanField(_("built in"), default=False)

    class Meta:
        ordering = ["group__name"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    @property
    def name(self):
        return self.group.name

    def get_absolute_url(self):
        return reverse("accounts:role_detail", args=[self.pk])


register(Role)


@register
class ScopeGrant(BaseModel):
    """Which estates or buildings a user's data is limited to; several grants add up.

    A grant with ``expires_at`` is temporary access and lapses by itself.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="scope_grants")
    kind = models.CharField(_("scope"), max_length=16, choices=ScopeKind.choices)
    estates = models.ManyToManyField("estates.Estate", blank=True, verbose_name=_("estates"))
    buildings = models.ManyToManyField("estates.Building", blank=True, verbose_name=_("buildings"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    scope_exempt = "The data scope itself: administered with its user, within the administrator's."

    class Meta:
        verbose_name = _("data scope")
        verbose_name_plural = _("data scopes")

    def __str__(self):
        return f"{self.user}: {self.get_kind_display()}"


def hash_token(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the API; only its hash is stored, and it expires."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def issue(cls, user):
        raw = secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            key_hash=hash_token(raw),
            prefix=raw[:8],
            expires_at=timezone.now() + settings.API_TOKEN_TTL,
        )
        return token, raw


class SecurityEvent(models.Model):
    """One sign-in, failure, lockout, password change … for the audit log."""

    kind = models.CharField(_("event"), max_length=32, choices=SecurityEventKind.choices)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="security_events"
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    actor = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, blank=True)
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        default_permissions = ("view",)  # written only by the system itself

    def __str__(self):
        return f"{self.get_kind_display()}: {self.username}"


class OneTimeCode(models.Model):
    """A short code sent through the outbox (password reset); stored hashed, single use."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="one_time_codes")
    purpose = models.CharField(max_length=32, choices=CodePurpose.choices)
    code_hash = models.CharField(max_length=64)
    channel = models.CharField(max_length=16)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.purpose} code for {self.user}"


class MessageDevice(SideChannelDevice):
    """Second factor by a code sent as SMS or email through the message outbox."""

    channel = models.CharField(_("channel"), max_length=16)  # "sms" or "email"

    class Meta(SideChannelDevice.Meta):
        verbose_name = _("SMS / email code device")
        verbose_name_plural = _("SMS / email code devices")

    def generate_challenge(self):
        """A fresh code for ten minutes, queued through the outbox (as django-otp's own
        devices send theirs)."""
        minutes = 10
        self.generate_token(valid_secs=60 * minutes)
        body = _("Your Courtyard sign-in code is %(code)s. It is valid for %(minutes)d minutes.")
        queue_message(
            self.channel,
            self.user.phone if self.channel == "sms" else self.user.email,
            body % {"code": self.token, "minutes": minutes},
            user=self.user,
            subject=_("Sign-in code"),
            purpose="sign_in_code",
        )
        return str(_("A code has been sent."))
