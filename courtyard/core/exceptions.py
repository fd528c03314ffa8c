"""Errors that services raise; views and the API turn them into 400/403/404/409 answers."""

from django.core.exceptions import PermissionDenied, ValidationError  # noqa: F401  (re-exported)
from django.utils.translation import gettext_lazy as _


class Refused(PermissionDenied):
    """A refusal that says why, with a code a client can act on (HTTP 403)."""

    def __init__(self, message, code="permission_denied"):
        self.message, self.code = message, code
        super().__init__(str(message))


class StateConflict(Exception):
    """The action is not allowed from the record's current state (HTTP 409)."""

    code = "state_conflict"

    def __init__(self, message=None, code=None):
        self.message = message or _("This action is not allowed in the record's current state.")
        if code:
            self.code = code
        super().__init__(str(self.message))


class InUse(StateConflict):
    """The record cannot be deleted because other records refer to it (HTTP 409)."""

    code = "in_use"


class ChangedMeanwhile(StateConflict):
    """Someone changed the record between reading and saving it: a lost race (HTTP 409)."""

    code = "changed_meanwhile"

    def __init__(self, message=None):
        super().__init__(message or _("Someone changed this meanwhile; reload and try again."))
