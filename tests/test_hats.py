"""The hat pages: job description, PDF, editor, duties, wearers, new hats,
publishing and revisions."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from roles import models as m
from roles.hat_templates import LIBRARY, all_templates
from roles.services import hats as service

from . import factories as f
from .conftest import client_for


@pytest.fixture(autouse=True)
def english(settings):
    """Pages in English unless a test asks for Swedish (the messages tested are English)."""
    settings.LANGUAGE_CODE = "en"


def url(name, **kwargs):
    kwargs.setdefault("org", "alfa")
    return reverse(f"roles:{name}", kwargs=kwargs)


def edit_data(hat, **over):
    """The editor's POST as the browser sends it for `hat` unchanged."""
    data = {
        "version": hat.version,
        "title": hat.title,
        "function": hat.function_id,
        "purpose": hat.purpose,
        "product": hat.product,
        "authority": hat.authority,
        "reports_to": hat.reports_to_id or "",
        "notes": hat.notes,
        "kpis-TOTAL_FORMS": 0,
        "kpis-INITIAL_FORMS": 0,
        "checklist-TOTAL_FORMS": 0,
        "checklist-INITIAL_FORMS": 0,
    }
    kpis = over.pop("kpis", None)
    if kpis is None:
        kpis = [
            {"name": k.name, "target": k.target, "unit": k.unit, "period": k.period}
            for k in hat.kpis.all()
        ]
    for i, k in enumerate(kpis):
        for key, value in k.items():
            data[f"kpis-{i}-{key}"] = value
    data["kpis-TOTAL_FORMS"] = len(kpis)
    items = over.pop("checklist", None)
    if items is None:
        items = [c.text for c in hat.checklist.all()]
    for i, text in enumerate(items):
        data[f"checklist-{i}-text"] = text
    data["checklist-TOTAL_FORMS"] = len(items)
    data.update(over)
    return data


# Access ladder -----------------------------------------------------------------
READS = ["hat-detail", "hat-pdf", "hat-revisions"]
WRITES = [
    ("hat-edit", {}),
    ("hat-duty-add", {}),
    ("hat-wearer-add", {}),
    ("hat-publish", {}),
]


@pytest.mark.parametrize("name", READS + [w for w, _ in WRITES])
def test_anonymous_is_sent_to_login(world, name):
    response = Client().get(url(name, hat_id=world.hat.pk))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", READS + [w for w, _ in WRITES])
def test_outsider_gets_404(world, as_outsider, name):
    assert as_outsider.get(url(name, hat_id=world.hat.pk)).status_code in (404, 405)
    assert as_outsider.post(url(name, hat_id=world.hat.pk)).status_code == 404


def test_outsider_gets_404_on_create_and_nested_urls(world, as_outsider):
    task, a = world.task, world.hat.assignments.get()
    assert as_outsider.get(url("hat-create", function_id=world.team.pk)).status_code == 404
    assert (
        as_outsider.post(url("hat-duty-remove", hat_id=world.hat.pk, task_id=task.pk)).status_code
        == 404
    )
    assert (
        as_outsider.post(url("hat-wearer-end", hat_id=world.hat.pk, assignment_id=a.pk)).status_code
        == 404
    )


def test_own_orgs_other_hat_id_is_404_for_other_org(world, other_world, as_admin):
    """A hat id of another organisation under this organisation's slug is not found."""
    assert as_admin.get(url("hat-detail", hat_id=other_world.hat.pk)).status_code == 404
    assert as_admin.get(url("hat-edit", hat_id=other_world.hat.pk)).status_code == 404


@pytest.mark.parametrize("name", READS)
def test_member_reads(world, as_member, name):
    assert as_member.get(url(name, hat_id=world.hat.pk)).status_code == 200


@pytest.mark.parametrize("name", [w for w, _ in WRITES])
def test_member_cannot_write(world, as_member, name):
    assert as_member.post(url(name, hat_id=world.hat.pk), {"note": "x"}).status_code == 403
    assert as_member.get(url("hat-edit", hat_id=world.hat.pk)).status_code == 403


