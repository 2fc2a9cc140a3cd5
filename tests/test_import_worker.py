"""The import's two jobs run by a real `manage.py worker` (each in its child
process with the import's limits): upload, preview, choose, apply, and the same
file again changes nothing."""

import pytest
from django.utils import translation

from roles import models as m
from roles.models import Job

from .conftest import build_world, client_for
from .import_jobs_helpers import apply_url, job_of, page_url, upload
from .jobs_helpers import WorkerProcess, database_url, job_state, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def job_files(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", database_url())  # for the job's child process
    settings.LANGUAGE_CODE = "en"
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "jobs": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "jobs")},
        },
    }
    with translation.override("en"):
        yield


SHEET = "Task,Innesäljare,Kundtjänst\nProspektering,,\nBoka möten,A,C\nNy uppgift,R,A\n".encode()


def finished(job):
    wait_for(lambda: job_state(job.pk) not in Job.ACTIVE, timeout=120)
    job.refresh_from_db()
    assert job.state == Job.DONE, job.error
    return job


def test_preview_and_apply_with_a_real_worker():
    world = build_world()
    admin = client_for(world.admin)
    with WorkerProcess("w-import"):
        read = finished(job_of(upload(admin, world.org, SHEET, "raci.csv")))
        page = admin.get(page_url(read))
        assert page.context["data"]["summary"]["tasks_new"] == 1
        assert not m.Task.objects.for_org(world.org).filter(name="Ny uppgift").exists()
        # Kundtjänst becomes a new hat in sales, "Boka möten" is kept apart.
        response = admin.post(
            page_url(read), {"column-1": f"function:{world.sales.pk}", "task-0": "apart"}
        )
        chosen = finished(job_of(response))
        assert admin.get(page_url(chosen)).context["data"]["summary"]["tasks_new"] == 2
        applied = finished(job_of(admin.post(apply_url(chosen))))
        assert applied.data["kind"] == "applied"
        assert m.Hat.objects.for_org(world.org).get(title="Kundtjänst").function == world.sales
        assert m.Task.objects.for_org(world.org).filter(name="Boka möten").count() == 2
        # The same file again: remembered choices, nothing to change.
        again = finished(job_of(upload(admin, world.org, SHEET, "raci.csv")))
        assert not again.data["has_changes"]
