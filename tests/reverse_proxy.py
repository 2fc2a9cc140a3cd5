"""A small reverse proxy for the tests, run as its own process:
`python tests/reverse_proxy.py PORT UPSTREAM_PORT`. It forwards every request
to 127.0.0.1:UPSTREAM_PORT and appends the address it received the request
from to X-Forwarded-For, as nginx does with
`proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for`."""

import http.client
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"}


class Proxy(BaseHTTPRequestHandler):
    upstream_port = 0

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        seen = self.client_address[0]
        prior = self.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{prior}, {seen}" if prior else seen
        upstream = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
        upstream.request(self.command, self.path, body=body, headers=headers)
        response = upstream.getresponse()
        data = response.read()
        upstream.close()
        self.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP | {"date", "server"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_HEAD = forward

    def log_message(self, format, *args):
        pass


if __name__ == "__main__":
    Proxy.upstream_port = int(sys.argv[2])
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Proxy)
    print("ready", flush=True)
    server.serve_forever()
