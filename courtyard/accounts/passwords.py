"""The password policy: at least 8 characters with letters, digits and a special character."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

MIN_LENGTH = 8
POLICY_HELP = gettext_lazy(
    "At least 8 characters, with letters, digits and a special character (such as # or @)."
)

# Django's UserAttributeSimilarityValidator says this; listed so that the project's catalogue,
# which comes first, holds it: Django's Chinese has spaces around the name (密码跟 用户名 太相似了).
gettext_noop("The password is too similar to the %(verbose_name)s.")


class CourtyardPasswordValidator:
    def validate(self, password, user=None):
        problems = []
        if len(password) < MIN_LENGTH:
            problems.append(_("at least %(n)d characters") % {"n": MIN_LENGTH})
        if not re.search(r"[A-Za-z]", password):
            problems.append(_("a letter"))
        if not re.search(r"\d", password):
            problems.append(_("a digit"))
        if not re.search(r"[^A-Za-z0-9]", password):
            problems.append(_("a special character such as # or @"))
        if problems:
            raise ValidationError(
                _("The password must contain %(missing)s.") % {"missing": _(", ").join(problems)},
                code="password_policy",
            )

    def get_help_text(self):
        return str(POLICY_HELP)


def check_differs_from_current(user, password):
    """A user changing their own password must choose a new one."""
    if user is not None and user.pk and user.check_password(password):
        raise ValidationError(
            _("The new password must be different from the current one."),
            code="password_unchanged",
        )
