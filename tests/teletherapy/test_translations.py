"""French and English are both complete: every UI string is extracted and translated."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
from django.conf import settings

SOURCES = [
    "manage.py",
    "teletherapy",
    "accounts",
    "matching",
    "messaging",
    "scheduling",
    "sessions_video",
    "templates",
    "locale",
]
PO = Path(settings.BASE_DIR, "locale", "fr", "LC_MESSAGES", "django.po")


def msgids(po: polib.POFile) -> set[str]:
    return {entry.msgid for entry in po if not entry.obsolete}


def test_every_french_entry_is_translated():
    po = polib.pofile(str(PO))

    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    assert po.percent_translated() == 100


def test_placeholders_survive_translation():
    for entry in polib.pofile(str(PO)):
        pairs = [(entry.msgid, entry.msgstr)]
        if entry.msgid_plural:  # French form 0 is the singular, form 1 the plural
            forms = entry.msgstr_plural
            pairs = [(entry.msgid, forms[0]), (entry.msgid_plural, forms[1])]
        for source, translation in pairs:
            for placeholder in ("%(", "<a ", "</a>", "<strong>", "<time"):
                assert source.count(placeholder) == translation.count(placeholder), source


def test_the_catalogue_holds_every_string_the_code_marks(tmp_path):
    """Extract the strings afresh from a copy of the sources and compare."""
    for name in SOURCES:
        source = Path(settings.BASE_DIR, name)
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)

    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "fr", "--no-obsolete"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )

    fresh = polib.pofile(str(tmp_path / "locale" / "fr" / "LC_MESSAGES" / "django.po"))
    committed = polib.pofile(str(PO))
    assert msgids(fresh) - msgids(committed) == set(), "run `make messages` and translate"
    assert msgids(committed) - msgids(fresh) == set(), "run `make messages` to drop old strings"
