"""Sign-in, sign-out and password pages."""

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courtyard.core.access import PUBLIC, STAFF, access

from . import forms, services


def safe_next(request, default="/"):
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


@access(PUBLIC)
def login_view(request):
    if request.user.is_authenticated:
        return redirect(safe_next(request))
    form = forms.LoginForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.get_user())
        return redirect(safe_next(request))
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": safe_next(request, "")},
        status=400 if form.errors else 200,
    )


def lockout_response(request, credentials, *args, **kwargs):
    """What axes answers for a locked username: the sign-in page with the lock and its length."""
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        return JsonResponse(
            {
                "detail": _(
                    "This account is locked after too many failed sign-ins. Try again later."
                ),
                "code": "account_locked",
            },
            status=403,
        )
    form = forms.LoginForm(
        request, None, initial={"username": (credentials or {}).get("username", "")}
    )
    return render(request, "accounts/login.html", {"form": form, "locked": True}, status=403)


@require_POST
@access(PUBLIC)
def logout_view(request):
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("accounts:login")


@access(STAFF)
def password_change(request):
    form = forms.PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.set_password(
            request.user, request.user, form.cleaned_data["new_password1"], must_change=False
        )
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password has been changed."))
        return redirect("core:home")
    return render(
        request, "accounts/password_change.html", {"form": form}, status=400 if form.errors else 200
    )
