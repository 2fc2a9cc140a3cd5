"""The row filters of the long lists (roles/templatetags/rows.py): the same
markup the templates had, every value escaped."""

from django.utils import translation

from roles.services.functions import DutyArea, DutyRow
from roles.services.hats import AreaRef, TaskRef
from roles.templatetags import rows

EVIL = '<script>alert("x")</script>'
AREA = AreaRef(1, "Sälj & <b>service</b>", 0)
TASK = TaskRef(7, EVIL, 1, 0, AREA)
LONE = TaskRef(8, "Utan område", None, 0, None)


class Hat:
    title = 'Säljare "A"'


def test_duty_items_escape_and_mark_accountable_tasks():
    html = rows.duty_items([(TASK, "A/R"), (LONE, "R")])
    assert EVIL not in html and "&lt;script&gt;" in html
    assert html.count("<li>") == 2
    assert 'text-bg-primary letters">A/R</span>' in html
    assert 'text-bg-secondary letters">R</span> Utan område' in html


def test_involved_items_name_the_area_when_there_is_one():
    html = rows.involved_items([(TASK, "C"), (LONE, "I")])
    assert "(Sälj &amp; &lt;b&gt;service&lt;/b&gt;)" in html
    assert "Utan område</li>" in html


def test_snapshot_rows_escape_and_fill_a_missing_area():
    duties = [{"area": "", "task": EVIL, "letters": "A"}]
    html = rows.snapshot_duty_rows(duties)
    assert html == (
        "<tr><td>—</td><td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td>"
        '<td><strong class="raci-letters">A</strong></td></tr>'
    )
    html = rows.snapshot_involved_items([{"area": "<i>", "task": "T", "letters": "I"}])
    assert html == '<li>&lt;i&gt; – T: <strong class="raci-letters">I</strong></li>'


def test_person_rows_span_a_task_over_its_hats():
    group = DutyArea("A", [DutyRow(TASK, [(Hat(), "A", "/h/1/"), (Hat(), "C", "/h/2/")])])
    html = rows.person_duty_rows(group)
    assert html.count("<tr>") == 2 and html.count("rowspan") == 1
    assert '<td rowspan="2">&lt;script&gt;' in html
    assert '<a href="/h/2/">Säljare &quot;A&quot;</a>' in html


def test_function_rows_list_each_hat_with_its_letters():
    group = DutyArea("A", [DutyRow(LONE, [(Hat(), "A", "/h/1/"), (Hat(), "R", "/h/2/")])])
    html = rows.function_task_rows(group)
    assert html.startswith("<tr><td>Utan område</td><td>")
    assert html.count("text-nowrap") == 2 and "</span>; <span" in html


class Wearer:
    def __init__(self, name, share):
        self.person = type("P", (), {"name": name})()
        self.share = share


def test_wearer_names_list_shares_escape_names_and_mark_a_vacant_hat():
    html = rows.wearer_names([Wearer("Anna", 40), Wearer("<b>Bo</b>", None)])
    assert html == (
        '<span class="wearer">Anna <span class="text-body-secondary">(40 %)</span></span>, '
        '<span class="wearer">&lt;b&gt;Bo&lt;/b&gt;</span>'
    )
    assert rows.wearer_names([]) == '<span class="badge text-bg-warning vacant">vacant</span>'
    with translation.override("sv"):
        assert ">vakant<" in rows.wearer_names([])
