"""The weekly numbers in and out: the JSON backup round-trips them."""

import datetime
import json

from roles import models as m
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
