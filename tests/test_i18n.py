"""Swedish first: the catalogue is complete and the shipped .mo matches it."""

import ast
import gettext
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "roles" / "locale" / "sv" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

pytestmark = pytest.mark.swedish  # Swedish, the default language, not the tests' English


def parse_po(text):
    """[(msgctxt, msgid, msgid_plural, [msgstr...], fuzzy)] of a .po file."""
    entries, entry, key = [], {"flags": "", "msgstr": {}}, None

    def flush():
        if "msgid" in entry:
            entries.append(entry)

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#,"):
            flush()
            entry, key = {"flags": line[2:], "msgstr": {}}, None
        elif not line or line.startswith("#"):
            continue  # comments, references, obsolete (#~) entries
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if key.startswith("msgstr"):
                entry["msgstr"][key] += value
            else:
                entry[key] += value
        else:
            key, _, rest = line.partition(" ")
            if key in {"msgctxt", "msgid"} and "msgid" in entry:
                flush()
                entry = {"flags": "", "msgstr": {}}
            value = ast.literal_eval(rest)
            if key.startswith("msgstr"):
                entry["msgstr"][key] = value
            else:
                entry[key] = value
    flush()
    return [
        (
            e.get("msgctxt"),
            e["msgid"],
            e.get("msgid_plural"),
            [e["msgstr"][k] for k in sorted(e["msgstr"])],
            "fuzzy" in e["flags"],
        )
        for e in entries
        if e["msgid"] != ""  # the header
    ]


def test_po_parser_reads_plurals_contexts_and_flags():
    sample = """
msgid ""
msgstr "Content-Type: text/plain; charset=UTF-8\\n"

#: a.py:1
msgid "Hat"
msgstr "Hatt"

#, fuzzy, python-format
msgid "%(n)s hat"
msgid_plural "%(n)s hats"
msgstr[0] "%(n)s hatt"
msgstr[1] ""

msgctxt "verb"
msgid "Save"
msgstr ""
"Spara"
"""
    assert parse_po(sample) == [
        (None, "Hat", None, ["Hatt"], False),
        (None, "%(n)s hat", "%(n)s hats", ["%(n)s hatt", ""], True),
        ("verb", "Save", None, ["Spara"], False),
    ]


def test_every_message_is_translated():
    entries = parse_po(PO.read_text(encoding="utf-8"))
    assert len(entries) > 50
    untranslated = [msgid for _, msgid, _, strs, _ in entries if not all(s.strip() for s in strs)]
    fuzzy = [msgid for _, msgid, _, _, is_fuzzy in entries if is_fuzzy]
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:10]}"


def test_compiled_catalogue_matches_the_po():
    """The committed .mo is the compiled .po (set-up needs no gettext)."""
    assert MO.exists(), "run `make messages` and commit django.mo"
    with MO.open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)._catalog
    stale = []
    for ctxt, msgid, plural, strs, _ in parse_po(PO.read_text(encoding="utf-8")):
        key = msgid if ctxt is None else f"{ctxt}\x04{msgid}"
        if plural is None:
            if catalogue.get(key) != strs[0]:
                stale.append(msgid)
        elif [catalogue.get((key, i)) for i in range(len(strs))] != strs:
            stale.append(msgid)
    assert not stale, f"django.mo is out of date for {len(stale)} messages, e.g. {stale[:5]}"


@pytest.mark.swedish
def test_pages_speak_swedish_by_default_and_english_on_request(db):
    client = Client(raise_request_exception=True)
    swedish = client.get("/accounts/login/")
    assert '<html lang="sv">' in swedish.text
    with translation.override("sv"):
        sign_in = translation.gettext("Sign in")
    assert sign_in != "Sign in"
    assert sign_in in swedish.text
    english = client.get("/accounts/login/", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in english.text
    assert "Sign in" in english.text


def test_language_switch(db):
    client = Client(raise_request_exception=True)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert '<html lang="en">' in client.get("/accounts/login/").text
    client.post("/i18n/setlang/", {"language": "sv", "next": "/accounts/login/"})
    assert '<html lang="sv">' in client.get("/accounts/login/").text


@pytest.mark.parametrize(
    ("lang", "december", "may"),
    [("sv", "4 dec. 2026", "4 maj 2026"), ("en", "4 Dec 2026", "4 May 2026")],
)
def test_one_date_format_per_language(lang, december, may):
    """Running text from DATE_FORMAT, tables from SHORT_DATE_FORMAT (ISO)."""
    import datetime

    from django.utils import formats, translation

    with translation.override(lang):
        assert formats.date_format(datetime.date(2026, 12, 4)) == december
        assert formats.date_format(datetime.date(2026, 5, 4)) == may
        short = formats.date_format(datetime.date(2026, 12, 4), "SHORT_DATE_FORMAT")
        assert short == "2026-12-04"


def test_no_translate_tag_holds_a_percent_placeholder():
    """{% translate %} looks a literal up with each % doubled, so "%(n)s ..."
    in it is never found in the catalogue and shows in English. Placeholders
    for scripts are written {n}; sentences with values use blocktranslate."""
    import re

    tag = re.compile(r"{%\s*(?:translate|trans)\s+(['\"])(.*?)\1")
    found = [
        f"{path.relative_to(ROOT)}: {literal}"
        for folder in ("templates", "roles/templates")
        for path in (ROOT / folder).rglob("*.html")
        for _quote, literal in tag.findall(path.read_text(encoding="utf-8"))
        if "%" in literal
    ]
    assert not found, "\n".join(found)
