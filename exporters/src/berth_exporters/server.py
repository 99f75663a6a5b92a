"""The HTTP side: /metrics answers with the snapshot's pre-rendered bytes (gzipped when asked).

prometheus_client's own server would re-render every family on each scrape (tens of milliseconds at a
thousand tenants); the snapshot only changes once per refresh, so it is rendered once, by the refresher.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any

from berth_exporters.refresher import Refresher

# the classic text format: what generate_latest writes for berth's (legacy-valid) names, and what every
# Prometheus since 2.0 parses
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
INDEX = b"<html><body><h1>berth exporter</h1><a href='/metrics'>/metrics</a></body></html>\n"


def handler_for(refresher: Refresher) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                text, zipped = refresher.exposition()
                gzip_ok = "gzip" in self.headers.get("Accept-Encoding", "")
                self._send(200, CONTENT_TYPE, zipped if gzip_ok else text, gzip_ok)
            elif path == "/":
                self._send(200, "text/html; charset=utf-8", INDEX, False)
            else:
                self._send(404, "text/plain; charset=utf-8", b"not found\n", False)

        def _send(self, status: int, content_type: str, body: bytes, gzipped: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if gzipped:
                self.send_header("Content-Encoding", "gzip")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # scrapes are not worth a log line each

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True


def start(refresher: Refresher, host: str, port: int) -> ThreadingHTTPServer:
    server = _Server((host, port), handler_for(refresher))
    Thread(target=server.serve_forever, name="berth-exporter-http", daemon=True).start()
    return server
