"""Every user-facing string has a German translation; the catalogues compile."""

from pathlib import Path

import pytest
from django.core.management import call_command

LOCALE = Path(__file__).resolve().parents[2] / "frontend" / "locale"


def entries(po_file: Path):
    """Yield (msgid, msgstr, fuzzy) from a .po file (no extra library needed). For a plural
    entry msgstr is empty unless every form is translated."""
    msgid = None
    forms: list[str] = []
    fuzzy = False
    field = None
    for line in [*po_file.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("msgid "):
            msgid, forms, field = line[7:-1], [], "id"
        elif line.startswith("msgid_plural "):
            field = "plural"
        elif line.startswith(("msgstr ", "msgstr[")):
            forms.append(line[line.index('"') + 1 : -1])
            field = "str"
        elif line.startswith('"') and field:
            if field == "id":
                msgid += line[1:-1]
            elif field == "str":
                forms[-1] += line[1:-1]
        elif not line.strip() and msgid is not None:
            if msgid:
                yield msgid, (forms[0] if forms and all(forms) else ""), fuzzy
            msgid, forms = None, []
            fuzzy = False
            field = None


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_every_string_has_a_german_translation(domain):
    po_file = LOCALE / "de" / "LC_MESSAGES" / f"{domain}.po"
    found = list(entries(po_file))
    assert len(found) > 20
    missing = [msgid for msgid, msgstr, fuzzy in found if not msgstr or fuzzy]
    assert missing == []


def test_catalogues_compile(tmp_path, settings):
    call_command("compilemessages", locale=["de", "en"], verbosity=0)
    assert (LOCALE / "de" / "LC_MESSAGES" / "django.mo").exists()


ROOT = LOCALE.parents[1]


def test_strings_in_templates_and_scripts_are_in_the_catalogues():
    """Catches a new string added without running `make messages`."""
    import re

    known = {
        msgid
        for domain in ("django", "djangojs")
        for msgid, _, _ in entries(LOCALE / "de" / "LC_MESSAGES" / f"{domain}.po")
    }
    used = set()
    for template in (ROOT / "frontend" / "templates").rglob("*.html"):
        used |= set(re.findall(r'{% translate "([^"]+)" %}', template.read_text()))
    for script in (ROOT / "frontend" / "static").rglob("*.js"):
        used |= set(re.findall(r'gettext\(\s*"([^"]+)"', script.read_text()))
    assert len(used) > 30
    assert sorted(used - known) == []
