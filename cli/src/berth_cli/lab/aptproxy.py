"""The lab's apt proxy: lab hosts have no route off their bridge, so their apt reaches Debian's mirror
only through this forwarder on the bridge's own address, and only for the mirror hosts it is given.

    python -m berth_cli.lab.aptproxy LISTEN_ADDRESS PORT MIRROR_HOST...
"""

from __future__ import annotations

import http.client
import shutil
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # apt keeps its connection open and pipelines
    allowed: frozenset[str] = frozenset()

    def do_GET(self) -> None:
        self._forward()

    def do_HEAD(self) -> None:
        self._forward()

    def _forward(self) -> None:
        url = urlsplit(self.path)
        if url.scheme != "http" or url.hostname not in self.allowed:
            self.send_error(403, "the lab's apt proxy forwards only to the machine's Debian mirror")
            return
        upstream = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        try:
            upstream.request(self.command, url.path + (f"?{url.query}" if url.query else ""), headers=headers)
            answer = upstream.getresponse()
            self.send_response(answer.status, answer.reason)
            length = answer.getheader("Content-Length")
            body = b"" if length is not None or self.command == "HEAD" else answer.read()
            for key, value in answer.getheaders():
                if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", length if length is not None else str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                if length is not None:
                    shutil.copyfileobj(answer, self.wfile, 1 << 16)
                else:
                    self.wfile.write(body)
        except OSError as exc:
            self.log_error("upstream %s: %s", url.hostname, exc)
            self.close_connection = True
        finally:
            upstream.close()


def main(argv: list[str]) -> None:
    address, port, *mirrors = argv
    _Handler.allowed = frozenset(mirrors)
    server = ThreadingHTTPServer((address, int(port)), _Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
