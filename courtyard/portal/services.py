"""What a resident changes about themselves in the portal: their contact details.

Only the non-core fields of their own person record (email, emergency contact); name, phone,
ID number and units stay staff actions.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from courtyard.accounts import services as account_services
from courtyard.residents import services as resident_services

CONTACT_FIELDS = resident_services.SELF_SERVICE_FIELDS


def contact_details(user, resident):
    if resident is None:
        return {"email": user.email}
    return {name: getattr(resident, name) for name in CONTACT_FIELDS}


def update_my_contact(user, resident, *, email="", emergency_contact="", emergency_phone=""):
    """Save the signed-in resident's own email and emergency contact.

    Without a person record (an account staff has not linked yet) only the account's email
    is kept. The person record is changed by the residents module's own service.
    """
    if not user.is_resident or (resident is not None and resident.user_id != user.pk):
        raise PermissionDenied
    email = (email or "").strip()
    with transaction.atomic():
        if resident is not None:
            resident = resident_services.update_own_contact(
                user,
                resident,
                email=email,
                emergency_contact=emergency_contact,
                emergency_phone=emergency_phone,
            )
        elif email:
            try:
                validate_email(email)
            except ValidationError:
                raise ValidationError({"email": _("Enter a valid email address.")})
        account_services.update_profile(user, user, email=email)
    return resident
