"""The wearers of a hat as the hat page, the function page and the matrix
show them (templates/components.html#wearer_names)."""

from django.template.loader import render_to_string
from django.utils import translation


class Wearer:
    def __init__(self, name, share):
        self.person = type("P", (), {"name": name})()
        self.share = share


def wearer_names(wearers):
    return render_to_string("components.html#wearer_names", {"wearers": wearers})


def test_wearer_names_list_shares_escape_names_and_mark_a_vacant_hat():
    html = wearer_names([Wearer("Anna", 40), Wearer("<b>Bo</b>", None)])
    assert html == (
        '<span class="wearer">Anna <span class="text-body-secondary">(40 %)</span></span>, '
        '<span class="wearer">&lt;b&gt;Bo&lt;/b&gt;</span>'
    )
    assert wearer_names([]) == '<span class="badge text-bg-warning vacant">vacant</span>'
    with translation.override("sv"):
        assert ">vakant<" in wearer_names([])
