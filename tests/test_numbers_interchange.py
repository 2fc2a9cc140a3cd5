"""The weekly numbers in and out: the JSON backup round-trips them, the
scorecard downloads as a workbook, and a sheet of numbers is imported through
two jobs (preview, then save)."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from roles import models as m
from roles import numbers as rules
from roles.interchange.backup import export_org, import_org
from roles.services import numbers as services
from roles.tasks import run_job

from . import factories as f
from .conftest import client_for
from .import_jobs_helpers import apply, apply_url, job_of, page_url, previewed, upload
from .jobs_helpers import drain

WEEK = datetime.date(2026, 11, 30)
NOW = datetime.datetime(2026, 12, 3, 12, tzinfo=datetime.UTC)


def test_the_backup_round_trips_numbers_their_history_and_settings(world):
    kpi = f.KPIFactory(hat=world.hat, value_kind="percent", direction="range", goal=40)
    kpi.goal_high = 60
    kpi.save()
    world.org.week_ends, world.org.kpi_off_target_periods = 4, 5
    world.org.save()
    week = services.current(world.org, now=NOW)
    services.enter_value(world.org, kpi, world.member, week, "45.5", world.member, now=NOW)
    services.enter_value(world.org, kpi, world.member, week, "47", world.manager, now=NOW)
    document = json.loads(json.dumps(export_org(world.org)))
    assert len(document["tables"]["kpivalue"]) == 1
    assert len(document["tables"]["kpivaluechange"]) == 2
    copy = import_org(document, slug="alfa-copy")
    assert (copy.week_ends, copy.kpi_off_target_periods) == (4, 5)
    value = m.KPIValue.objects.get(org=copy)
    assert (value.value, value.period, value.person.email, value.author.email) == (
        47,
        week,
        world.member.email,
        world.manager.email,
    )
    assert (value.kpi.value_kind, value.kpi.direction, value.kpi.goal_high) == (
        "percent",
        "range",
        60,
    )
    assert value.kpi.hat.org == copy
    assert m.KPIValueChange.objects.filter(org=copy).count() == 2
    again = json.loads(json.dumps(export_org(copy)))
    document["organisation"].pop("slug")
    again["organisation"].pop("slug")
    assert again == document


def test_the_scorecard_downloads_as_a_coloured_workbook(world):
    import io

    from openpyxl import load_workbook

    from .conftest import client_for

    kpi = f.KPIFactory(hat=world.hat, name="Offerter", value_kind="count", target="10")
    this = services.current(world.org)
    m.KPIValue.objects.create(org=world.org, kpi=kpi, person=world.member, period=this, value=4)
    response = client_for(world.member).get(
        f"/o/{world.org.slug}/scorecard.xlsx?function={world.sales.id}"
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("KPI", "Hat", "Function", "Target")
    assert rows[1][:3] == ("Offerter", world.hat.title, world.team.name) and rows[1][-2] == 4
    assert sheet.cell(row=2, column=len(rows[0]) - 1).fill.fgColor.rgb.endswith("F8D7DA")


# The numbers import: a job reads and plans the upload (the preview), a second
# job saves it, all or nothing, once (as the matrix import: test_import_jobs.py).


def preview(client, world, text, name="numbers.csv"):
    """Upload the sheet, run the reading job here; (job, its page)."""
    return previewed(client, world.org, text.encode(), name, page="roles:numbers-import")


def save(client, job):
    """Press "Save" on the preview of `job`, run the job; (apply job, its page)."""
    return apply(client, job, {"digest": job.data["digest"]})


def numbers_sheet(*rows):
    return "Person;KPI;Vecka;Värde\n" + "".join(";".join(map(str, r)) + "\n" for r in rows)


@pytest.fixture
def booked(world, inline_jobs):
    """A count KPI on the member's hat, with 3 entered last week."""
    kpi = f.KPIFactory(hat=world.hat, name="Bokade möten", value_kind="count")
    this = services.current(world.org)
    last = rules.shift(this, -1)
    m.KPIValue.objects.create(org=world.org, kpi=kpi, person=world.member, period=last, value=3)
    return kpi, this, last


