"""Background jobs: the handbook and exports as jobs, their page, progress,
cancel, reuse of an unchanged result, tenancy, and the limits."""

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from roles import jobs
from roles.models import Job
from roles.models.jobs import job_storage

from . import factories as f
from .conftest import client_for
from .jobs_helpers import drain, result_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def inline_jobs(settings, tmp_path):
    settings.JOBS_IN_CHILD = False
    settings.STORAGES = {
        **settings.STORAGES,
        "jobs": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    yield


def url(name, org, **kwargs):
    return reverse(f"roles:{name}", kwargs={"org": org.slug, **kwargs})


def start_handbook(client, org, **data):
    response = client.post(url("handbook-pdf", org), data)
    assert response.status_code == 302
    return Job.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def test_handbook_is_a_job_with_a_page_and_a_download(world, as_member):
    job = start_handbook(as_member, world.org)
    assert job.state == Job.QUEUED and job.started_by == world.member
    page = as_member.get(url("job-detail", world.org, job_id=job.pk))
    assert page.status_code == 200 and b"hx-trigger" in page.content  # polls while waiting
    assert drain() == 1
    job.refresh_from_db()
    assert job.state == Job.DONE and job.total == 2 and job.done == 2
    page = as_member.get(url("job-detail", world.org, job_id=job.pk), headers={"HX-Request": "1"})
    assert b"hx-trigger" not in page.content  # polling stops when done
    assert url("job-download", world.org, job_id=job.pk).encode() in page.content
    pdf = as_member.get(url("job-download", world.org, job_id=job.pk))
    body = b"".join(pdf.streaming_content)
    assert body.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert world.hat.title in text and world.other_hat.title in text


def test_function_handbook_holds_that_function_and_below(world, as_member):
    job = start_handbook(as_member, world.org, function=world.sales.pk)
    drain()
    job.refresh_from_db()
    body = result_bytes(job)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert world.hat.title in text  # team is below sales
    assert world.other_hat.title not in text
    response = as_member.post(url("handbook-pdf", world.org), {"function": 99999})
    assert (
        response.status_code == 200
        and b"Choose a function of this organisation" in response.content
    )


def test_contents_give_the_page_of_every_hat(world, as_member, monkeypatch):
    monkeypatch.setattr("roles.interchange.handbook.PART_HATS", 5)  # the chapter in three pieces
    for i in range(12):
        f.HatFactory(org=world.org, function=world.team, title=f"Extra hat {i}")
    job = start_handbook(as_member, world.org)
    drain()
    job.refresh_from_db()
    reader = PdfReader(io.BytesIO(result_bytes(job)))
    pages = [p.extract_text() for p in reader.pages]
    contents = pages[0]
    assert contents.strip().endswith("i")  # the contents are numbered apart: i, ii, …
    # Pages are numbered by chapter: "2–3" is the third page of the second function.
    chapter_page = re.search(r"Extra hat 11 ·\s*(\d+–\d+)", contents).group(1)
    footer = [text for text in pages if text.strip().splitlines()[-1] == chapter_page]
    assert len(footer) == 1 and "Extra hat 11" in footer[0]


def test_unchanged_inputs_serve_the_same_result_and_a_change_builds_again(world, as_member):
    first = start_handbook(as_member, world.org)
    drain()
    again = start_handbook(as_member, world.org)
    assert again.pk == first.pk  # served at once
    world.hat.title = "Renamed hat"
    world.hat.save()
    fresh = start_handbook(as_member, world.org)
    assert fresh.pk != first.pk and fresh.state == Job.QUEUED


def test_a_second_request_joins_the_running_handbook(world, as_member, as_admin):
    first = start_handbook(as_member, world.org)
    second = start_handbook(as_admin, world.org)
    assert second.pk == first.pk
    assert Job.objects.filter(kind=Job.HANDBOOK).count() == 1


def test_cancel_a_waiting_job(world, as_member):
    job = start_handbook(as_member, world.org)
    response = as_member.post(url("job-cancel", world.org, job_id=job.pk))
    assert response.status_code == 302
    drain()
    job.refresh_from_db()
    assert job.state == Job.CANCELLED and not job.result


def test_cancel_a_running_job_stops_it(world, as_member):
    job = start_handbook(as_member, world.org)
    Job.objects.filter(pk=job.pk).update(state=Job.RUNNING)
    jobs.cancel(job)
    progress = jobs.Progress(job.pk)
    with pytest.raises(jobs.Cancelled):
        progress(1, 10, force=True)


def test_a_running_import_save_is_let_finish(world, as_admin):
    # All or nothing in one transaction: once it runs, Cancel would only make its
    # page say "nothing was saved" about values it may have saved.
    for kind in (Job.IMPORT_APPLY, Job.NUMBERS_APPLY):
        job = Job.objects.create(
            org=world.org, kind=kind, state=Job.RUNNING, started_by=world.admin
        )
        assert not job.can_cancel
        assert (
            "Cancel"
            not in as_admin.get(
                url("job-detail", world.org, job_id=job.pk), headers={"HX-Request": "true"}
            ).text
        )
        as_admin.post(url("job-cancel", world.org, job_id=job.pk))
        job.refresh_from_db()
        assert job.state == Job.RUNNING and not job.cancel_requested
        jobs.Progress(job.pk)(1, 1, force=True)  # no Cancelled raised


def test_only_the_starter_or_an_admin_may_cancel(world, as_member, as_manager):
    job = start_handbook(as_member, world.org)
    assert as_manager.post(url("job-cancel", world.org, job_id=job.pk)).status_code == 403


def test_another_organisations_job_and_result_answer_404(world, other_world, as_member):
    job = start_handbook(client_for(other_world.member), other_world.org)
    drain()
    for name in ("job-detail", "job-download"):
        assert as_member.get(url(name, world.org, job_id=job.pk)).status_code == 404
        assert as_member.get(url(name, other_world.org, job_id=job.pk)).status_code == 404
    assert as_member.post(url("job-cancel", world.org, job_id=job.pk)).status_code == 404


def test_jobs_list_shows_who_and_the_result(world, as_member, as_admin):
    job = start_handbook(as_member, world.org)
    drain()
    job.refresh_from_db()
    page = as_admin.get(url("jobs", world.org)).content.decode()
    assert world.member.name in page and job.result_name in page


def test_small_exports_stay_instant_and_large_ones_are_jobs(world, as_member, monkeypatch):
    response = as_member.get(url("matrix-csv", world.org))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    monkeypatch.setattr("roles.views.interchange.INSTANT_LETTERS", 0)
    for name, kind, magic in (
        ("matrix-csv", Job.CSV, b"\xef\xbb\xbf"),
        ("matrix-xlsx", Job.XLSX, b"PK"),
    ):
        page = as_member.get(url(name, world.org))
        assert page.status_code == 200 and b"Make the file" in page.content
        response = as_member.post(url(name, world.org))
        assert response.status_code == 302
        job = Job.objects.get(kind=kind)
        drain()
        job.refresh_from_db()
        assert job.state == Job.DONE and result_bytes(job).startswith(magic)


def test_backup_is_a_job_for_admins(world, as_admin, as_member):
    assert as_member.post(url("backup-json", world.org)).status_code == 403
    assert as_admin.post(url("backup-json", world.org)).status_code == 302
    drain()
    job = Job.objects.get(kind=Job.BACKUP)
    assert job.state == Job.DONE and b'"organisation"' in result_bytes(job)


def test_a_failing_job_shows_a_message_and_the_next_job_runs(world, as_member, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("broken")

    monkeypatch.setattr("roles.interchange.handbook.render_pdf_in_parts", boom)
    job = start_handbook(as_member, world.org)
    drain()
    job.refresh_from_db()
    assert job.state == Job.FAILED and job.error
    page = as_member.get(url("job-detail", world.org, job_id=job.pk))
    assert job.error in page.content.decode()


def test_old_results_are_deleted(world, as_member):
    job = start_handbook(as_member, world.org)
    drain()
    job.refresh_from_db()
    name = job.result.name
    assert job_storage().exists(name)
    from datetime import timedelta

    from django.utils import timezone

    assert jobs.prune() == 0
    assert jobs.prune(now=timezone.now() + timedelta(days=30)) == 1
    assert not job_storage().exists(name)
    assert not Job.objects.filter(pk=job.pk).exists()
