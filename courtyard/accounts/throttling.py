"""How often anyone may try to get in: sign-in failures, one-time codes, known devices.

Every way in — the staff sign-in page, the portal's password and SMS-code sign-in, portal
activation, the second factor, forgotten-password codes and the API's ``auth/login`` — goes
through the limits below, counted in the shared cache (``core.ratelimit``) and in django-axes:

- **Per sign-in name** (as typed, so an unknown name answers exactly like a real one):
  5 failures lock the name for 30 minutes (django-axes, ``AXES_*`` settings; an administrator
  unlocks at once). A wrong one-time code is a failure like a wrong password, and a locked
  name can neither sign in nor ask for or use a code.
- **Per client address** (``REMOTE_ADDR``; behind a proxy the deployer sets it): 20 failures
  an hour across every name; then every sign-in and code from that address waits, so one
  address cannot lock out more than a handful of accounts.
- **One-time codes**: per name 5 an hour and 10 a day (across reset, SMS sign-in and second
  factor, as SMS providers count per number), per address 20 an hour and 50 a day, besides
  one a minute per account. Invitations, which staff send, are not limited.

**Known devices** keep administrators in while an attacker keeps their name locked. This is
OWASP's "device cookie" defence against lockout abuse: a successful sign-in leaves a cookie,
signed with the server's key, holding a random device id and the (hashed) names signed in
from it. A request that carries such a cookie for the name it tries is a known device: the
name's lockout and the address limits do not apply to it (an office behind one address is
not held back by a stranger on it), and its failures count against that device alone,
5 per 30 minutes, after which the cookie no longer helps and the device is an ordinary
client. An attacker without the cookie can keep the name locked for every other browser,
but not for the browsers its holder has signed in from, and gains no extra guesses: each
device has the lockout's own rate. An unlock link sent by email or SMS was the other choice;
it was not taken because the attacker re-locks the name five guesses after each use, it
depends on the message arriving, and a leaked link opens the account to anyone. An
administrator on a new browser while the name is held locked is unlocked by another
administrator (or ``manage.py axes_reset_username``).
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core import signing
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courtyard.core import ratelimit
from courtyard.core.ratelimit import Limit, RateLimited

from . import security
from .choices import SecurityEventKind

HOUR, DAY = timedelta(hours=1), timedelta(days=1)

CODES_PER_NAME = (Limit("codes.name.hour", 5, HOUR), Limit("codes.name.day", 10, DAY))
CODES_PER_ADDRESS = (Limit("codes.address.hour", 20, HOUR), Limit("codes.address.day", 50, DAY))
FAILURES_PER_ADDRESS = Limit("failures.address", 20, HOUR)
FAILURES_PER_DEVICE = Limit(
    "failures.device", settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME
)

DEVICE_COOKIE = "courtyard_device"
DEVICE_COOKIE_AGE = 180 * DAY
DEVICE_SALT = "courtyard.accounts.known_device"
# A shared front-desk computer remembers this many accounts, the latest first.
DEVICE_NAMES = 5
# Set on the request by a successful sign-in; the middleware writes the cookie.
SIGNED_IN_NAMES = "courtyard_signed_in_names"


class AccountLocked(RateLimited):
    """A sign-in name locked after too many failures (answered 403, as axes does)."""

    status = 403

    def __init__(self, minutes):
        super().__init__(lockout_message(minutes), minutes * 60, code="account_locked")


def lockout_message(minutes):
    return ngettext(
        "This account is locked after too many failed sign-ins. "
        "Try again in %(minutes)d minute, or ask an administrator to unlock it.",
        "This account is locked after too many failed sign-ins. "
        "Try again in %(minutes)d minutes, or ask an administrator to unlock it.",
        minutes,
    ) % {"minutes": minutes}


# -- known devices -------------------------------------------------------------------------


def _name_digest(name):
    return salted_hmac(DEVICE_SALT, str(name), algorithm="sha256").hexdigest()[:16]


def _device_cookie(request):
    """``(device id, name digests)`` from the request's device cookie; ``(None, [])`` when it
    is missing, forged or expired."""
    raw = request.COOKIES.get(DEVICE_COOKIE) if request is not None else None
    if not raw:
        return None, []
    try:
        data = signing.loads(raw, salt=DEVICE_SALT, max_age=DEVICE_COOKIE_AGE)
    except signing.BadSignature:
        return None, []
    return data.get("device"), data.get("names", [])


def known_device(request, name):
    """The device id when ``request`` comes from a device that signed in as ``name`` before and
    has not used up its own failures; else None."""
    device, names = _device_cookie(request)
    if device is None or not name or _name_digest(name) not in names:
        return None
    if ratelimit.retry_after(FAILURES_PER_DEVICE, device):
        return None
    return device


def is_known_device(request, credentials=None):
    """Axes' whitelist (``AXES_WHITELIST_CALLABLE``): a known device is not held by the name's
    lockout, and its failures are not counted against the name."""
    return known_device(request, (credentials or {}).get("username")) is not None


def remember_sign_in(request, user):
    """Mark the request's device as known for ``user``; the response carries the cookie."""
    names = [user.get_username()]
    if user.is_resident and user.phone and user.phone not in names:
        names.append(user.phone)  # residents sign in with their phone
    setattr(request, SIGNED_IN_NAMES, names)


