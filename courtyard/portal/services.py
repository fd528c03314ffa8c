"""What a resident changes about themselves in the portal: their contact details.

Only the non-core fields of their own person record (email, emergency contact); name, phone,
ID number and units stay staff actions.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from courtyard.accounts import services as account_services
from courtyard.core.timeline import record_event
from courtyard.residents.validators import normalise_phone, validate_phone

CONTACT_FIELDS = ("email", "emergency_contact", "emergency_phone")


def contact_details(user, resident):
    if resident is None:
        return {"email": user.email}
    return {name: getattr(resident, name) for name in CONTACT_FIELDS}


def update_my_contact(user, resident, *, email="", emergency_contact="", emergency_phone=""):
    """Save the signed-in resident's own email and emergency contact.

    Without a person record (an account staff has not linked yet) only the account's email
    is kept.
    """
    if not user.is_resident or (resident is not None and resident.user_id != user.pk):
        raise PermissionDenied
    values = {
        "email": (email or "").strip(),
        "emergency_contact": (emergency_contact or "").strip(),
        "emergency_phone": normalise_phone(emergency_phone),
    }
    errors = {}
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            errors["email"] = _("Enter a valid email address.")
    if values["emergency_phone"]:
        try:
            validate_phone(values["emergency_phone"])
        except ValidationError as error:
            errors["emergency_phone"] = error.messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        account_services.update_profile(user, user, email=values["email"])
        if resident is None:
            return None
        changed = {
            name: value for name, value in values.items() if getattr(resident, name) != value
        }
        if changed:
            for name, value in changed.items():
                setattr(resident, name, value)
            resident.save(update_fields=list(changed))
            record_event(
                resident,
                user,
                "contact_updated",
                _("Contact details changed by the resident in the portal"),
                fields=sorted(changed),
            )
    return resident
