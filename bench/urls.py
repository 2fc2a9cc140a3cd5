"""The app's URLs plus the floor: the cheapest page the site can serve."""

from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_safe

from hatta.urls import handler400, handler403, handler404, handler500  # noqa: F401
from hatta.urls import urlpatterns as app_patterns


@require_safe
def floor(request):
    """The site's base layout and no queries of its own."""
    return render(request, "bench/floor.html", {})


urlpatterns = [path("bench/floor/", floor, name="bench-floor"), *app_patterns]
