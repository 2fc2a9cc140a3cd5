"""Hats from the template library: in the organisation's language whatever the
reader's, reusing the areas and tasks the organisation already has under any
name the library knows, never leaving a gap, and shown before they are added."""

import pytest

from roles import hat_templates
from roles import models as m
from roles.services import hat_templates as from_template

from . import factories as f


def url(world):
    return f"/o/alfa/functions/{world.team.pk}/hats/new/"


@pytest.fixture
def english_reader(as_manager):
    as_manager.cookies["django_language"] = "en"
    return as_manager


def create(client, world, key, **extra):
    return client.post(url(world), {"template": key, "confirm": "1", **extra})


def test_the_library_gives_every_area_and_task_a_key_with_both_names():
    for key in hat_templates.LIBRARY:
        sv, en = hat_templates.get_template(key, "sv"), hat_templates.get_template(key, "en")
        assert [d.task_key for d in sv.duties] == [d.task_key for d in en.duties]
        for a, b in zip(sv.duties, en.duties, strict=True):
            assert a.task in b.task_names and b.task in a.task_names
            assert a.area in b.area_names and b.area in a.area_names


def test_a_swedish_organisation_gets_swedish_areas_and_tasks_with_an_english_reader(
    world, english_reader
):
    assert world.org.language == "sv"
    response = create(english_reader, world, "account_executive")
    hat = m.Hat.objects.get(function=world.team, title="Säljare")
    assert response.status_code == 302
    assert hat.purpose.startswith("Vinna nya affärer")
    assert list(hat.kpis.values_list("name", flat=True))[0] == "Kundmöten"
    names = set(m.Area.objects.filter(org=world.org).values_list("name", flat=True))
    assert {"Prospektering", "Offert", "Uppföljning"} <= names
    assert not names & {"Prospecting", "Quote", "Follow-up", "Meeting"}
    tasks = set(m.Task.objects.filter(org=world.org).values_list("name", flat=True))
    assert "Skriva och skicka offerter" in tasks and "Write and send quotes" not in tasks


def test_existing_equivalents_are_reused_not_duplicated(world, english_reader):
    # The company's own wording, and an area someone once named in English.
    lead = f.HatFactory(org=world.org, function=world.team, title="Teamledare")
    booking = f.TaskFactory(org=world.org, area=world.area, name="Boka kundmöten")
    f.ResponsibilityFactory(org=world.org, task=booking, hat=lead, letter="A")
    f.ResponsibilityFactory(org=world.org, task=booking, hat=world.hat, letter="R")
    follow = f.AreaFactory(org=world.org, name="Follow-up")
    m.Task.objects.for_org(world.org).refresh_status()

    create(english_reader, world, "sdr")
    hat = m.Hat.objects.get(function=world.team, title="Innesäljare (2)")
    tasks = m.Task.objects.filter(org=world.org)
    assert not tasks.filter(name__in=["Boka möten med nya kunder", "Book meetings"]).exists()
    # The template's A on booking meetings does not take the team lead's A.
    cell = set(booking.responsibilities.filter(hat=hat).values_list("letter", flat=True))
    assert cell == {"R"}
    assert list(booking.responsibilities.filter(letter="A").values_list("hat", flat=True)) == [
        lead.pk
    ]
    # Its follow-up tasks went into the existing "Follow-up" area, not a new "Uppföljning".
    handover = tasks.get(name="Lämna över möten till säljare med anteckningar")
    assert handover.area == follow
    assert not m.Area.objects.filter(org=world.org, name="Uppföljning").exists()
    assert m.Area.objects.filter(org=world.org, name__iexact="prospektering").count() == 1


def test_templates_never_create_a_gap_and_report_to_the_head(world, as_manager):
    chief = f.HatFactory(org=world.org, function=world.sales, title="Försäljningschef")
    f.AssignmentFactory(org=world.org, hat=chief, person=world.manager)
    before = set(m.Task.objects.filter(org=world.org).values_list("id", flat=True))
    for key in hat_templates.LIBRARY:
        assert create(as_manager, world, key).status_code == 302
    new_hats = m.Hat.objects.filter(function=world.team).exclude(pk=world.hat.pk)
    assert new_hats.count() == len(hat_templates.LIBRARY)
    assert {h.reports_to_id for h in new_hats} == {chief.pk}
    touched = m.Task.objects.filter(org=world.org, responsibilities__hat__in=new_hats).distinct()
    assert touched.count() > 30
    for task in touched.exclude(id__in=before):
        letters = list(task.responsibilities.values_list("letter", flat=True))
        assert letters.count("A") == 1 and "R" in letters, (task.name, letters)


def test_the_preview_lists_what_will_be_added_and_adds_nothing(world, english_reader):
    hats, tasks, areas = (
        m.Hat.objects.count(),
        m.Task.objects.count(),
        m.Area.objects.count(),
    )
    response = english_reader.post(url(world), {"template": "sdr"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Add the hat “Innesäljare (2)”?" in page
    assert (m.Hat.objects.count(), m.Task.objects.count(), m.Area.objects.count()) == (
        hats,
        tasks,
        areas,
    )
    plan = response.context["plan"]
    assert plan.new_areas == ["Uppföljning"]
    assert plan.reused_areas == ["Prospektering"]
    assert [d.task_name for d in plan.new_tasks][:2] == [
        "Bygga och rensa ringlistor",
        "Ringa och mejla nya leads",
    ]
    # "Lämna över möten…" is R in the library: new here, it gets the A too.
    handover = next(d for d in plan.duties if d.duty.task_key.startswith("hand_meetings"))
    assert handover.text == "A/R" and handover.added == frozenset("A")
    assert "Bygga och rensa ringlistor" in page and "Uppföljning" in page
    assert 'name="confirm"' in page

    # Back keeps the choice; confirming adds what was shown.
    back = english_reader.post(url(world), {"template": "sdr", "back": "1"})
    assert back.status_code == 200 and 'value="sdr" selected' in back.content.decode()
    create(english_reader, world, "sdr")
    hat = m.Hat.objects.get(function=world.team, title="Innesäljare (2)")
    assert hat.responsibilities.values("task").distinct().count() == len(plan.duties)


def test_plan_reads_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for i in range(30):
        f.TaskFactory(org=world.org, area=world.area, name=f"Uppgift {i}")
    template = hat_templates.get_template("account_executive", "sv")
    with django_assert_max_num_queries(8):
        from_template.plan(world.team, template)
