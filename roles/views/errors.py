"""Error pages in the site's layout and the current language; never a traceback."""

from django.shortcuts import render


def _render(request, template, status):
    return render(
        request, template, {"request_id": getattr(request, "request_id", "")}, status=status
    )


def bad_request(request, exception=None):
    return _render(request, "400.html", 400)


def permission_denied(request, exception=None):
    return _render(request, "403.html", 403)


def page_not_found(request, exception=None):
    return _render(request, "404.html", 404)


def server_error(request):
    # The template must not depend on anything that might itself have failed.
    return _render(request, "500.html", 500)
