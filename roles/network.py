"""The address of the client behind the proxies in front of hatta.

Each proxy appends the address it received the request from to
X-Forwarded-For. With TRUSTED_PROXY_COUNT proxies, the entry that many places
from the right is the one the outermost proxy saw: the client. Anything
further left was sent by the client itself and is never trusted; with a count
of 0 the header is ignored and the peer's address (REMOTE_ADDR) is the client.
"""

import ipaddress

from django.conf import settings


def client_address(request):
    """The client's IP address as text, or None when there is none."""
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    if len(hops) < count:
        # Not through every proxy (a request straight to the app server).
        return remote
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote
