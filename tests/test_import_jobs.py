"""The import as jobs: the preview is read and planned by a job and shown from its
result (nothing in the session), the user's choices re-plan it, Apply is a job
that plans again against the database and writes all or nothing, one import at
a time, and every import job is the organisation's own."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone, translation

from roles import jobs
from roles import models as m
from roles.models import Job
from roles.models.jobs import job_storage
from roles.views import interchange as interchange_views

from .conftest import client_for
from .import_fixtures import BY_NAME, styled_xlsx
from .import_jobs_helpers import (
    apply,
    apply_url,
    choose,
    job_of,
    page_url,
    previewed,
    upload,
)
from .jobs_helpers import drain
from .test_import import counts


@pytest.fixture(autouse=True)
def english(settings, inline_jobs):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


SHEET = (
    "Task,Innesäljare,Ekonomichef,Kundtjänst,Anteckning\n"
    "Prospektering,,,,\n"
    "Boka möten,A,R,C,x\n"
    "Ringa kunder,R,A,I,\n"
).encode()


def letters(org, task, hat):
    stored = m.Responsibility.objects.for_org(org).filter(task=task, hat=hat)
    return "".join(sorted(stored.values_list("letter", flat=True)))


def test_the_preview_is_a_job_and_its_page_shows_the_result(world, as_admin):
    response = upload(as_admin, world.org, SHEET, "raci.csv")
    job = job_of(response)
    assert job.kind == Job.IMPORT_READ and job.state == Job.QUEUED
    # While the job waits, the page shows its progress and polls.
    waiting = as_admin.get(page_url(job))
    assert b'id="import-status"' in waiting.content and b"hx-get" in waiting.content
    before = counts(world.org)
    drain()
    page = as_admin.get(page_url(job))
    assert page.status_code == 200
    data = page.context["data"]
    assert data["summary"]["hats_new"] == 2 and data["summary"]["tasks_new"] == 1
    # The sheet as read: header, area and task rows marked.
    kinds = [row["kind"] for row in page.context["grid_rows"]]
    assert kinds == ["header", "area", "task", "task"]
    assert counts(world.org) == before  # the preview writes nothing
    # Nothing of the import waits in the session.
    assert not [k for k in as_admin.session.keys() if "import" in k]  # noqa: SIM118 - not iterable
    # A polling request after the job is done reloads the page to show the preview.
    assert as_admin.get(page_url(job), headers={"HX-Request": "true"})["HX-Refresh"] == "true"


def test_choices_replan_and_apply_writes_the_matrix_as_chosen(world, as_admin):
    job, page = previewed(as_admin, world.org, SHEET, "raci.csv")
    columns = {c["title"]: c for c in page.context["data"]["columns"]}
    assert columns["Innesäljare"]["choice"] == f"hat:{world.hat.pk}"  # the default shown
    same = page.context["data"]["same_named"]
    assert [t["name"] for t in same] == ["Boka möten"] and not same[0]["apart"]
    # Innesäljare -> Ekonomichef's hat and the reverse, Kundtjänst a new hat in
    # sales, the notes column ignored, "Boka möten" kept apart.
    job, page = choose(
        as_admin,
        job,
        **{
            "column-0": f"hat:{world.other_hat.pk}",
            "column-1": f"hat:{world.hat.pk}",
            "column-2": f"function:{world.sales.pk}",
            "column-3": "ignore",
            "task-0": "apart",
        },
    )
    data = page.context["data"]
    assert [c["choice"] for c in data["columns"]] == [
        f"hat:{world.other_hat.pk}",
        f"hat:{world.hat.pk}",
        f"function:{world.sales.pk}",
        "ignore",
    ]
    assert data["same_named"][0]["apart"]  # what the user chose is shown again
    assert data["summary"]["hats_new"] == 1 and data["summary"]["tasks_new"] == 2

    applied, page = apply(as_admin, job)
    assert applied.kind == Job.IMPORT_APPLY and applied.state == Job.DONE
    assert b'id="import-done"' in page.content
    new_hat = m.Hat.objects.for_org(world.org).get(title="Kundtjänst")
    assert new_hat.function == world.sales
    assert not m.Hat.objects.for_org(world.org).filter(title="Anteckning").exists()
    old, made = m.Task.objects.for_org(world.org).filter(name="Boka möten").order_by("id")
    assert (letters(world.org, old, world.hat), letters(world.org, old, world.other_hat)) == (
        "R",
        "A",
    )  # the existing task is untouched
    assert letters(world.org, made, world.other_hat) == "A"
    assert letters(world.org, made, world.hat) == "R"
    assert letters(world.org, made, new_hat) == "C"

    # The same file again: the remembered choices are the defaults, nothing changes.
    before = counts(world.org)
    again, page = previewed(as_admin, world.org, SHEET, "raci.csv")
    assert not page.context["data"]["has_changes"]
    assert [c["choice"] for c in page.context["data"]["columns"]][3] == "ignore"
    assert b'id="import-nothing"' in page.content
    assert counts(world.org) == before


def test_apply_plans_again_and_shows_the_new_preview_when_the_org_changed(world, as_admin):
    job, _page = previewed(as_admin, world.org, SHEET, "raci.csv")
    # Meanwhile someone gives "Boka möten" a letter the sheet will change.
    m.Responsibility.objects.for_org(world.org).filter(task=world.task, hat=world.hat).delete()
    before = counts(world.org)
    stale, page = apply(as_admin, job)
    assert page.status_code == 409
    assert b'id="import-stale"' in page.content
    assert counts(world.org) == before  # nothing written
    # Applying the new preview writes it.
    applied, page = apply(as_admin, stale)
    assert page.context["data"]["kind"] == "applied"
    assert letters(world.org, world.task, world.hat) == "A"


def test_one_import_at_a_time(world, as_admin):
    first = job_of(upload(as_admin, world.org, SHEET, "raci.csv"))
    response = upload(as_admin, world.org, SHEET, "again.csv")
    assert job_of(response) == first  # told, and sent to the running import
    assert Job.objects.for_org(world.org).filter(kind=Job.IMPORT_READ).count() == 1
    drain()
    assert job_of(upload(as_admin, world.org, SHEET, "raci.csv")) != first


def test_a_file_the_reader_refuses_fails_the_job_with_its_message(world, as_admin):
    response = upload(as_admin, world.org, b"just,some\nwords,here\n", "x.csv")
    job = job_of(response)
    drain()
    page = as_admin.get(page_url(job))
    job.refresh_from_db()
    assert job.state == Job.FAILED
    assert "No sheet looks like a RACI matrix" in page.content.decode()


def test_apply_of_a_preview_not_done_is_refused(world, as_admin):
    job = job_of(upload(as_admin, world.org, SHEET, "raci.csv"))
    before = counts(world.org)
    response = as_admin.post(apply_url(job), follow=True)
    assert "expired" in response.content.decode()
    drain()
    assert counts(world.org) == before


def test_import_jobs_are_the_organisations_own(world, other_world, as_admin):
    job, _page = previewed(as_admin, world.org, SHEET, "raci.csv")
    outsider = client_for(other_world.admin)
    assert outsider.get(page_url(job)).status_code == 404
    assert outsider.post(apply_url(job)).status_code == 404
    # The job id under the outsider's own organisation is not found either.
    theirs = page_url(job).replace(f"/o/{world.org.slug}/", f"/o/{other_world.org.slug}/")
    assert outsider.get(theirs).status_code == 404
    assert client_for(world.member).get(page_url(job)).status_code == 403
    assert client_for(world.member).post(apply_url(job)).status_code == 403
    # The stored upload is in the organisation's own folder.
    assert job.params["upload"].startswith(f"imports/{world.org.pk}/")


def test_the_grid_shows_the_first_rows_and_counts_the_rest(world, as_admin):
    rows = "\n".join(f"Task {i},R,A" for i in range(5000))
    data = f"Task,Innesäljare,Ekonomichef\n{rows}\n".encode()
    job, page = previewed(as_admin, world.org, data, "big.csv")
    assert len(page.context["grid_rows"]) == 60
    assert page.context["grid_more"] == 5001 - 60
    assert page.context["data"]["summary"]["tasks_new"] == 5000
    assert len(page.content) < 1_500_000  # the page stays usable


def test_another_sheet_of_the_workbook_is_read_when_chosen(world, as_admin):
    data = styled_xlsx(
        {
            "Old": [["Task", "Innesäljare"], ["Gammal", "A"]],
            "Matrix": [["Task", "Innesäljare"], ["Ny", "A"]],
        },
        hidden_sheets={"Old"},
    )
    job, page = previewed(as_admin, world.org, data, "book.xlsx")
    sheet = page.context["data"]["sheet"]
    assert sheet["name"] == "Matrix" and ["Old", True] in sheet["names"]
    assert "(hidden)" in page.content.decode()
    job, page = choose(as_admin, job, sheet="Old")
    assert page.context["data"]["sheet"]["name"] == "Old"
    assert page.context["data"]["tasks_new"][0][2] == "Gammal"


def test_the_grid_marks_hidden_rows_and_formulas_without_values(world, as_admin):
    for name in ("hidden-and-formulas.ods", "unsaved-formulas.xlsx"):
        data = BY_NAME[name].path.read_bytes()
        job, page = previewed(as_admin, world.org, data, name)
        flagged = [
            (row["number"], cell["text"])
            for row in page.context["grid_rows"]
            for cell in row["cells"]
            if cell["flagged"]
        ]
        assert flagged and all(text.startswith("=COUNTIF") for _n, text in flagged[:1])
        assert b'class="cell-flagged"' in page.content
        drain()  # nothing left running before the next upload
    kinds = [row["kind"] for row in page.context["grid_rows"]]
    assert kinds == ["header", "task", "task"]
    job, page = previewed(
        as_admin, world.org, BY_NAME["hidden-and-formulas.ods"].path.read_bytes(), "h.ods"
    )
    assert [row["kind"] for row in page.context["grid_rows"]] == [
        "header",
        "task",
        "hidden",
        "task",
    ]
    assert b'class="row-hidden"' in page.content


def test_an_import_and_its_upload_are_deleted_after_the_retention(world, as_admin, settings):
    job, _page = previewed(as_admin, world.org, SHEET, "raci.csv")
    upload_name = job.params["upload"]
    assert job_storage().exists(upload_name)
    later = timezone.now() + timedelta(days=settings.JOB_RETENTION_DAYS + 1)
    assert jobs.prune(now=later) >= 1
    assert not job_storage().exists(upload_name)
    assert not Job.objects.filter(pk=job.pk).exists()


def test_the_jobs_page_lists_imports_for_admins_only(world, as_admin):
    job, _page = previewed(as_admin, world.org, SHEET, "raci.csv")
    assert (
        job in as_admin.get(reverse("roles:jobs", kwargs={"org": world.org.slug})).context["jobs"]
    )
    member = client_for(world.member).get(reverse("roles:jobs", kwargs={"org": world.org.slug}))
    assert job not in member.context["jobs"]
    # The job's page of an import is the import's page.
    detail = reverse("roles:job-detail", kwargs={"org": world.org.slug, "job_id": job.pk})
    assert as_admin.get(detail)["Location"] == page_url(job)


def test_the_job_speaks_the_language_of_the_person_who_uploaded(world, as_admin):
    as_admin.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "sv"
    job = job_of(upload(as_admin, world.org, b"just,some\nwords,here\n", "x.csv"))
    assert job.params["lang"] == "sv"
    drain()
    job.refresh_from_db()
    assert job.error.startswith("Inget blad ser ut som en RACI-matris")


def test_apply_with_a_choice_not_read_yet_reads_again_instead(world, as_admin):
    job, page = previewed(as_admin, world.org, SHEET, "raci.csv")
    before = counts(world.org)
    fields = {f"column-{c['column']}": c["choice"] for c in page.context["data"]["columns"]}
    fields["column-2"] = f"function:{world.sales.pk}"  # changed, then Apply at once
    response = as_admin.post(apply_url(job), fields)
    again = job_of(response)
    assert again.kind == Job.IMPORT_READ
    assert again.params["choices"]["hats"]["2"] == {"function": world.sales.pk}
    drain()
    assert counts(world.org) == before
    # Unchanged fields apply.
    again.refresh_from_db()
    shown = {f"column-{c['column']}": c["choice"] for c in again.data["columns"]}
    applied = job_of(as_admin.post(apply_url(again), shown))
    assert applied.kind == Job.IMPORT_APPLY


def test_rows_without_an_area_go_to_the_area_chosen_on_the_page(world, as_admin):
    data = "Task,Innesäljare\nRing kunder,A/R\n".encode()
    job, page = previewed(as_admin, world.org, data, "x.csv")
    assert page.context["data"]["needs_area"] and b'id="import-area"' in page.content
    job, page = choose(as_admin, job, area="  Uppföljning ", **{"column-0": f"hat:{world.hat.pk}"})
    assert page.context["data"]["area"] == "Uppföljning"
    assert page.context["data"]["areas_new"] == ["Uppföljning"]
    apply(as_admin, job)
    task = m.Task.objects.for_org(world.org).get(name="Ring kunder")
    assert task.area.name == "Uppföljning"


def test_in_a_large_organisation_a_column_is_placed_by_typing(world, as_admin, monkeypatch):
    """Above MANY_PLACES hats the page offers one list of suggestions instead of a
    select of every hat per column; the typed label is read back to its place."""
    monkeypatch.setattr(interchange_views, "MANY_PLACES", 0)
    job, page = previewed(as_admin, world.org, SHEET, "raci.csv")
    html = page.content.decode()
    assert (
        'list="import-places"' in html and "<select" not in html.split("import-choices")[1][:2000]
    )
    columns = page.context["columns"]
    assert columns[0]["label"] == f"{world.team.name} / {world.hat.title}"
    fields = {f"column-{c['column']}-place": c["label"] for c in columns}
    fields["column-1-place"] = f"{world.team.name.upper()} / innesäljare"  # any case
    fields["column-2-place"] = f"New hat in {world.sales.name}"
    fields["column-3-place"] = "Nothing of that name"
    response = as_admin.post(page_url(job), fields, follow=True)
    assert "Nothing of that name" in response.content.decode()  # said so, kept
    new = Job.objects.for_org(world.org).filter(kind=Job.IMPORT_READ).latest("pk")
    hats = new.params["choices"]["hats"]
    assert hats["1"] == {"hat": world.hat.pk}
    assert hats["2"] == {"function": world.sales.pk}
    assert "3" not in hats
