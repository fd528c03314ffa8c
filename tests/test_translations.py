"""The English and Simplified Chinese catalogues are complete: every string the code and the
templates mark for translation has a translation, none is fuzzy."""

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "courtyard" / "locale"
IGNORE = [".venv/*", "node_modules/*", "var/*", "courtyard/static/vendor/*", "bench/*", "tests/*"]


def incomplete(po_path):
    catalogue = polib.pofile(str(po_path))
    missing = [e.msgid for e in catalogue.untranslated_entries() if not e.obsolete]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    return missing, fuzzy


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_committed_catalogue_is_complete(language, domain):
    po_path = LOCALE / language / "LC_MESSAGES" / f"{domain}.po"
    if domain == "djangojs" and not po_path.exists():
        pytest.skip("no JavaScript strings")
    missing, fuzzy = incomplete(po_path)
    assert missing == [], f"{len(missing)} untranslated in {po_path.name}: {missing[:20]}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy in {po_path.name}: {fuzzy[:20]}"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_catalogues_cover_every_marked_string(tmp_path, settings, monkeypatch):
    """Re-extract the strings into a copy of the sources and catalogues: nothing new may appear.

    A copy of the package, not only of the catalogues: makemessages writes into the ``locale``
    folder it finds beside the sources, which would be the committed one.
    """
    package = tmp_path / "courtyard"
    shutil.copytree(
        ROOT / "courtyard",
        package,
        ignore=shutil.ignore_patterns("*.mo", "vendor", "__pycache__", "node_modules"),
    )
    settings.LOCALE_PATHS = [package / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command(
        "makemessages", locale=["zh_Hans"], ignore_patterns=IGNORE, verbosity=0, no_obsolete=True
    )
    missing, fuzzy = incomplete(package / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    assert missing == [], f"{len(missing)} strings lack a Chinese translation: {missing[:30]}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy Chinese translations: {fuzzy[:30]}"


PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_translations_keep_the_placeholders(language):
    """A translation that drops, renames or adds a %(name)s field breaks formatting at run time."""
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    broken = []
    for entry in catalogue:
        expected = {tuple(sorted(PLACEHOLDER.findall(entry.msgid)))}
        if entry.msgid_plural:
            expected.add(tuple(sorted(PLACEHOLDER.findall(entry.msgid_plural))))
            translations = entry.msgstr_plural.values()
        else:
            translations = [entry.msgstr]
        broken += [
            (entry.msgid, text)
            for text in translations
            if text and tuple(sorted(PLACEHOLDER.findall(text))) not in expected
        ]
    assert broken == []
