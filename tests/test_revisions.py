"""diff_snapshots: what a reader is told changed between two revisions."""

from roles.revisions import diff_snapshots, item_text


def snap(**over):
    base = {
        "title": "Säljare",
        "function": "Försäljning",
        "purpose": "Sälja.",
        "product": "Affärer.",
        "authority": "",
        "reports_to": "Säljchef",
        "notes": "",
        "kpis": [{"name": "Möten", "target": "10", "unit": "st", "period": "vecka"}],
        "checklist": ["Läs prislistan"],
        "duties": [{"task": "Boka möten", "area": "Prospektering", "letters": "R"}],
        "involved": [],
    }
    base.update(over)
    return base


def by_field(changes):
    return {c["field"]: c for c in changes}


def test_identical_snapshots_have_no_changes():
    assert diff_snapshots(snap(), snap()) == []


def test_text_field_change_has_old_new_and_label():
    (change,) = diff_snapshots(snap(), snap(purpose="Sälja mer."))
    assert change["field"] == "purpose"
    assert str(change["label"]) == "Purpose"
    assert (change["old"], change["new"]) == ("Sälja.", "Sälja mer.")
    assert change["added"] == change["removed"] == []
    assert change["lines"] == [("-", "Sälja."), ("+", "Sälja mer.")]


def test_empty_old_means_everything_is_new():
    for old in (None, {}):
        changes = by_field(diff_snapshots(old, snap()))
        assert changes["title"]["new"] == "Säljare"
        assert changes["title"]["old"] == ""
        assert changes["kpis"]["added"] == snap()["kpis"]
        assert changes["checklist"]["added"] == ["Läs prislistan"]
        assert "authority" not in changes  # empty in both
        assert "involved" not in changes


def test_kpi_added_removed_and_changed():
    new = snap(
        kpis=[
            {"name": "Möten", "target": "12", "unit": "st", "period": "vecka"},
            {"name": "Offerter", "target": "5", "unit": "st", "period": "månad"},
        ]
    )
    change = by_field(diff_snapshots(snap(), new))["kpis"]
    assert [k["name"] for k in change["added"]] == ["Offerter"]
    assert change["removed"] == []
    assert change["changed"][0]["old"]["target"] == "10"
    assert change["changed"][0]["new"]["target"] == "12"
    signs = [sign for sign, _ in change["lines"]]
    assert signs == ["+", "~"]


def test_duty_letters_change_and_removal():
    new = snap(
        duties=[{"task": "Boka möten", "area": "Prospektering", "letters": "A/R"}],
        involved=[{"task": "Prissättning", "area": "Affär", "letters": "C"}],
    )
    changes = by_field(diff_snapshots(snap(), new))
    assert changes["duties"]["changed"][0]["new"]["letters"] == "A/R"
    assert changes["involved"]["added"][0]["task"] == "Prissättning"
    gone = by_field(diff_snapshots(snap(), snap(duties=[])))["duties"]
    assert gone["removed"][0]["task"] == "Boka möten"


def test_checklist_reorder_is_reported():
    old = snap(checklist=["A", "B"])
    new = snap(checklist=["B", "A"])
    change = by_field(diff_snapshots(old, new))["checklist"]
    assert change["reordered"] is True
    assert change["added"] == change["removed"] == []


def test_unknown_fields_are_still_compared():
    (change,) = diff_snapshots(snap(extra="x"), snap(extra="y"))
    assert change["field"] == "extra"
    assert change["label"] == "extra"


def test_item_text():
    assert item_text(
        "kpis", {"name": "Möten", "target": "10", "unit": "st", "period": "vecka"}
    ) == ("Möten: 10 st / vecka")
    assert item_text("duties", {"task": "T", "area": "Ar", "letters": "A/R"}) == "Ar – T (A/R)"
    assert item_text("checklist", "Läs") == "Läs"