def test_member_cannot_create_remove_or_end(world, as_member):
    a = world.hat.assignments.get()
    assert as_member.get(url("hat-create", function_id=world.team.pk)).status_code == 403
    assert (
        as_member.post(url("hat-duty-remove", hat_id=world.hat.pk, task_id=world.task.pk))
    ).status_code == 403
    assert (
        as_member.post(url("hat-wearer-end", hat_id=world.hat.pk, assignment_id=a.pk))
    ).status_code == 403
    assert m.Responsibility.objects.filter(hat=world.hat).count() == 1
    assert world.hat.assignments.filter(ended__isnull=True).count() == 1


@pytest.mark.parametrize("name", [w for w, _ in WRITES])
def test_manager_outside_their_functions_gets_403(world, as_manager, name):
    assert as_manager.post(url(name, hat_id=world.other_hat.pk), {"note": "x"}).status_code == 403
    assert world.other_hat.revisions.count() == 0


def test_manager_outside_cannot_create_or_remove(world, as_manager):
    assert as_manager.get(url("hat-create", function_id=world.other.pk)).status_code == 403
    assert (
        as_manager.post(url("hat-duty-remove", hat_id=world.other_hat.pk, task_id=world.task.pk))
    ).status_code == 403
    assert m.Responsibility.objects.filter(hat=world.other_hat, letter="A").exists()


def test_manager_inside_and_admin_everywhere(world, as_manager, as_admin):
    assert as_manager.get(url("hat-edit", hat_id=world.hat.pk)).status_code == 200
    assert as_manager.get(url("hat-create", function_id=world.team.pk)).status_code == 200
    assert as_admin.get(url("hat-edit", hat_id=world.other_hat.pk)).status_code == 200


# The hat page ----------------------------------------------------------------------
def test_hat_page_reads_as_a_job_description(world, as_member):
    hat = world.hat
    hat.purpose, hat.product, hat.authority = "Skapa möten.", "Bokade möten.", "Får boka."
    hat.reports_to = world.other_hat
    hat.save()
    f.KPIFactory(hat=hat, name="Bokade möten", target="12", unit="st", period="vecka")
    m.ChecklistItem.objects.create(hat=hat, text="Lär dig CRM")
    later = f.AreaFactory(org=world.org, name="Offert", position=world.area.position + 1)
    t2 = f.TaskFactory(org=world.org, area=later, name="Skriva offert")
    f.ResponsibilityFactory(org=world.org, task=t2, hat=hat, letter="A")
    f.ResponsibilityFactory(org=world.org, task=t2, hat=hat, letter="R")
    t3 = f.TaskFactory(org=world.org, area=later, name="Prissättning")
    f.ResponsibilityFactory(org=world.org, task=t3, hat=hat, letter="C")
    page = as_member.get(url("hat-detail", hat_id=hat.pk)).content.decode()
    for text in (
        "Innesäljare",
        "Skapa möten.",
        "Bokade möten.",
        "Får boka.",
        "Ekonomichef",
        "Lär dig CRM",
        "vecka",
        "Prissättning",
        world.member.name,
    ):
        assert text in page
    # Grouped by area in area order, marked R and A/R.
    assert page.index("Prospektering") < page.index("Boka möten") < page.index("Offert")
    assert page.index("Offert") < page.index("Skriva offert")
    assert ">A/R<" in page and ">R<" in page


def test_manager_sees_who_has_confirmed(world, as_manager, as_member):
    second = f.PersonFactory(org=world.org, name="Bo Bengtsson")
    f.AssignmentFactory(org=world.org, hat=world.hat, person=second)
    service.publish_hat(world.hat, world.manager, "Första")
    service.acknowledge(world.member, world.hat)
    page = as_manager.get(url("hat-detail", hat_id=world.hat.pk)).content.decode()
    assert "Bo Bengtsson" in page
    assert page.count("not confirmed") == 1
    member_page = as_member.get(url("hat-detail", hat_id=world.hat.pk)).content.decode()
    assert "Confirmed by the wearers" not in member_page


