"""Downloads: named by RFC 6266 whatever the title, and PDFs that fetch nothing."""

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from unittest import mock
from urllib.parse import unquote

import pytest
from django.urls import reverse

from roles.interchange import handbook
from roles.views.downloads import content_disposition

from . import factories as f
from .jobs_helpers import drain

pytestmark = pytest.mark.django_db

PNG = (Path(__file__).parent.parent / "docs" / "screenshots" / "hat.png").resolve()


def parts(header):
    """{'kind': 'inline', 'filename': …, 'filename*': …} of a Content-Disposition."""
    kind, *params = [p.strip() for p in header.split(";")]
    found = {"kind": kind}
    for param in params:
        name, _, value = param.partition("=")
        found[name] = value.strip('"')
    return found


def test_content_disposition_keeps_the_name_and_falls_back_to_ascii():
    header = parts(content_disposition("Менеджер-по-продажам.pdf", inline=True))
    assert header["kind"] == "inline"
    assert header["filename"] == "hatta.pdf"
    assert header["filename*"].startswith("UTF-8''")
    assert unquote(header["filename*"].removeprefix("UTF-8''")) == "Менеджер-по-продажам.pdf"
    swedish = parts(content_disposition('Säljare "Öst";x.csv'))
    assert swedish["kind"] == "attachment"
    assert swedish["filename"] == "Saljare-Ost-x.csv"
    assert unquote(swedish["filename*"].removeprefix("UTF-8''")) == 'Säljare "Öst";x.csv'


def test_a_hat_pdf_outside_latin_1_opens_in_the_browser(world, as_member):
    hat = f.HatFactory(org=world.org, function=world.team, title="Менеджер по продажам")
    response = as_member.get(
        reverse("roles:hat-pdf", kwargs={"org": world.org.slug, "hat_id": hat.pk})
    )
    assert response.status_code == 200
    header = response["Content-Disposition"]
    assert "=?utf-8?" not in header  # not RFC 2047, which makes browsers download
    found = parts(header)
    assert found["kind"] == "inline"
    assert found["filename"].isascii() and found["filename"].endswith(".pdf")
    assert unquote(found["filename*"].removeprefix("UTF-8''")) == "Менеджер-по-продажам.pdf"


@pytest.mark.parametrize(
    ("name", "kind", "extension"),
    [
        ("matrix-xlsx", "attachment", ".xlsx"),
        ("matrix-csv", "attachment", ".csv"),
        ("handbook-pdf", "attachment", ".pdf"),
        ("hat-pdf", "inline", ".pdf"),
    ],
)
def test_every_download_is_named_both_ways(world, as_member, name, kind, extension, settings):
    settings.JOBS_IN_CHILD = False
    kwargs = {"org": world.org.slug}
    if name == "hat-pdf":
        kwargs["hat_id"] = world.hat.pk
    url = reverse(f"roles:{name}", kwargs=kwargs)
    if name == "handbook-pdf":  # a job: its result is downloaded from the job page
        job_page = as_member.post(url)["Location"]
        drain()
        url = job_page + "download/"
    found = parts(as_member.get(url)["Content-Disposition"])
    assert found["kind"] == kind
    assert found["filename"].endswith(extension) and found["filename"].isascii()
    assert unquote(found["filename*"].removeprefix("UTF-8''")).endswith(extension)


# What a PDF may fetch -------------------------------------------------------------


@pytest.fixture
def web():
    """A web server on loopback that counts the requests it gets."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            body = PNG.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def hostile_html(base):
    data = base64.b64encode(PNG.read_bytes()).decode()
    return (
        "<html><body><p>x</p>"
        f'<img src="{PNG.as_uri()}"><img src="{base}/a.png">'
        f'<img src="data:image/png;base64,{data}">'
        f'<link rel="stylesheet" href="{base}/s.css"></body></html>'
    )


def has_image(pdf):
    return b"/Subtype /Image" in pdf or b"/Subtype/Image" in pdf


def test_the_marker_of_an_image_is_found(web):
    """The control: with WeasyPrint's own fetcher the same HTML embeds the images."""
    import weasyprint

    base, hits = web
    assert has_image(weasyprint.HTML(string=hostile_html(base)).write_pdf())
    assert hits


def test_the_hat_pdf_refuses_file_http_and_data_urls(world, as_member, web):
    base, hits = web
    kwargs = {"org": world.org.slug, "hat_id": world.hat.pk}
    with mock.patch("roles.views.hats.render_to_string", return_value=hostile_html(base)):
        response = as_member.get(reverse("roles:hat-pdf", kwargs=kwargs))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert not has_image(response.content)
    assert hits == []


def test_the_handbook_refuses_file_http_and_data_urls(world, web):
    """Every part of the handbook (contents and hats) is made with the refusing fetcher."""
    base, hits = web
    with mock.patch("roles.interchange.handbook.render_to_string", return_value=hostile_html(base)):
        content = handbook.render_pdf_in_parts(world.org)
    assert content.startswith(b"%PDF")
    assert not has_image(content)
    assert hits == []


def test_the_hat_pdf_is_set_in_one_font_family(world, as_member):
    """Body, page headers and footers alike (margin boxes do not inherit from body)."""
    import io

    from pypdf import PdfReader

    response = as_member.get(
        reverse("roles:hat-pdf", kwargs={"org": world.org.slug, "hat_id": world.hat.pk})
    )
    families = set()
    for page in PdfReader(io.BytesIO(response.content)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            name = str(font.get_object()["/BaseFont"]).split("+")[-1]
            families.add(name.removesuffix("-Bold").removesuffix("-Oblique"))
    assert len(families) == 1, families
