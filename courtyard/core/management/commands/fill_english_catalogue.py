"""Make the English catalogue complete: English source strings translate to themselves."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Fill empty msgstr entries of the English catalogues with their msgid."

    def handle(self, *args, **options):
        for root in settings.LOCALE_PATHS:
            for po_path in Path(root).glob("en/LC_MESSAGES/*.po"):
                catalogue = polib.pofile(str(po_path))
                for entry in catalogue:
                    if entry.msgid_plural:
                        if not any(entry.msgstr_plural.values()):
                            entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
                    elif not entry.msgstr:
                        entry.msgstr = entry.msgid
                    if "fuzzy" in entry.flags:
                        entry.flags.remove("fuzzy")
                catalogue.save()
                self.stdout.write(f"filled {po_path}")