def test_hat_page_lists_kpis_and_checklist_in_order_and_the_current_revision(
    world, as_manager, as_member
):
    hat = world.hat
    f.KPIFactory(hat=hat, name="Andra KPI", position=2, target="5", unit="st", period="dag")
    f.KPIFactory(hat=hat, name="Första KPI", position=1, target="9", unit="%", period="år")
    m.ChecklistItem.objects.create(hat=hat, text="Sist i listan", position=2)
    m.ChecklistItem.objects.create(hat=hat, text="Först i listan", position=1)
    page = as_member.get(url("hat-detail", hat_id=hat.pk)).content.decode()
    assert page.index("Första KPI") < page.index("Andra KPI")
    assert "<td>Första KPI</td><td>9</td><td>%</td><td>år</td>" in page
    assert page.index("Först i listan") < page.index("Sist i listan")
    assert "not yet published" in page
    service.publish_hat(hat, world.manager, "Första")
    service.acknowledge(world.member, hat)
    service.save_hat(hat, {"purpose": "Att göra ännu mer nytta."}, hat.version, world.manager)
    service.publish_hat(hat, world.manager, "Andra")
    revision = m.HatRevision.objects.get(hat=hat, number=2)
    page = as_manager.get(url("hat-detail", hat_id=hat.pk)).content.decode()
    published = timezone.localtime(revision.created)
    assert f"2, published {published.day} {published:%b %Y}" in page  # "4 Dec 2026"
    # Confirmations count for the current revision only.
    assert page.count("not confirmed") == 1


def hat_with_lots(world, tasks, wearers):
    hat = world.hat
    for i in range(tasks):
        area = world.area if i % 2 else f.AreaFactory(org=world.org)
        t = f.TaskFactory(org=world.org, area=area)
        f.ResponsibilityFactory(org=world.org, task=t, hat=hat, letter="R" if i % 3 else "C")
    for _ in range(wearers):
        f.AssignmentFactory(org=world.org, hat=hat, person=f.PersonFactory(org=world.org), share=10)
    for _ in range(5):
        f.KPIFactory(hat=hat)
    service.publish_hat(hat, world.manager, "x")
    service.acknowledge(world.member, hat)
    ended = f.AssignmentFactory(org=world.org, hat=hat, person=f.PersonFactory(org=world.org))
    service.end_wearer(ended, "Notering", world.manager)
    return hat


@pytest.mark.parametrize("size", [(1, 1), (200, 50)])
def test_hat_page_query_count_is_fixed(world, as_manager, django_assert_max_num_queries, size):
    hat = hat_with_lots(world, *size)
    with django_assert_max_num_queries(16):
        response = as_manager.get(url("hat-detail", hat_id=hat.pk))
    assert response.status_code == 200


@pytest.mark.parametrize("size", [(1, 1), (200, 50)])
def test_editor_and_revisions_query_count_is_fixed(
    world, as_manager, django_assert_max_num_queries, size
):
    hat = hat_with_lots(world, *size)
    with django_assert_max_num_queries(22):
        assert as_manager.get(url("hat-edit", hat_id=hat.pk)).status_code == 200
    with django_assert_max_num_queries(16):
        assert as_manager.get(url("hat-revisions", hat_id=hat.pk)).status_code == 200


