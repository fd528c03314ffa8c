"""Make the English catalogue complete: English source strings translate to themselves.

Every entry is rewritten, not only the empty ones: makemessages pre-fills a new string with
the translation of a similar old one (marked fuzzy), which for English would be wrong text."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Set every msgstr of the English catalogues to its msgid."

    def handle(self, *args, **options):
        for root in settings.LOCALE_PATHS:
            for po_path in Path(root).glob("en/LC_MESSAGES/*.po"):
                catalogue = polib.pofile(str(po_path))
                for entry in catalogue:
                    if entry.msgid_plural:
                        entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
                    else:
                        entry.msgstr = entry.msgid
                    entry.previous_msgid = entry.previous_msgid_plural = None
                    entry.previous_msgctxt = None
                    if "fuzzy" in entry.flags:
                        entry.flags.remove("fuzzy")
                catalogue.save()
                self.stdout.write(f"filled {po_path}")
