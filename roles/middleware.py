"""Request id for log lines and error pages; the last-seen time of a signed-in
session."""

import logging
import time
import uuid
from contextvars import ContextVar

from django.utils import timezone

_request_id: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if incoming.isalnum() and len(incoming) <= 64 else uuid.uuid4().hex[:16]
        request.request_id = rid
        token = _request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = rid
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = _request_id.get()
        return True


class PrivateCacheMiddleware:
    """Pages and downloads for a signed-in person are theirs alone: no shared
    cache (a proxy) keeps them, and no browser keeps them on disk."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in and "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "private, no-store"
        return response


# The session list shows when each session was last seen, to within this many
# seconds: one UPDATE per session every few minutes, not one per request.
LAST_SEEN_EVERY = 300
LAST_SEEN_KEY = "hatta_seen"


def mark_seen(request):
    """Note in the session that it was seen now (at sign-in, and by LastSeenMiddleware)."""
    request.session[LAST_SEEN_KEY] = int(time.time())


class LastSeenMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is None or not user.is_authenticated or session is None:
            return response
        key = session.session_key
        if key and time.time() - session.get(LAST_SEEN_KEY, 0) >= LAST_SEEN_EVERY:
            # Imported here: settings import this module (the log filter) before apps load.
            from allauth.usersessions.models import UserSession

            from .network import client_address

            mark_seen(request)
            UserSession.objects.filter(session_key=key, user_id=user.pk).update(
                last_seen_at=timezone.now(),
                ip=client_address(request) or "0.0.0.0",  # noqa: S104  # nosec B104
            )
        return response
