"""Jobs with real processes: a `manage.py worker` on the test database runs a
handbook end to end, survives kill -9 (the job is retried by another worker),
and the child process enforces the time and memory limits."""

import io

import pytest
from pypdf import PdfReader

from roles import jobs
from roles.access import Access
from roles.models import Job
from roles.models.jobs import WorkerBeat

from . import factories as f
from .conftest import build_world
from .jobs_helpers import WorkerProcess, database_url, job_state, result_bytes, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def job_files(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", database_url())  # for the job's child process
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "jobs": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "jobs")},
        },
    }
    yield


def handbook_job(world, hats=0):
    for i in range(hats):
        hat = f.HatFactory(org=world.org, function=world.team, title=f"Hat {i}", purpose="x" * 400)
        f.ResponsibilityFactory(org=world.org, task=world.task, hat=hat, letter="C")
    job, created = jobs.start(
        Access(world.member), Job.HANDBOOK, params={"lang": "en"}, fingerprint="x"
    )
    assert created
    return job


def test_a_real_worker_runs_a_handbook_and_reports_its_heartbeat():
    world = build_world()
    job = handbook_job(world)
    with WorkerProcess("w-end-to-end"):
        wait_for(lambda: job_state(job.pk) == Job.DONE, timeout=120)
        assert WorkerBeat.objects.filter(worker_id="w-end-to-end").exists()
    job.refresh_from_db()
    reader = PdfReader(io.BytesIO(result_bytes(job)))
    assert world.hat.title in "".join(p.extract_text() for p in reader.pages)


def test_a_worker_killed_mid_job_is_retried_by_another_worker():
    world = build_world()
    job = handbook_job(world, hats=120)
    first = WorkerProcess("w-doomed", JOB_STALE_SECONDS=3).start()
    try:
        # Progress is visible while it runs ("hat n of 122").
        wait_for(lambda: Job.objects.filter(pk=job.pk, done__gt=0).exists(), timeout=120)
        running = Job.objects.get(pk=job.pk)
        assert running.state == Job.RUNNING and running.total == 122
    finally:
        first.kill()
    assert job_state(job.pk) == Job.RUNNING  # nobody knows yet
    with WorkerProcess("w-rescuer", JOB_STALE_SECONDS=3):
        wait_for(lambda: Job.objects.get(pk=job.pk).attempts == 2, timeout=60)
        wait_for(lambda: job_state(job.pk) == Job.DONE, timeout=240)
    assert Job.objects.get(pk=job.pk).result


def test_a_job_killed_twice_is_failed_with_a_message(settings):
    world = build_world()
    job = handbook_job(world)
    settings.JOB_STALE_SECONDS = 0
    from django.utils import timezone

    Job.objects.filter(pk=job.pk).update(state=Job.RUNNING, attempts=2, heartbeat=timezone.now())
    assert jobs.reap_stalled() == 1
    job.refresh_from_db()
    assert job.state == Job.FAILED and "worker" in job.error


def test_a_job_over_its_time_limit_fails_and_the_worker_goes_on(settings):
    settings.JOBS_IN_CHILD = True
    settings.JOB_LIMITS = {**settings.JOB_LIMITS, "handbook": {"seconds": 1, "memory": 2**31}}
    world = build_world()
    job = handbook_job(world, hats=30)
    jobs.supervise(job.pk)
    job.refresh_from_db()
    assert job.state == Job.FAILED and "longer than its limit of 1 seconds" in job.error


def test_a_job_over_its_memory_limit_fails_with_a_message(settings):
    settings.JOBS_IN_CHILD = True
    settings.JOB_LIMITS = {
        **settings.JOB_LIMITS,
        "handbook": {"seconds": 120, "memory": 100 * 2**20},
    }
    world = build_world()
    job = handbook_job(world, hats=150)
    jobs.supervise(job.pk)
    job.refresh_from_db()
    assert job.state == Job.FAILED
    assert "more memory than its limit of 100 MB" in job.error, job.error
    # The next job (within its limits) runs in the same process.
    settings.JOB_LIMITS = {**settings.JOB_LIMITS, "handbook": {"seconds": 120, "memory": 2**31}}
    again = handbook_job(world)
    jobs.supervise(again.pk)
    assert job_state(again.pk) == Job.DONE