def test_numbers_import_previews_in_a_job_then_saves_only_good_rows(world, booked):
    kpi, this, last = booked
    year, week, _d = last.isocalendar()
    sheet = numbers_sheet(
        (world.member.email, "Bokade möten", this.isoformat(), 12),
        (world.member.name, "bokade möten", f"v. {week} {year}", 4),
        (world.member.email, "Bokade möten", "2099-01-05", 1),
        (world.member.email, "Okänt", this.isoformat(), 1),
        (world.manager.email, "Bokade möten", this.isoformat(), 1),
        (world.member.email, "Bokade möten", this.isoformat(), -2),
    )
    admin = client_for(world.admin)
    response = upload(admin, world.org, sheet.encode(), "numbers.csv", page="roles:numbers-import")
    job = job_of(response)
    assert job.kind == m.Job.NUMBERS_READ and job.state == m.Job.QUEUED
    # While the job waits, its page shows the progress and polls.
    waiting = admin.get(page_url(job)).content.decode()
    assert 'id="import-status"' in waiting and "hx-get" in waiting
    drain()
    page = admin.get(page_url(job)).content.decode()
    assert "2 values to save" in page and "4 rows with a problem" in page
    assert "was 3" in page and "not started yet" in page and "cannot be negative" in page
    assert not m.KPIValue.objects.filter(period=this).exists()  # only a preview
    assert not [k for k in admin.session.keys() if "import" in k]  # noqa: SIM118
    job.refresh_from_db()
    applied, result = save(admin, job)
    assert applied.kind == m.Job.NUMBERS_APPLY and applied.state == m.Job.DONE
    done = result.content.decode()
    assert "2 values saved" in done
    assert reverse("roles:scorecard", kwargs={"org": world.org.slug}) in done
    values = dict(m.KPIValue.objects.filter(kpi=kpi).values_list("period", "value"))
    assert values == {this: 12, last: 4}
    history = m.KPIValueChange.objects.filter(kpi=kpi, author=world.admin)
    assert sorted((c.period, c.old, c.new) for c in history) == [(last, 3, 4), (this, None, 12)]


def test_numbers_import_without_the_columns_says_so(world, inline_jobs):
    job, page = preview(client_for(world.admin), world, "a,b\n1,2\n")
    assert job.state == m.Job.FAILED
    assert "No header row with the columns" in page.content.decode()
    assert client_for(world.member).get(f"/o/{world.org.slug}/numbers/import/").status_code == 403


def test_a_preview_is_saved_once(world, booked):
    kpi, this, _last = booked
    admin = client_for(world.admin)
    job, _page = preview(admin, world, numbers_sheet((world.member.email, "Bokade möten", this, 7)))
    applied, _page = save(admin, job)
    assert applied.state == m.Job.DONE
    # The page's button pressed again: refused, said so, nothing started.
    again = admin.post(apply_url(job), {"digest": job.data["digest"]}, follow=True)
    assert "applied already" in again.content.decode()
    assert 'id="numbers-applied"' in again.content.decode()  # the preview says so
    assert m.Job.objects.filter(kind=m.Job.NUMBERS_APPLY).count() == 1
    # The apply job run again (its worker died after it saved): nothing doubled.
    m.Job.objects.filter(pk=applied.pk).update(state=m.Job.QUEUED)
    run_job.enqueue(applied.pk)
    drain()
    applied.refresh_from_db()
    assert applied.state == m.Job.FAILED and "applied already" in applied.error
    assert m.KPIValue.objects.get(kpi=kpi, period=this).value == 7
    assert m.KPIValueChange.objects.filter(kpi=kpi, period=this).count() == 1


