"""Stored hostile text in every user-editable field renders escaped on every
organisation page that shows it, in the PDFs and in the exports.

Each field gets the payload with a tag of its own (#f3), so the test also counts
how many fields a page actually showed (escaped), and a template that evaluated
`{{7*7}}` would show `49#f3`.
"""

import csv
import html
import io
import re
from unittest import mock

import openpyxl
import pytest

from roles import models as m
from roles.interchange.handbook import render_html
from roles.services import hats as hat_services

from .conftest import client_for
from .test_sweep import enrich, fill, org_patterns

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
ATTR = "\"'><img src=x onerror=alert(2)>"
TEMPLATE = "{{7*7}}"
PAYLOAD = SCRIPT + ATTR + TEMPLATE
RAW = (SCRIPT, "onerror=alert(2)>")
# KPI unit and period hold 50 characters: a short payload each.
SHORT = {"unit": SCRIPT + TEMPLATE, "period": ATTR}
# Kept with the hat, but no page shows it (yet): escaped if one ever does.
UNSHOWN = "handover row note"
FORMULA = '=HYPERLINK("http://evil.example","x")'


def plant(w):
    """Write a tagged payload into every user-editable text field of `w`.
    Returns {tag: description}."""
    enrich(w)
    fields = {}

    def payload(label, text=PAYLOAD):
        tag = f"#f{len(fields)}"
        fields[tag] = label
        return text + tag

    w.org.name = payload("organisation name")
    w.org.save()
    for person in (w.admin, w.manager, w.member):
        person.name = payload(f"person name ({person.access})")
        person.save()
    for function in (w.root, w.sales, w.team, w.other):
        function.name = payload(f"function name {function.pk}")
        function.description = payload(f"function description {function.pk}")
        function.save()
    for hat in (w.hat, w.other_hat):
        for name in ("title", "purpose", "product", "authority", "notes"):
            setattr(hat, name, payload(f"hat {name} {hat.pk}"))
        hat.save()
    for kpi in m.KPI.objects.filter(hat__org=w.org):
        kpi.name = payload("kpi name")
        kpi.target = payload("kpi target")
        kpi.unit = payload("kpi unit", SHORT["unit"])[:50]
        kpi.period = payload("kpi period", SHORT["period"])[:50]
        kpi.save()
    for item in m.ChecklistItem.objects.filter(hat__org=w.org):
        item.text = payload("checklist item")
        item.save()
    w.area.name = payload("area name")
    w.area.save()
    w.task.name = payload("task name")
    w.task.description = payload("task description")
    w.task.save()
    m.Task.objects.create(org=w.org, area=w.area, name=FORMULA, position=99)
    # A past wearer's handover note, written the way the app writes it.
    past = m.Assignment.objects.create(org=w.org, hat=w.hat, person=w.manager, share=20)
    hat_services.end_wearer(past, payload("handover note of a past wearer"), w.admin)
    for handover in m.Handover.objects.filter(org=w.org):
        handover.note = payload(UNSHOWN)
        handover.save()
    # A published revision keeps the payload in its snapshot as well as its note.
    hat_services.publish_hat(w.hat, w.admin, payload("revision change note"))
    return fields


def unescaped(text):
    """The raw payload pieces, or an evaluated template, found in `text`."""
    found = [piece for piece in RAW if piece in text]
    if re.search(r"49#f\d+", text):
        found.append("{{7*7}} rendered as 49")
    return found


def shown_tags(text):
    """Tags of fields shown, escaped, in an HTML page (the escaped script tag
    directly before the tag, or the tag of a short payload)."""
    return set(re.findall(r"(#f\d+)", text))


def variants(pattern, org):
    """The pattern's URL for every hat and every function of `org` (the sweep's
    `fill` points at the first of each only)."""
    values = fill(pattern, org)
    urls = {pattern.path(org.slug, values)}
    for name, model in (("hat_id", m.Hat), ("function_id", m.Function)):
        if name in values:
            for pk in model.objects.filter(org=org).values_list("pk", flat=True):
                urls.add(pattern.path(org.slug, {**values, name: pk}))
    return sorted(urls)


class Capture:
    """Stands in for weasyprint.HTML: keeps the HTML a PDF is made from."""

    def __init__(self):
        self.strings = []

    def __call__(self, *args, string=None, **kwargs):
        self.strings.append(string)
        fake = mock.Mock()
        fake.write_pdf.return_value = b"%PDF-1.7 captured"
        return fake


@pytest.fixture
def planted(world):
    return world, plant(world)


def test_stored_payloads_render_escaped_on_every_page(planted, record_property):
    w, fields = planted
    client = client_for(w.admin)
    capture = Capture()
    pages, failures, seen = 0, [], set()
    urls = ["/"] + [url for p in org_patterns() for url in variants(p, w.org)]
    with mock.patch("weasyprint.HTML", capture):
        for url in urls:
            response = client.get(url)
            if response.status_code != 200:
                continue
            kind = response.get("Content-Type", "")
            if "html" not in kind:
                continue  # PDFs and exports: checked below
            text = response.content.decode()
            pages += 1
            seen |= shown_tags(text)
            if bad := unescaped(text):
                failures.append((url, bad))
    for source in capture.strings:  # the HTML the PDF pages were made from
        if bad := unescaped(source):
            failures.append(("pdf", bad))
    assert pages > 10, "the sweep reached too few pages"
    assert not failures, failures
    # The pages showed the payloads: escaped, not dropped.
    missing = {t for t in set(fields) - seen if fields[t] != UNSHOWN}
    assert not missing, sorted(fields[t] for t in missing)
    record_property(
        "figure", f"xss_pages={pages} payload_fields={len(fields)} unescaped={len(failures)}"
    )


def test_pdfs_are_made_from_escaped_html(planted):
    w, fields = planted
    client = client_for(w.admin)
    capture = Capture()
    with mock.patch("weasyprint.HTML", capture):
        response = client.get(f"/o/{w.org.slug}/hats/{w.hat.pk}.pdf")
        assert response.status_code == 200
        assert response.content.startswith(b"%PDF")
    assert len(capture.strings) == 1
    # The handbook is made by a job from the same templates as this one document.
    capture.strings.append(render_html(w.org))
    for source in capture.strings:
        assert not unescaped(source), unescaped(source)
        assert html.escape(SCRIPT, quote=False) in source or "&lt;script&gt;" in source


def test_hat_pdf_with_payloads_renders(planted):
    w, _ = planted
    response = client_for(w.admin).get(f"/o/{w.org.slug}/hats/{w.hat.pk}.pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_exports_carry_payloads_as_plain_neutralised_text(planted):
    w, _ = planted
    client = client_for(w.admin)
    response = client.get(f"/o/{w.org.slug}/matrix.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    if len(rows[0]) == 1:  # comma-separated after all
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert any(cell.startswith(PAYLOAD) for cell in cells), "task payload missing from CSV"
    assert "'" + FORMULA in cells
    assert FORMULA not in cells

    response = client.get(f"/o/{w.org.slug}/matrix.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    values = [
        cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value
    ]
    texts = [c.value for c in values if isinstance(c.value, str)]
    assert any(t.startswith(PAYLOAD) for t in texts), "task payload missing from XLSX"
    formula = [c for c in values if isinstance(c.value, str) and FORMULA in c.value]
    assert formula, "formula-like task missing from XLSX"
    for c in formula:
        assert c.data_type == "s" and c.value == "'" + FORMULA
