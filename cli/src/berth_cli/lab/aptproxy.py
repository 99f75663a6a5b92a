"""The lab's apt proxy: lab hosts have no route off their bridge, so their apt reaches Debian's mirror
only through this forwarder on the bridge's own address, and only for the mirror hosts it is given.

    python -m berth_cli.lab.aptproxy LISTEN_ADDRESS PORT CACHE_DIR MIRROR_HOST...

Packages (`pool/...deb`, immutable under their name and version) are kept in CACHE_DIR, so every lab host
downloads each one once. Sharing apt's own /var/cache/apt/archives instead fails: apt does not wait for
that directory's lock, and two hosts installing at once made one of them fail.
"""

from __future__ import annotations

import http.client
import os
import shutil
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
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
    cache: Path = Path()

    def do_GET(self) -> None:
        self._forward()

    def do_HEAD(self) -> None:
        self._forward()

    def _forward(self) -> None:
        url = urlsplit(self.path)
        if url.scheme != "http" or url.hostname not in self.allowed:
            self.send_error(403, "the lab's apt proxy forwards only to the machine's Debian mirror")
            return
        if (
            self.command == "GET"
            and "/pool/" in url.path
            and url.path.endswith(".deb")
            and ".." not in url.path
        ):
            self._from_cache(url.hostname, url.path)
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

    def _from_cache(self, host: str, path: str) -> None:
        cached = self.cache / host / path.lstrip("/")
        if not cached.is_file():
            upstream = http.client.HTTPConnection(host, 80, timeout=120)
            try:
                upstream.request("GET", path)
                answer = upstream.getresponse()
                if answer.status != 200:
                    self.send_error(answer.status, answer.reason)
                    return
                cached.parent.mkdir(parents=True, exist_ok=True)
                partial = cached.with_name(f".{cached.name}.{os.getpid()}.{id(self)}")
                with partial.open("wb") as out:
                    shutil.copyfileobj(answer, out, 1 << 16)
                partial.replace(cached)  # whole files only: a reader never sees half a package
            except OSError as exc:
                self.log_error("upstream %s: %s", host, exc)
                self.send_error(502, "the Debian mirror did not answer")
                return
            finally:
                upstream.close()
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.debian.binary-package")
        self.send_header("Content-Length", str(cached.stat().st_size))
        self.end_headers()
        with cached.open("rb") as data:
            shutil.copyfileobj(data, self.wfile, 1 << 16)


def main(argv: list[str]) -> None:
    address, port, cache, *mirrors = argv
    _Handler.allowed = frozenset(mirrors)
    _Handler.cache = Path(cache)
    server = ThreadingHTTPServer((address, int(port)), _Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