def test_a_row_refused_when_saving_saves_nothing(world, booked):
    """All or nothing: a wearer who took off the hat since the preview."""
    kpi, this, last = booked
    f.AssignmentFactory(org=world.org, hat=world.hat, person=world.manager, share=100)
    sheet = numbers_sheet(
        (world.member.email, "Bokade möten", this, 5),
        (world.manager.email, "Bokade möten", this, 6),
    )
    admin = client_for(world.admin)
    job, page = preview(admin, world, sheet)
    assert "2 values to save" in page.content.decode()
    m.Assignment.objects.filter(person=world.manager).update(ended=timezone.now())
    applied, page = save(admin, job)
    assert applied.state == m.Job.FAILED
    text = page.content.decode()
    assert "Nothing was saved:" in text and "does not wear the hat" in text
    assert not m.KPIValue.objects.filter(kpi=kpi, period=this).exists()
    assert m.KPIValueChange.objects.filter(kpi=kpi).count() == 0


def test_a_value_changed_since_the_preview_is_not_overwritten(world, booked):
    kpi, _this, last = booked
    admin = client_for(world.admin)
    job, page = preview(admin, world, numbers_sheet((world.member.email, "Bokade möten", last, 4)))
    assert "was 3" in page.content.decode()
    services.enter_value(world.org, kpi, world.member, last, "5", world.member)
    applied, page = save(admin, job)
    assert applied.state == m.Job.FAILED
    assert "Changed meanwhile by someone else: the value is now 5" in page.content.decode()
    assert m.KPIValue.objects.get(kpi=kpi, period=last).value == 5
    # An altered page (another digest) is refused before any job starts.
    response = admin.post(apply_url(job), {"digest": "0" * 64}, follow=True)
    assert "That preview has expired" in response.content.decode()


def test_numbers_import_jobs_are_the_organisations_own(world, other_world, booked):
    _kpi, this, _last = booked
    admin = client_for(world.admin)
    job, _page = preview(admin, world, numbers_sheet((world.member.email, "Bokade möten", this, 7)))
    outsider = client_for(other_world.admin)
    assert outsider.get(page_url(job)).status_code == 404
    assert outsider.post(apply_url(job), {"digest": job.data["digest"]}).status_code == 404
    theirs = page_url(job).replace(f"/o/{world.org.slug}/", f"/o/{other_world.org.slug}/")
    assert outsider.get(theirs).status_code == 404
    assert outsider.post(f"{theirs}apply/", {"digest": job.data["digest"]}).status_code == 404
    assert client_for(world.member).get(page_url(job)).status_code == 403
    assert not m.KPIValue.objects.filter(period=this).exists()
    # The matrix import's pages do not take a numbers job, nor the reverse.
    matrix_page = reverse(
        "roles:matrix-import-preview", kwargs={"org": world.org.slug, "import_job_id": job.pk}
    )
    assert admin.get(matrix_page).status_code == 404
    # The job's page in the list of jobs is the import's page, for admins only.
    detail = reverse("roles:job-detail", kwargs={"org": world.org.slug, "job_id": job.pk})
    assert admin.get(detail)["Location"] == page_url(job)
    assert client_for(world.member).get(detail).status_code == 404


def test_a_numbers_import_and_a_matrix_import_do_not_wait_for_each_other(world, inline_jobs):
    admin = client_for(world.admin)
    sheet = numbers_sheet((world.member.email, "x", "2026-W01", 1)).encode()
    numbers = job_of(upload(admin, world.org, sheet, "n.csv", page="roles:numbers-import"))
    matrix = job_of(upload(admin, world.org, b"Task,Innesaljare\nRing,R\n", "m.csv"))
    assert numbers != matrix and matrix.kind == m.Job.IMPORT_READ
    # A second numbers upload is sent to the running one.
    second = upload(admin, world.org, sheet, "n2.csv", page="roles:numbers-import")
    assert job_of(second) == numbers
