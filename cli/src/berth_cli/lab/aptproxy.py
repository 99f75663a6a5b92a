"""The lab's package proxy: lab hosts have no route off their bridge, so their apt reaches Debian's mirror
only through this forwarder on the bridge's own address, and only for the mirror hosts it is given; their
pip reaches PyPI only through the PyPI mirror it also serves (when given --pypi-index).

    python -m berth_cli.lab.aptproxy LISTEN_ADDRESS PORT CACHE_DIR MIRROR_HOST...
        [--pypi-index URL --pypi-files HOST... --pypi-cache DIR]

Packages (`pool/...deb`, immutable under their name and version) are kept in CACHE_DIR, so every lab host
downloads each one once. Sharing apt's own /var/cache/apt/archives instead fails: apt does not wait for
that directory's lock, and two hosts installing at once made one of them fail.

The PyPI mirror is what a data centre whose controllers have no Internet runs on its deploy side (a
pull-through mirror such as devpi or a repository manager): a plain-HTTP package index on the management
network, `http://LISTEN_ADDRESS:PORT/pypi/simple/`. Its project pages are PyPI's (`--pypi-index`, the
index this machine's pip uses), fetched over HTTPS with this machine's trust store, with the links to
the file hosts (`--pypi-files`) pointed at `/pypi/files/HOST/...`. Files, immutable under their hashed
path, are kept in the --pypi-cache directory and downloaded once for every lab host. Hosts open no
connection off the bridge, not even a tunnel: CONNECT, other paths and other hosts are answered 403.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import re
import shutil
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit

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


# What pip sends that the index answers differently to; anything else (cookies, auth) stays here.
_PYPI_REQUEST_HEADERS = ("accept", "user-agent", "if-none-match", "if-modified-since")
_PYPI_ANSWER_HEADERS = ("content-type", "cache-control", "etag", "last-modified", "age", "date")
_PROJECT = re.compile(r"^[A-Za-z0-9._-]{1,200}/?$")  # a project's page, as pip asks for it (PEP 503)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # apt keeps its connection open and pipelines
    allowed: frozenset[str] = frozenset()
    cache: Path = Path()
    pypi_index: SplitResult | None = None  # https://pypi.org/simple
    pypi_files: frozenset[str] = frozenset()  # files.pythonhosted.org
    pypi_cache: Path = Path()
    listen = ""  # ADDRESS:PORT, the mirror's own base in the pages it serves

    def do_GET(self) -> None:
        self._route()

    def do_HEAD(self) -> None:
        self._route()

    def do_CONNECT(self) -> None:
        self.send_error(403, "the lab's proxy opens no tunnel; pip's index is this proxy's /pypi/simple/")
        self.close_connection = True

    def _route(self) -> None:
        if self.path.startswith("/pypi/"):
            self._pypi()
        else:
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

    # ---- the PyPI mirror ----

    def _pypi(self) -> None:
        index = self.pypi_index
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if index is None or ".." in path or "//" in path:
            self.send_error(403, "the lab's proxy mirrors no package index here")
            return
        project = path.removeprefix("/pypi/simple/")
        if path.startswith("/pypi/simple/") and _PROJECT.match(project) and self.command == "GET":
            self._pypi_page(index, project)
            return
        host, _, rest = path.removeprefix("/pypi/files/").partition("/")
        host = unquote(host)  # pip quotes the ':' of HOST:PORT
        if path.startswith("/pypi/files/") and host in self.pypi_files and rest and self.command == "GET":
            self._pypi_file(host, rest)
            return
        self.send_error(
            403, "the lab's PyPI mirror serves GET /pypi/simple/<project>/ and the files it links"
        )

    def _mirror_base(self) -> str:
        return f"http://{self.listen}/pypi"

    def _https(self, host: str, port: int | None = None) -> http.client.HTTPSConnection:
        """This machine's own TLS to the index, verified against its trust store."""
        return http.client.HTTPSConnection(
            host, port or 443, timeout=120, context=ssl.create_default_context()
        )

    def _pypi_page(self, index: SplitResult, project: str) -> None:
        """A project's page of the index, its file links pointed at this mirror."""
        upstream = self._https(str(index.hostname), index.port)
        headers = {k: v for k, v in self.headers.items() if k.lower() in _PYPI_REQUEST_HEADERS}
        headers["Accept-Encoding"] = "identity"  # the links are rewritten in the body
        try:
            upstream.request("GET", f"{index.path.rstrip('/')}/{project}", headers=headers)
            answer = upstream.getresponse()
            body = answer.read()
        except (OSError, http.client.HTTPException) as exc:
            self.log_error("upstream %s: %s", index.hostname, exc)
            self.send_error(502, "the package index did not answer")
            return
        finally:
            upstream.close()
        base = self._mirror_base()
        for host in sorted(self.pypi_files):
            body = body.replace(f"https://{host}/".encode(), f"{base}/files/{host}/".encode())
        self.send_response(answer.status, answer.reason)
        for key in _PYPI_ANSWER_HEADERS:
            if (value := answer.getheader(key)) is not None:
                self.send_header(key, value)
        location = answer.getheader("Location")
        if location is not None:  # PyPI redirects a name to its normalised form: stay on the mirror
            prefix = f"{index.scheme}://{index.netloc}{index.path.rstrip('/')}/"
            if location.startswith(prefix):
                location = f"{base}/simple/{location.removeprefix(prefix)}"
            elif location.startswith(index.path.rstrip("/") + "/"):
                location = f"{base}/simple/{location.removeprefix(index.path.rstrip('/') + '/')}"
            self.send_header("Location", location)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _pypi_file(self, host: str, path: str) -> None:
        """A distribution (or its metadata): immutable under its hashed path, so kept and served from the
        cache, downloaded once for every host."""
        cached = self.pypi_cache / host / path
        if not cached.is_file():
            name, _, port = host.partition(":")  # HOST or HOST:PORT, as --pypi-files names it
            upstream = self._https(name, int(port) if port.isdigit() else None)
            try:
                upstream.request("GET", f"/{path}", headers={"Accept-Encoding": "identity"})
                answer = upstream.getresponse()
                if answer.status != 200:
                    self.send_error(answer.status, answer.reason)
                    return
                cached.parent.mkdir(parents=True, exist_ok=True)
                partial = cached.with_name(f".{cached.name}.{os.getpid()}.{id(self)}")
                with partial.open("wb") as out:
                    shutil.copyfileobj(answer, out, 1 << 16)
                partial.replace(cached)  # whole files only: a reader never sees half a wheel
            except (OSError, http.client.HTTPException) as exc:
                self.log_error("upstream %s: %s", host, exc)
                with contextlib.suppress(UnboundLocalError, OSError):
                    partial.unlink(missing_ok=True)
                self.send_error(502, "the package index's file host did not answer")
                return
            finally:
                upstream.close()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        # as PyPI says of its files: a hashed path never changes, so each host's pip cache may keep it
        self.send_header("Cache-Control", "max-age=365000000, immutable, public")
        self.send_header("Content-Length", str(cached.stat().st_size))
        self.end_headers()
        with cached.open("rb") as data:
            shutil.copyfileobj(data, self.wfile, 1 << 16)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m berth_cli.lab.aptproxy")
    parser.add_argument("address")
    parser.add_argument("port", type=int)
    parser.add_argument("cache", type=Path)
    parser.add_argument("mirrors", nargs="+")
    parser.add_argument("--pypi-index", help="the package index mirrored at /pypi/simple/ (https)")
    parser.add_argument(
        "--pypi-files", nargs="*", default=[], help="hosts (HOST[:PORT]) of the index's files"
    )
    parser.add_argument("--pypi-cache", type=Path, help="where the index's files are kept")
    args = parser.parse_args(argv)
    _Handler.allowed = frozenset(args.mirrors)
    _Handler.cache = args.cache
    _Handler.listen = f"{args.address}:{args.port}"
    if args.pypi_index:
        index = urlsplit(args.pypi_index)
        if index.scheme != "https" or not index.hostname or args.pypi_cache is None:
            parser.error("--pypi-index needs an https URL and --pypi-cache")
        _Handler.pypi_index = index
        _Handler.pypi_files = frozenset(args.pypi_files)
        _Handler.pypi_cache = args.pypi_cache
    server = ThreadingHTTPServer((args.address, args.port), _Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
