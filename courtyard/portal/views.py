"""Resident portal pages: sign-in (password, SMS code), activation, home, my home, messages,
profile. Phone-first; every page but sign-in is for resident accounts only."""

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courtyard.accounts import resident_accounts
from courtyard.accounts import services as account_services
from courtyard.accounts.views import form_status, safe_next
from courtyard.core.access import PUBLIC, RESIDENT, access
from courtyard.core.generic import apply_service_errors

from . import forms, selectors, services

CODE_PHONE = "portal_code_phone"
ACTIVATION_PHONE = "portal_activation_phone"


def portal_next(request):
    """Where to go after sign-in: a portal page asked for, else the portal home."""
    target = safe_next(request, "")
    return target if target.startswith("/portal/") else reverse("portal:home")


def page(request, template, context=None, status=200):
    """Render a portal page with what the top bar and the tab bar show."""
    user = request.user
    context = {
        "estate": selectors.my_estate(user),
        "unread_count": selectors.unread_count(user),
        **(context or {}),
    }
    return render(request, template, context, status=status)


# -- signing in ------------------------------------------------------------------------------


@access(PUBLIC)
def login_view(request):
    if request.user.is_authenticated and request.user.is_resident:
        return redirect(portal_next(request))
    form = forms.PortalLoginForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.get_user())
        return redirect(portal_next(request))
    staff_refused = any(e.code == "staff_account" for e in form.non_field_errors().as_data())
    context = {"form": form, "next": safe_next(request, ""), "staff_refused": staff_refused}
    return render(request, "portal/login.html", context, status=form_status(form))


@access(PUBLIC)
def login_code(request):
    """Sign in with a one-time SMS code: the number first, then the code."""
    phone = request.session.get(CODE_PHONE)
    if request.method == "POST" and "phone" in request.POST:
        phone_form = forms.PhoneForm(request.POST)
        if phone_form.is_valid():
            phone = resident_accounts.normalise_phone(phone_form.cleaned_data["phone"])
            try:
                resident_accounts.send_portal_sign_in_code(phone, request=request)
            except ValidationError as error:
                apply_service_errors(phone_form, error)
            else:
                request.session[CODE_PHONE] = phone
                messages.info(
                    request,
                    _(
                        "If this number has a resident account, a code has been sent to it. "
                        "A new code can be sent once a minute."
                    ),
                )
                return redirect("portal:login_code")
        context = {"phone_form": phone_form}
        return render(request, "portal/login_code.html", context, status=form_status(phone_form))
    if request.method == "GET" and "change" in request.GET:
        request.session.pop(CODE_PHONE, None)
        return redirect("portal:login_code")
    if not phone:
        return render(request, "portal/login_code.html", {"phone_form": forms.PhoneForm()})
    form = forms.CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            resident_accounts.sign_in_with_code(request, phone, form.cleaned_data["code"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            request.session.pop(CODE_PHONE, None)
            return redirect(portal_next(request))
    context = {"form": form, "phone": phone, "next": safe_next(request, "")}
    return render(request, "portal/login_code.html", context, status=form_status(form))


@access(PUBLIC)
def activate(request):
    """An invited resident sets a password with the activation code and is signed in."""
    initial = {"phone": request.GET.get("phone", "")}
    form = forms.ActivationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = resident_accounts.activate_resident_account(
                data["phone"], data["code"], data["new_password1"], request=request
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            login(request, user, backend=resident_accounts.BACKEND)
            messages.success(request, _("Your account is activated. Welcome!"))
            return redirect("portal:home")
    return render(request, "portal/activate.html", {"form": form}, status=form_status(form))


@require_POST
@access(PUBLIC)
def logout_view(request):
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("portal:login")


# -- pages -----------------------------------------------------------------------------------


@access(RESIDENT)
def home(request):
    homes = selectors.my_homes(request.user)
    context = {
        "homes": homes,
        "offices": selectors.office_contacts(homes),
        "documents": [doc for home in homes for doc in home.documents],
        "latest_messages": selectors.my_messages(request.user).filter(read_at__isnull=True)[:3],
    }
    return page(request, "portal/home.html", context)


@access(RESIDENT)
def my_home(request):
    homes = selectors.my_homes(request.user)
    return page(request, "portal/my_home.html", {"homes": homes})


@access(RESIDENT)
def inbox(request):
    """My app messages; opening one or pressing "mark all read" marks them read."""
    mine = selectors.my_messages(request.user)
    if request.method == "POST":
        unread = mine.filter(read_at__isnull=True)
        if request.POST.get("message"):
            unread = unread.filter(pk=request.POST["message"])
        unread.update(read_at=timezone.now())
        return redirect("portal:messages")
    return page(request, "portal/messages.html", {"items": mine[:100]})


@access(RESIDENT)
def profile(request):
    user = request.user
    resident = selectors.resident_of(user)
    initial = services.contact_details(user, resident)
    form = forms.ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_my_contact(user, resident, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Your contact details have been saved."))
            return redirect("portal:profile")
    context = {
        "form": form,
        "resident": resident,
        "full_name": resident.name if resident else user.full_name,
        "phone": user.phone or user.username,
    }
    return page(request, "portal/profile.html", context, status=form_status(form))


@access(RESIDENT)
def password(request):
    user = request.user
    form = forms.password_form(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            revoked = account_services.set_password(
                user, user, form.cleaned_data["new_password1"], must_change=False
            )
        except ValidationError as error:
            form.add_error("new_password1", error)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, account_services.password_changed_message(revoked))
            return redirect("portal:profile")
    return page(request, "portal/password.html", {"form": form}, status=form_status(form))
