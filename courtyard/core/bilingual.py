"""Reference data in both languages: seeded rows (roles, repair categories, charge items)
carry an English name beside their Chinese one and show the one of the reader's language.

The Chinese name stays the record's name (what is searched, sorted and unique); the English
one is shown to readers of English when it is set, so rows added without one read the same
in both languages.
"""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def in_language(name, name_en):
    """``name_en`` for a reader of English when there is one, else ``name``."""
    if name_en and (get_language() or "").startswith("en"):
        return name_en
    return name


class BilingualName(models.Model):
    """A record whose ``name`` (Chinese) has an English counterpart for English readers."""

    name_en = models.CharField(
        _("English name"),
        max_length=50,
        blank=True,
        help_text=_("Shown to users who read English; empty shows the name."),
    )

    class Meta:
        abstract = True

    def __str__(self):
        return self.shown_name

    @property
    def shown_name(self):
        return in_language(self.name, self.name_en)
