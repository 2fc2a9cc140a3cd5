"""Files handed to the browser: named as RFC 6266 says, so any title survives."""

import re
import unicodedata
from urllib.parse import quote

from django.http import HttpResponse


def content_disposition(filename, inline=False):
    """`attachment` (or `inline`) with the name twice: an ASCII fallback in
    `filename` for old clients, the exact name as UTF-8 in `filename*`."""
    stem, dot, extension = filename.rpartition(".")
    if not dot:
        stem, extension = filename, ""
    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    plain = re.sub(r"[^A-Za-z0-9_.-]+", "-", plain).strip("-.") or "hatta"
    fallback = f"{plain}.{extension}" if dot else plain
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download(content, content_type, filename, inline=False):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename, inline)
    return response
