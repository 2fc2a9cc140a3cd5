"""FastSelect (roles/forms/widgets.py) writes the markup Django's Select does."""

from django import forms

from roles.forms.widgets import FastSelect

CHOICES = [("", "– Välj –"), (1, 'Säljare "A" <b>'), (2, "Chef"), ("G", [(3, "Ett"), (4, "Två")])]


def test_same_markup_as_django_select():
    for value in (None, 2, "2", 4):
        ours = FastSelect(choices=CHOICES).render(
            "f", value, attrs={"id": "id_f", "required": True}
        )
        django = forms.Select(choices=CHOICES).render(
            "f", value, attrs={"id": "id_f", "required": True}
        )
        assert "".join(ours.split()) == "".join(django.split()), value


def test_labels_are_escaped_and_one_option_selected():
    html = FastSelect(choices=CHOICES).render("f", 1)
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert html.count(" selected") == 1
    assert '<option value="1" selected>Säljare &quot;A&quot; &lt;b&gt;</option>' in html
