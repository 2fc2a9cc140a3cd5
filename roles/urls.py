"""URLs of hatta. Organisation pages live under o/<slug:org>/ and every one of
their views is wrapped by roles.access.org_view. Each page family keeps its own
block below."""

from django.urls import include, path

from .views import home

app_name = "roles"

org_patterns = [
    # map / overview
    path("", home.org_overview, name="org-map"),
    # functions
    # hats
    # my hats
    # matrix
    # interchange
    # people
    # settings
]

urlpatterns = [
    path("", home.home, name="home"),
    path("o/<slug:org>/", include(org_patterns)),
]
