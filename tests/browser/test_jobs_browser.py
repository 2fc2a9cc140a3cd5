"""The handbook of a large organisation, downloaded through its job page, with a
real job worker beside the live server."""

import os

import pytest
from playwright.sync_api import expect

from bench.generate import PASSWORD, generate_size, logins

from ..jobs_helpers import WorkerProcess
from .harness import org_url, sign_in, text

SIZE = os.environ.get("BROWSER_HANDBOOK_SIZE", "L")


@pytest.fixture
def large_org(demo):
    generate_size("stor", SIZE)


@pytest.fixture
def worker(live_server):
    with WorkerProcess("w-browser") as process:
        yield process


def test_ceo_downloads_the_handbook_of_a_large_organisation(page, demo, large_org, worker):
    # The organisation is written before the worker starts: on SQLite the long write
    # holds the file's lock, and a worker starting meanwhile fails its start-up checks.
    sign_in(page, logins("stor").admin, password=PASSWORD)
    page.goto(org_url("roles:handbook-pdf", "stor"))
    with page.expect_navigation():
        page.get_by_role("button", name=text("sv", "Make the handbook")).click()
    assert "/jobs/" in page.url
    # Progress shows while the worker renders ("hatt n av 600"), then the download.
    expect(page.locator("#job-status")).to_contain_text(text("sv", "Running"), timeout=120_000)
    download_button = page.locator("#job-status a.btn-primary")
    expect(download_button).to_be_visible(timeout=600_000)
    with page.expect_download() as info:
        download_button.click()
    path = info.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert info.value.suggested_filename == "stor-handbook.pdf"
    # The Jobs page lists it with who started it.
    page.goto(org_url("roles:jobs", "stor"))
    expect(page.locator("main table")).to_contain_text("stor-handbook.pdf")
