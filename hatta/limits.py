"""Request bodies are capped before Django reads them: a WSGI middleware refuses a
declared Content-Length over the limit with 413 at once, and counts what is read
from the rest, so a body longer than it said fails too. Only the import page
takes a file (5 MB); every other URL takes a small form."""

import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import override


def limit_for(path):
    if re.fullmatch(settings.IMPORT_PATH_PATTERN, path):
        return settings.MAX_IMPORT_BODY
    return settings.MAX_REQUEST_BODY


class CountingInput:
    """wsgi.input that refuses to give more than `limit` bytes in total."""

    def __init__(self, stream, limit):
        self.stream = stream
        self.limit = limit
        self.count = 0

    def _counted(self, data):
        self.count += len(data)
        if self.count > self.limit:
            raise RequestDataTooBig("request body over the limit")
        return data

    def read(self, size=-1):
        if size is None or size < 0:
            size = self.limit + 1 - self.count
        return self._counted(self.stream.read(size))

    def readline(self, size=-1):
        if size is None or size < 0:
            size = self.limit + 1 - self.count
        return self._counted(self.stream.readline(size))

    def __iter__(self):
        while line := self.readline():
            yield line


def too_large_page(limit):
    mb = f"{limit / 2**20:.0f}"
    lines = []
    for language in ("sv", "en"):
        with override(language):
            lines.append(
                escape(_("The request is too large: at most %(mb)s MB is accepted.") % {"mb": mb})
            )
    return (
        '<!doctype html><html lang="sv"><meta charset="utf-8"><title>413</title>'
        f'<p>{lines[0]}</p><p lang="en">{lines[1]}</p></html>'
    ).encode()


class BodyLimit:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        limit = limit_for(environ.get("PATH_INFO", ""))
        declared = environ.get("CONTENT_LENGTH") or "0"
        if not declared.isdigit() or int(declared) > limit:
            body = too_large_page(limit) if declared.isdigit() else b"Bad Content-Length"
            status = "413 Content Too Large" if declared.isdigit() else "400 Bad Request"
            start_response(
                status,
                [
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Content-Length", str(len(body))),
                    ("Connection", "close"),
                ],
            )
            return [body]
        environ["wsgi.input"] = CountingInput(environ["wsgi.input"], limit)
        return self.app(environ, start_response)