def set_device_cookie(request, response):
    """Write the device cookie after a successful sign-in (called by the middleware)."""
    names = getattr(request, SIGNED_IN_NAMES, None)
    if not names:
        return
    device, known = _device_cookie(request)
    digests = [_name_digest(name) for name in names]
    value = {
        "device": device or secrets.token_urlsafe(16),
        "names": (digests + [d for d in known if d not in digests])[:DEVICE_NAMES],
    }
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps(value, salt=DEVICE_SALT),
        max_age=DEVICE_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


# -- attempts ------------------------------------------------------------------------------


def check_address(request, name):
    """Refuse an attempt from an address with too many recent failures (a known device for
    ``name`` is not held back)."""
    if known_device(request, name):
        return
    wait = ratelimit.retry_after(FAILURES_PER_ADDRESS, security.client_ip(request))
    if wait:
        raise RateLimited(
            _("Too many failed attempts from your network address; try again in %(wait)s.")
            % {"wait": ratelimit.wait_text(wait)},
            wait,
        )


def check_attempt(request, name):
    """Before a code is checked: refuse it from a limited address or for a locked name."""
    check_address(request, name)
    if known_device(request, name):
        return
    minutes = security.lockout_minutes_left(name)
    if minutes:
        raise AccountLocked(minutes)


def record_failure(request, name):
    """Count a failed sign-in or code: against the known device it came from, else against
    the client address (axes counts it against the name)."""
    device = known_device(request, name)
    if device:
        ratelimit.hit(FAILURES_PER_DEVICE, device)
    else:
        ratelimit.hit(FAILURES_PER_ADDRESS, security.client_ip(request))


def code_failed(request, name, *, user=None, kind=SecurityEventKind.LOGIN_FAILED, detail=""):
    """A wrong one-time code is a failed sign-in of ``name``: it counts towards the name's
    lockout and the address's (or device's) limit, and is logged. Raises when this failure
    used up a limit, so that the answer says so at once."""
    if request is None:  # a call from the shell or a test: nothing to count against
        security.record_security_event(kind, user=user, username=name, detail=detail)
        return
    user_login_failed.send(
        sender=__name__,
        credentials={"username": name},
        request=request,
        user=user,
        kind=kind,
        detail=detail,
    )
    # Axes flags the request it has just locked; this answer comes from the caller's page.
    request.axes_locked_out = False
    check_attempt(request, name)


def count_code_request(request, name):
    """Count a request for a one-time code sent to ``name``, or refuse it (RateLimited) when
    the name or the address has asked for too many, or the name is locked.

    Counted for the name as typed, whether or not it has an account: the answer must not
    tell which names exist.
    """
    check_attempt(request, name)
    pairs = [(limit, name) for limit in CODES_PER_NAME]
    if not known_device(request, name):
        pairs += [(limit, security.client_ip(request)) for limit in CODES_PER_ADDRESS]
    ratelimit.consume(pairs, _("Too many codes requested; try again in %(wait)s."))
