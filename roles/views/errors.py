"""Error pages in the site's layout and the current language; never a traceback."""

import sys

from django.db import InterfaceError, OperationalError, connections
from django.shortcuts import render

# SQLSTATE of a write refused by a read-only database or transaction.
READ_ONLY_SQL_TRANSACTION = "25006"
RETRY_AFTER_SECONDS = 30


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


def database_unavailable(exc):
    """Whether `exc` (or what caused it) says the database cannot be reached
    or refuses writes just now, rather than a fault in hatta."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        # The driver's error, which Django's wraps, carries the SQLSTATE.
        if getattr(exc, "pgcode", None) == READ_ONLY_SQL_TRANSACTION:
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def server_error(request):
    # Django calls this while it handles the exception, which is still current.
    if database_unavailable(sys.exception()):
        return service_unavailable(request)
    # The template must not depend on anything that might itself have failed.
    return _render(request, "500.html", 500)


def service_unavailable(request):
    """503 with Retry-After: the database is down or read-only, so try again soon.
    The connections are dropped, so the next request connects afresh and sees
    the database as it is then (a read-only default is fixed per connection)."""
    for connection in connections.all(initialized_only=True):
        connection.close()
    response = _render(request, "503.html", 503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
