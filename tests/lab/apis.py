"""An availability probe of a lab site's OpenStack APIs through its VIP, for tests/lab/test_lab_ha.py.

One thread per API (keystone, nova, neutron, cinder) sends a GET that reads the service's database every
`every` seconds with one admin token, at the URLs of the catalogue that token came with. A request counts
as answered when it returns 2xx within `timeout`; anything else (refused, reset, timed out, 5xx, 401) is a
failure. One token for every request is itself a check: it was issued by one keystone and every API
validates it through whichever keystone HAProxy picks, so the controllers must hold the same fernet keys.
"""

from __future__ import annotations

import http.client
import itertools
import json
import ssl
import threading
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

# what each API is asked: a read of its own database, the cheapest one that needs a valid token
READS = {
    "keystone": ("identity", "/projects?limit=1"),
    "nova": ("compute", "/servers?limit=1"),
    "neutron": ("network", "/v2.0/networks?limit=1"),
    "cinder": ("block-storage", "/volumes?limit=1"),
}


@dataclass(frozen=True)
class Token:
    value: str
    urls: dict[str, str]  # API name -> the URL its probe reads
    context: ssl.SSLContext | None  # a TLS site's: trusts the site CA (clouds.yaml's cacert) alone


def admin_token(clouds_yaml: Path, cloud: str) -> Token:
    """A project-scoped admin token and the public URLs of READS from its catalogue."""
    entry = yaml.safe_load(clouds_yaml.read_text())["clouds"][cloud]
    auth = entry["auth"]
    context = ssl.create_default_context(cafile=entry["cacert"]) if entry.get("cacert") else None
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": auth["username"],
                        "domain": {"name": auth["user_domain_name"]},
                        "password": auth["password"],
                    }
                },
            },
            "scope": {
                "project": {"name": auth["project_name"], "domain": {"name": auth["project_domain_name"]}}
            },
        }
    }
    request = urllib.request.Request(
        f"{auth['auth_url']}/auth/tokens",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30, context=context) as answer:
        value = answer.headers["X-Subject-Token"]
        catalog = json.load(answer)["token"]["catalog"]
    public = {
        entry["type"]: next(e["url"] for e in entry["endpoints"] if e["interface"] == "public")
        for entry in catalog
    }
    urls = {api: public[kind].rstrip("/") + path for api, (kind, path) in READS.items()}
    return Token(value, urls, context)


@dataclass(frozen=True)
class Figures:
    requests: int
    ratio: float  # answered / sent
    gap_s: float  # longest time between two answers (or from the window's start to the first)

    def __str__(self) -> str:
        return f"{self.ratio:.1%} of {self.requests}, longest gap {self.gap_s:.1f} s"


class ApiProbe:
    """GETs of every API of `token` in one thread each: samples (time, api, ok) until the block ends."""

    def __init__(self, token: Token, every: float = 0.25, timeout: float = 2.0) -> None:
        self.token, self.every, self.timeout = token, every, timeout
        self.samples: list[tuple[float, str, bool]] = []
        self.errors: dict[str, str] = {}  # the last error of each API, for the assertion messages
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._loop, args=(api, url), daemon=True)
            for api, url in token.urls.items()
        ]

    def _get(self, url: str) -> None:
        request = urllib.request.Request(url, headers={"X-Auth-Token": self.token.value})
        with urllib.request.urlopen(request, timeout=self.timeout, context=self.token.context) as answer:
            answer.read()

    def _loop(self, api: str, url: str) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self._get(url)
                ok = True
            except (OSError, http.client.HTTPException) as exc:  # HTTPError is an OSError too
                ok = False
                self.errors[api] = f"{type(exc).__name__}: {exc}"
            with self._lock:
                self.samples.append((started, api, ok))
            self._stop.wait(max(0.0, self.every - (time.monotonic() - started)))

    def __enter__(self) -> ApiProbe:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 5)

    def _window(self, since: float, api: str | None = None) -> list[tuple[float, str, bool]]:
        with self._lock:
            return [s for s in self.samples if s[0] >= since and api in (None, s[1])]

    def answering(self, count: int = 4) -> bool:
        """The last `count` requests of every API were answered."""
        with self._lock:
            samples = list(self.samples)
        for api in self.token.urls:
            last = [ok for _, name, ok in samples if name == api][-count:]
            if len(last) < count or not all(last):
                return False
        return True

    def failures(self, since: float) -> dict[str, tuple[int, str | None]]:
        """The requests of each API that failed after `since`, and the last error it saw."""
        failed: dict[str, int] = {}
        for _, api, ok in self._window(since):
            if not ok:
                failed[api] = failed.get(api, 0) + 1
        return {api: (count, self.errors.get(api)) for api, count in failed.items()}

    def figures(self, since: float, until: float | None = None) -> Mapping[str, Figures]:
        """Per API and for `all` of them: the requests sent after `since` (and before `until`)."""
        end = until if until is not None else float("inf")
        found = {}
        for api in [*self.token.urls, None]:
            window = [s for s in self._window(since, api) if s[0] < end]
            found[api or "all"] = _figures(window, since)
        return found


def _figures(window: list[tuple[float, str, bool]], since: float) -> Figures:
    if not window:
        return Figures(0, 0.0, 0.0)
    answered = [t for t, _, ok in window if ok]
    marks = [since, *answered]
    if not answered or answered[-1] < window[-1][0]:
        marks.append(window[-1][0])  # failing until the end: the gap runs to the last request
    gap = max(b - a for a, b in itertools.pairwise(marks)) if len(marks) > 1 else 0.0
    return Figures(len(window), len(answered) / len(window), gap)


def describe(figures: Mapping[str, Figures]) -> str:
    return "; ".join(f"{api} {fig}" for api, fig in figures.items())