def test_pdf(world, as_member):
    service.publish_hat(world.hat, world.manager, "Första")
    response = as_member.get(url("hat-pdf", hat_id=world.hat.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


# The editor -----------------------------------------------------------------------
def test_edit_saves_fields_kpis_checklist_with_history(world, as_manager):
    hat = world.hat
    data = edit_data(
        hat,
        purpose="Ny mening.",
        reports_to=world.other_hat.pk,
        kpis=[
            {"name": "Samtal", "target": "60", "unit": "st", "period": "dag", "position": 2},
            {"name": "Möten", "target": "12", "unit": "st", "period": "vecka", "position": 1},
        ],
        checklist=["Läs manus"],
    )
    response = as_manager.post(url("hat-edit", hat_id=hat.pk), data)
    assert response.status_code == 302
    hat.refresh_from_db()
    assert hat.purpose == "Ny mening."
    assert hat.reports_to == world.other_hat
    assert hat.version == 2
    assert [k.name for k in hat.kpis.all()] == ["Möten", "Samtal"]
    assert [c.text for c in hat.checklist.all()] == ["Läs manus"]
    fields = set(hat.changes.values_list("field", flat=True))
    assert {"purpose", "reports_to", "kpis", "checklist"} <= fields
    change = hat.changes.get(field="purpose")
    assert (change.old, change.new, change.author) == (
        "Att göra nytta.",
        "Ny mening.",
        world.manager,
    )
    page = as_manager.get(url("hat-detail", hat_id=hat.pk)).content.decode()
    assert "Ny mening." in page
    history = as_manager.get(url("hat-revisions", hat_id=hat.pk)).content.decode()
    assert "History" in history and "Att göra nytta." in history


def test_edit_removes_a_kpi(world, as_manager):
    hat = world.hat
    f.KPIFactory(hat=hat, name="Gammal")
    f.KPIFactory(hat=hat, name="Kvar")
    data = edit_data(hat)
    data["kpis-INITIAL_FORMS"] = 2
    data["kpis-0-DELETE"] = "on"
    as_manager.post(url("hat-edit", hat_id=hat.pk), data)
    assert [k.name for k in hat.kpis.all()] == ["Kvar"]


def test_unchanged_save_does_not_bump_version(world, as_manager):
    as_manager.post(url("hat-edit", hat_id=world.hat.pk), edit_data(world.hat))
    world.hat.refresh_from_db()
    assert world.hat.version == 1


def test_manager_may_not_move_a_hat_into_a_function_they_do_not_edit(world, as_manager):
    data = edit_data(world.hat, function=world.other.pk)
    response = as_manager.post(url("hat-edit", hat_id=world.hat.pk), data)
    assert response.status_code == 200
    assert "Choose a function you may edit" in response.content.decode()
    world.hat.refresh_from_db()
    assert world.hat.function == world.team


# Concurrent edits ------------------------------------------------------------------
def test_concurrent_edit_shows_conflict_and_overwrites_nothing(world):
    hat = world.hat
    alice, bob = client_for(world.manager), client_for(world.admin)
    assert alice.get(url("hat-edit", hat_id=hat.pk)).status_code == 200
    assert bob.get(url("hat-edit", hat_id=hat.pk)).status_code == 200
    opened = edit_data(hat)  # both opened version 1

    saved = alice.post(url("hat-edit", hat_id=hat.pk), {**opened, "purpose": "Alices syfte."})
    assert saved.status_code == 302

    stale = bob.post(url("hat-edit", hat_id=hat.pk), {**opened, "purpose": "Bobs syfte."})
    assert stale.status_code == 409
    page = stale.content.decode()
    assert "Alices syfte." in page and "Bobs syfte." in page  # theirs and yours
    assert 'name="resolve_purpose"' in page
    assert 'name="version" value="2"' in page
    hat.refresh_from_db()
    assert hat.purpose == "Alices syfte." and hat.version == 2

    # Saving the conflict page without choosing asks again; nothing changes.
    again = bob.post(
        url("hat-edit", hat_id=hat.pk),
        {**opened, "version": 2, "purpose": "Bobs syfte.", "conflict_fields": "purpose"},
    )
    assert again.status_code == 409
    hat.refresh_from_db()
    assert hat.purpose == "Alices syfte."

    # Bob takes his own text: saved on top of version 2.
    resolved = bob.post(
        url("hat-edit", hat_id=hat.pk),
        {
            **opened,
            "version": 2,
            "purpose": "Bobs syfte.",
            "conflict_fields": "purpose",
            "resolve_purpose": "mine",
        },
    )
    assert resolved.status_code == 302
    hat.refresh_from_db()
    assert hat.purpose == "Bobs syfte." and hat.version == 3


def test_conflict_keep_theirs_per_field(world):
    hat = world.hat
    alice, bob = client_for(world.manager), client_for(world.admin)
    opened = edit_data(hat)
    alice.post(url("hat-edit", hat_id=hat.pk), {**opened, "title": "Alices titel"})
    mine = {**opened, "notes": "Bobs anteckning", "title": "Bobs titel"}
    stale = bob.post(url("hat-edit", hat_id=hat.pk), mine)
    assert stale.status_code == 409
    bob.post(
        url("hat-edit", hat_id=hat.pk),
        {
            **mine,
            "version": 2,
            "conflict_fields": "title,notes",
            "resolve_title": "theirs",
            "resolve_notes": "mine",
        },
    )
    hat.refresh_from_db()
    assert hat.title == "Alices titel"
    assert hat.notes == "Bobs anteckning"


def test_save_hat_refuses_a_stale_version(world):
    service.save_hat(world.hat, {"purpose": "Ett"}, 1, world.admin)
    with pytest.raises(service.StaleHat) as caught:
        service.save_hat(world.hat, {"purpose": "Två"}, 1, world.admin)
    assert caught.value.current.purpose == "Ett"
    world.hat.refresh_from_db()
    assert world.hat.purpose == "Ett"


# Duties ---------------------------------------------------------------------------
def test_add_existing_task_as_a_moves_the_a(world, as_manager):
    response = as_manager.post(
        url("hat-duty-add", hat_id=world.hat.pk), {"task": world.task.pk, "letters": "A/R"}
    )
    assert response.status_code == 302
    assert set(
        m.Responsibility.objects.filter(task=world.task, hat=world.hat).values_list(
            "letter", flat=True
        )
    ) == {"A", "R"}
    assert not m.Responsibility.objects.filter(task=world.task, hat=world.other_hat).exists()
    page = as_manager.get(response["Location"]).content.decode()
    assert "Ekonomichef" in page  # the message says where the A came from


def test_add_new_task_in_new_area(world, as_manager):
    as_manager.post(
        url("hat-duty-add", hat_id=world.hat.pk),
        {"new_task": "Kvalificera leads", "area": "Leads", "letters": "R"},
    )
    task = m.Task.objects.get(org=world.org, name="Kvalificera leads")
    assert task.area.name == "Leads"
    assert m.Responsibility.objects.get(task=task).hat == world.hat
    # The same area name again is matched, not duplicated.
    as_manager.post(
        url("hat-duty-add", hat_id=world.hat.pk),
        {"new_task": "Ringa", "area": "leads", "letters": "A"},
    )
    assert m.Area.objects.filter(org=world.org, name__iexact="leads").count() == 1


def test_duty_form_errors(world, other_world, as_manager):
    before = m.Responsibility.objects.count()
    for data in (
        {"letters": "R"},
        {"task": world.task.pk, "new_task": "Båda", "letters": "R"},
        {"task": other_world.task.pk, "letters": "R"},
        {"task": world.task.pk, "letters": "C"},
    ):
        response = as_manager.post(url("hat-duty-add", hat_id=world.hat.pk), data)
        assert response.status_code == 200
        assert "alert-danger" in response.content.decode() or "invalid" in response.content.decode()
    assert m.Responsibility.objects.count() == before


def test_remove_duty_keeps_c_and_i(world, as_manager):
    f.ResponsibilityFactory(org=world.org, task=world.task, hat=world.hat, letter="I")
    as_manager.post(url("hat-duty-remove", hat_id=world.hat.pk, task_id=world.task.pk))
    assert set(
        m.Responsibility.objects.filter(task=world.task, hat=world.hat).values_list(
            "letter", flat=True
        )
    ) == {"I"}
    assert world.hat.changes.filter(kind=m.HatChange.DUTY).exists()


# Wearers and handover ---------------------------------------------------------------
def test_end_and_add_wearer_makes_a_handover(world, as_manager):
    a = world.hat.assignments.get()
    response = as_manager.post(
        url("hat-wearer-end", hat_id=world.hat.pk, assignment_id=a.pk),
        {f"end{a.pk}-note": "Kundlistan ligger i CRM."},
    )
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.ended and a.handover_note == "Kundlistan ligger i CRM."
    handover = world.hat.handovers.get()
    assert handover.outgoing == world.member and handover.incoming is None

    newcomer = f.PersonFactory(org=world.org, name="Nina Ny")
    as_manager.post(
        url("hat-wearer-add", hat_id=world.hat.pk), {"person": newcomer.pk, "share": 50}
    )
    handover.refresh_from_db()
    assert handover.incoming == newcomer
    assert world.hat.assignments.get(ended__isnull=True).share == 50

    service.publish_hat(world.hat, world.manager, "")
    service.acknowledge(newcomer, world.hat)
    handover.refresh_from_db()
    assert handover.acknowledged is not None
    page = as_manager.get(url("hat-detail", hat_id=world.hat.pk)).content.decode()
    assert "Kundlistan ligger i CRM." in page  # past wearers with the note
    assert f"{world.member.name} → Nina Ny · confirmed by the incoming wearer" in page
    kinds = list(world.hat.changes.values_list("kind", flat=True))
    assert kinds.count(m.HatChange.WEARER) == 2


@pytest.mark.parametrize("share", ["0", "150", "-5", "abc"])
def test_bad_share_is_a_form_error(world, as_manager, share):
    person = f.PersonFactory(org=world.org)
    response = as_manager.post(
        url("hat-wearer-add", hat_id=world.hat.pk), {"person": person.pk, "share": share}
    )
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert not world.hat.assignments.filter(person=person).exists()


def test_person_of_another_org_cannot_be_added(world, other_world, as_manager):
    response = as_manager.post(
        url("hat-wearer-add", hat_id=world.hat.pk), {"person": other_world.member.pk}
    )
    assert response.status_code == 200
    assert "Choose an active person of this organisation" in response.content.decode()
    assert world.hat.assignments.count() == 1


def test_wearing_twice_is_a_form_error(world, as_manager):
    response = as_manager.post(
        url("hat-wearer-add", hat_id=world.hat.pk), {"person": world.member.pk}
    )
    assert response.status_code == 200
    assert "already wears" in response.content.decode()


def test_ending_an_ended_or_foreign_assignment_is_404(world, as_manager):
    other = f.AssignmentFactory(org=world.org, hat=world.other_hat, person=world.manager)
    assert (
        as_manager.post(url("hat-wearer-end", hat_id=world.hat.pk, assignment_id=other.pk))
    ).status_code == 404


# Bad input on the hat form ------------------------------------------------------------
@pytest.mark.parametrize(
    "over, message",
    [
        ({"title": ""}, "Give the hat a title"),
        ({"title": "   "}, "Give the hat a title"),
        ({"title": "x" * 201}, "200"),
        ({"title": "ekonomichef", "function": "OTHER"}, "already has a hat"),
        ({"reports_to": "SELF"}, "cannot report to itself"),
        ({"reports_to": "FOREIGN"}, "cannot report to itself"),
        ({"kpis": [{"name": "", "target": "5"}]}, "A KPI needs a name"),
        ({"version": "x"}, "number"),
    ],
)
def test_bad_hat_input_is_a_form_error(world, other_world, as_admin, over, message):
    hat = world.hat
    if over.get("function") == "OTHER":
        over["function"] = world.other.pk
    if over.get("reports_to") == "SELF":
        over["reports_to"] = hat.pk
    if over.get("reports_to") == "FOREIGN":
        over["reports_to"] = other_world.hat.pk
    response = as_admin.post(url("hat-edit", hat_id=hat.pk), edit_data(hat, **over))
    assert response.status_code == 200
    assert message in response.content.decode()
    hat.refresh_from_db()
    assert hat.title == "Innesäljare" and hat.version == 1 and hat.reports_to is None
    assert not hat.kpis.exists()
    assert not hat.changes.exists()


# New hats ------------------------------------------------------------------------------
def test_library_has_seven_sales_hats_in_both_languages():
    assert len(LIBRARY) >= 7
    for lang in ("sv", "en"):
        for t in all_templates(lang):
            assert t.title and t.purpose and t.product
            assert len(t.tasks) >= 5 and len(t.kpis) >= 2 and t.checklist
            for area, task, letters in t.tasks:
                assert area and task and letters in ("R", "A", "A/R")
    assert all_templates("sv")[0].title == "Försäljningschef"
    assert all_templates("en")[0].title == "Sales manager"


def test_create_blank_hat(world, as_manager):
    response = as_manager.post(url("hat-create", function_id=world.team.pk), {"title": "Ny hatt"})
    hat = m.Hat.objects.get(function=world.team, title="Ny hatt")
    assert response["Location"] == url("hat-edit", hat_id=hat.pk)


def test_create_blank_hat_errors(world, as_manager):
    before = m.Hat.objects.count()
    for data, message in (
        ({"title": ""}, "Give the hat a title"),
        ({"title": "innesäljare"}, "already has a hat"),
        ({"title": "y" * 201}, "200"),
        ({"template": "nonsense"}, "Select a valid choice"),
    ):
        response = as_manager.post(url("hat-create", function_id=world.team.pk), data)
        assert response.status_code == 200
        assert message in response.content.decode()
    assert m.Hat.objects.count() == before


def test_create_from_template_in_swedish(world, as_manager):
    as_manager.cookies["django_language"] = "sv"
    response = as_manager.post(
        url("hat-create", function_id=world.team.pk), {"template": "sdr", "confirm": "1"}
    )
    hat = m.Hat.objects.get(function=world.team, title="Innesäljare (2)")
    assert response["Location"] == url("hat-edit", hat_id=hat.pk)
    assert hat.purpose.startswith("Skapa kvalificerade möten")
    assert hat.kpis.count() == 3 and hat.checklist.count() == 3
    duties = m.Responsibility.objects.filter(hat=hat)
    assert duties.filter(letter="R").count() >= 5
    # "Prospektering" already existed: matched, not duplicated.
    assert m.Area.objects.filter(org=world.org, name__iexact="prospektering").count() == 1
    # A moved to the new hat for "Boka möten med nya kunder", which is a new task here.
    task = m.Task.objects.get(org=world.org, name="Boka möten med nya kunder")
    assert list(task.responsibilities.filter(letter="A").values_list("hat", flat=True)) == [hat.pk]


def test_create_from_template_in_english_with_own_title(world, as_manager):
    world.org.language = "en"
    world.org.save()
    as_manager.post(
        url("hat-create", function_id=world.team.pk),
        {"template": "key_account_manager", "title": "KAM Nord", "confirm": "1"},
    )
    hat = m.Hat.objects.get(function=world.team, title="KAM Nord")
    assert hat.purpose.startswith("Keep and grow")
    assert m.Task.objects.filter(org=world.org, name="Renew agreements on time").exists()


def test_create_from_template_twice_gets_a_suffix(world, as_manager):
    as_manager.cookies["django_language"] = "sv"
    for _ in range(3):
        as_manager.post(
            url("hat-create", function_id=world.team.pk),
            {"template": "sales_manager", "confirm": "1"},
        )
    titles = sorted(m.Hat.objects.filter(function=world.team).values_list("title", flat=True))
    assert titles == [
        "Försäljningschef",
        "Försäljningschef (2)",
        "Försäljningschef (3)",
        "Innesäljare",
    ]
    # Reusing the template reuses its tasks: the A stays with the first hat.
    task = m.Task.objects.get(org=world.org, name="Sätta säljbudget och säljmål")
    assert task.responsibilities.filter(letter="A").count() == 1


# Publishing and revisions -----------------------------------------------------------------
def test_publish_and_compare_revisions(world, as_manager, as_member):
    hat = world.hat
    response = as_manager.post(url("hat-publish", hat_id=hat.pk), {"note": "Första versionen"})
    assert response.status_code == 302
    hat.refresh_from_db()
    assert hat.revision == 1
    f.KPIFactory(hat=hat, name="Bokade möten")
    service.save_hat(hat, {"purpose": "Skapa affärer."}, hat.version, world.manager)
    as_manager.post(url("hat-publish", hat_id=hat.pk), {"note": "Nytt mål"})
    page = as_member.get(url("hat-revisions", hat_id=hat.pk)).content.decode()
    assert "Första versionen" in page and "Nytt mål" in page
    assert "Skapa affärer." in page and "Bokade möten" in page  # latest vs previous
    full = as_member.get(url("hat-revisions", hat_id=hat.pk) + "?a=0&b=1").content.decode()
    assert "Att göra nytta." in full
    junk = as_member.get(url("hat-revisions", hat_id=hat.pk) + "?a=x&b=99")
    assert junk.status_code == 200


def test_revision_is_immutable_and_asks_again(world):
    service.publish_hat(world.hat, world.manager, "1")
    service.acknowledge(world.member, world.hat)
    first = world.hat.revisions.get(number=1)
    service.save_hat(world.hat, {"purpose": "Ändrat"}, 1, world.manager)
    service.publish_hat(world.hat, world.manager, "2")
    first.refresh_from_db()
    assert first.snapshot["purpose"] == "Att göra nytta."
    assert not m.Acknowledgement.objects.filter(
        person=world.member, revision__number=2, hat=world.hat
    ).exists()


def test_overview_links_hat_titles(world, as_member):
    page = as_member.get(url("org-map")).content.decode()
    assert url("hat-detail", hat_id=world.hat.pk) in page


def test_stale_save_of_the_same_text_is_not_a_conflict(world):
    hat = world.hat
    alice, bob = client_for(world.manager), client_for(world.admin)
    opened = edit_data(hat)
    alice.post(url("hat-edit", hat_id=hat.pk), {**opened, "purpose": "Samma."})
    response = bob.post(url("hat-edit", hat_id=hat.pk), {**opened, "purpose": "Samma."})
    assert response.status_code == 302
    hat.refresh_from_db()
    assert hat.purpose == "Samma." and hat.version == 2
