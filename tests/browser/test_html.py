"""The Nu HTML Checker (npm vnu-jar, run on the machine's Java) on the main pages'
HTML in Swedish and English: no errors. Pages come from Django's test client
(no browser needed) and go to one java run, because the JVM starts slowly."""

import functools
import json
import re
import shutil
import subprocess

import pytest
from django.conf import settings
from django.test import Client

from roles.models import User

from ..jobs_helpers import drain
from .harness import (
    MAIN_PAGES,
    MANAGER,
    MORE_PAGES,
    NODE_MODULES,
    _sales,
    import_sample,
    load_demo,
    numbers_sample,
    org_url,
)

VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
# htmx's hx-* attributes are ours by choice; the checker knows only data-* ones.
HTMX_ATTRIBUTE = re.compile(r"^Attribute “hx-[\w:-]+” not allowed")


@functools.cache
def client_for(email, lang):
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    if email:
        client.force_login(User.objects.get(email=email))
    return client


def import_preview(client, url, sample_path):
    """Upload a sheet through an import form; the import's page while its job
    waits, and the preview once the job has run here."""
    form = client.get(url).content.decode()
    field = re.search(r'<input[^>]*type="file"[^>]*name="([^"]+)"', form) or re.search(
        r'<input[^>]*name="([^"]+)"[^>]*type="file"', form
    )
    with open(sample_path, "rb") as sample:
        response = client.post(url, {field.group(1) if field else "file": sample})
    waiting = client.get(response["Location"])
    drain()
    return waiting, client.get(response["Location"])


def collect_pages(demo, tmp_path):
    """Write every page's HTML to a file; returns {file: label} and problems met."""
    files, problems = {}, []

    def keep(name, label, response, expected=200):
        if response.status_code != expected:
            problems.append(f"{label}: status {response.status_code}, not {expected}")
            return
        path = tmp_path / f"{name}.html"
        path.write_bytes(response.content)
        files[str(path)] = label

    for lang in ("sv", "en"):
        for spec in MAIN_PAGES + MORE_PAGES:
            url = spec.url(demo.nordisk)
            response = client_for(spec.email, lang).get(url)
            keep(f"{spec.label}-{lang}", f"{spec.label} ({lang}) {url}", response, spec.status)
        url = org_url("roles:matrix-import")
        client = client_for("vd@nordisk.example", lang)
        waiting, preview = import_preview(client, url, import_sample(tmp_path))
        keep(f"import-waiting-{lang}", f"import waiting ({lang}) {url}", waiting)
        keep(f"import-preview-{lang}", f"import preview ({lang}) {url}", preview)
        url = org_url("roles:numbers-import")
        waiting, preview = import_preview(client, url, numbers_sample(tmp_path))
        keep(f"numbers-waiting-{lang}", f"numbers import waiting ({lang}) {url}", waiting)
        keep(f"numbers-preview-{lang}", f"numbers import preview ({lang}) {url}", preview)
        # What a hat template will add, shown before it is added (a POST).
        url = org_url("roles:hat-create", obj=_sales(demo.nordisk))
        response = client_for(MANAGER, lang).post(url, {"template": "sdr"})
        keep(f"template-preview-{lang}", f"template preview ({lang}) {url}", response)
    return files, problems


@pytest.mark.django_db
def test_main_pages_are_valid_html(tmp_path, inline_jobs):
    if not VNU.exists():
        pytest.fail(f"{VNU} is missing: run `make browser-deps`")
    java = shutil.which("java")
    assert java, "java is missing: the HTML checker needs it (apt-get install default-jre-headless)"
    client_for.cache_clear()
    demo = load_demo()
    files, problems = collect_pages(demo, tmp_path)
    assert files

    run = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--no-langdetect", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=180,
    )
    messages = json.loads(run.stderr or run.stdout or '{"messages": []}')["messages"]
    for msg in messages:
        if HTMX_ATTRIBUTE.match(msg["message"]):
            continue
        where = files.get(msg.get("url", "").removeprefix("file:"), msg.get("url"))
        line = msg.get("lastLine", "?")
        extract = (msg.get("extract") or "").replace("\n", " ")
        problems.append(f"{where} line {line}: {msg['message']}\n    {extract}")
    assert not problems, "the pages are not valid HTML:\n" + "\n".join(problems)
