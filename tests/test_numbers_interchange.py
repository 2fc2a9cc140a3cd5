"""The weekly numbers in and out: the JSON backup round-trips them."""

import datetime
import json

from roles import models as m
from roles import numbers as rules
from roles.interchange.backup import export_org, import_org
from roles.services import numbers as services

from . import factories as f

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


def upload(client, world, text, name="numbers.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"/o/{world.org.slug}/numbers/import/",
        {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")},
    )


def test_numbers_import_previews_then_saves_only_good_rows(world):
    from .conftest import client_for

    kpi = f.KPIFactory(hat=world.hat, name="Bokade möten", value_kind="count")
    this = services.current(world.org)
    last = rules.shift(this, -1)
    m.KPIValue.objects.create(org=world.org, kpi=kpi, person=world.member, period=last, value=3)
    year, week, _d = last.isocalendar()
    sheet = (
        "Person;KPI;Vecka;Värde\n"
        f"{world.member.email};Bokade möten;{this.isoformat()};12\n"
        f"{world.member.name};bokade möten;v. {week} {year};4\n"
        f"{world.member.email};Bokade möten;2099-01-05;1\n"
        f"{world.member.email};Okänt;{this.isoformat()};1\n"
        f"{world.manager.email};Bokade möten;{this.isoformat()};1\n"
        f"{world.member.email};Bokade möten;{this.isoformat()};-2\n"
    )
    admin = client_for(world.admin)
    page = upload(admin, world, sheet).content.decode()
    assert "2 values to save" in page and "4 rows with a problem" in page
    assert "was 3" in page and "not started yet" in page and "cannot be negative" in page
    assert not m.KPIValue.objects.filter(period=this).exists()  # only a preview
    digest = page.split('name="digest" value="')[1].split('"')[0]
    response = admin.post(f"/o/{world.org.slug}/numbers/import/apply/", {"digest": digest})
    assert response.status_code == 302
    values = dict(m.KPIValue.objects.filter(kpi=kpi).values_list("period", "value"))
    assert values == {this: 12, last: 4}
    assert m.KPIValueChange.objects.filter(kpi=kpi, author=world.admin).count() == 2
    # The same preview cannot be applied twice.
    again = admin.post(f"/o/{world.org.slug}/numbers/import/apply/", {"digest": digest})
    assert again.status_code == 302 and m.KPIValueChange.objects.count() == 2


def test_numbers_import_without_the_columns_says_so(world):
    from .conftest import client_for

    page = upload(client_for(world.admin), world, "a,b\n1,2\n").content.decode()
    assert "No header row with the columns" in page
    assert client_for(world.member).get(f"/o/{world.org.slug}/numbers/import/").status_code == 403
