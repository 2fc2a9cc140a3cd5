import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_overview_shows_tree_to_members(world, as_member):
    response = as_member.get(reverse("roles:org-map", kwargs={"org": world.org.slug}))
    assert response.status_code == 200
    assert world.hat.title in response.text
    assert world.member.name in response.text


def test_outsider_gets_404(world, as_outsider):
    response = as_outsider.get(reverse("roles:org-map", kwargs={"org": world.org.slug}))
    assert response.status_code == 404
