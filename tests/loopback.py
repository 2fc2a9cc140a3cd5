"""An HTTP client for tests that talk to a real server on loopback: it sends
from a chosen loopback address (127.0.0.2, 127.0.0.3, …) and keeps its cookies."""

import http.client
import re
import socket
from http.cookies import SimpleCookie
from urllib.parse import urlencode


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackClient:
    def __init__(self, port, address="127.0.0.1"):
        self.port, self.address, self.cookies = port, address, SimpleCookie()

    def send(self, method, path, body=None, headers=None):
        """(status, headers, text) of one request."""
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=60, source_address=(self.address, 0)
        )
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v.value}" for k, v in self.cookies.items())
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for value in response.headers.get_all("Set-Cookie") or []:
            self.cookies.load(value)
        connection.close()
        return response.status, response.headers, text

    def get(self, path, headers=None):
        return self.send("GET", path, headers=headers)

    def submit(self, path, data, headers=None):
        """POST `data` to the form at `path` with the CSRF token its page carries
        (read with a GET first)."""
        page = self.get(path)[2]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urlencode({**data, "csrfmiddlewaretoken": token})
        headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return self.send("POST", path, body, headers)
