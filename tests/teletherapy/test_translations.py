"""French and English are both complete: every UI string is extracted and translated."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
from django.conf import settings

SOURCES = [
    "manage.py",
    "core",
    "teletherapy",
    "accounts",
    "audit",
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


# --- French typography ----------------------------------------------------------------------

NO_BREAK = "\u00a0\u202f"  # the no-break space and the narrow one
# What is not prose: HTML tags, entities, addresses, placeholders, times such as 10:00.
NOT_PROSE = re.compile(r"<[^>]*>|&#?\w+;|\w+://\S+|%\([^)]*\)[sd]|\{[^}]*\}|\d:\d")


def typography_faults(text: str) -> list[str]:
    """Where French typography wants a no-break space and ``text`` has none: before : ; ? !
    (after another of them is fine, as in "?!"), after « and before »."""
    prose = NOT_PROSE.sub(lambda found: "x" * len(found.group()), text)
    faults = []
    for index, char in enumerate(prose):
        before = prose[index - 1] if index else ""
        after = prose[index + 1] if index + 1 < len(prose) else ""
        if char in ":;?!" and index and before not in NO_BREAK and before not in ":;?!":
            faults.append(f"{text[max(0, index - 12) : index + 1]!r}")
        elif char == "«" and after not in NO_BREAK:
            faults.append(f"{text[index : index + 12]!r}")
        elif char == "»" and before not in NO_BREAK:
            faults.append(f"{text[max(0, index - 12) : index + 1]!r}")
    return faults


def french_texts(po: polib.POFile):
    for entry in po:
        if entry.obsolete:
            continue
        yield from entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]


def test_the_typography_check_knows_french_from_code():
    assert typography_faults("Approuvée :") == ["'Approuvée :'"]
    assert typography_faults("PHQ-9: Légère") == ["'PHQ-9:'"]
    assert typography_faults("Vraiment ?") != []
    assert typography_faults("«Bonjour»") != []
    for right in (
        "Approuvée\u00a0:",
        "Vraiment\u202f?!",
        "«\u00a0Bonjour\u00a0»",
        'À 10:00, <a href="https://example.org/?a=1;b">ici</a>',
        "%(name)s\u00a0: &nbsp;ok",
    ):
        assert typography_faults(right) == [], right


def test_french_puts_a_no_break_space_before_double_punctuation():
    faults = {
        text: found
        for text in french_texts(polib.pofile(str(PO)))
        if (found := typography_faults(text))
    }

    assert faults == {}
