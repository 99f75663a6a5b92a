"""The exporter's reads through berth_cloud's connection: one Cloud for the exporter's life.

berth_cloud.connect authenticates once (clouds.yaml) and counts every HTTP request; berth_cloud.http.call
sends raw JSON requests through the service proxies. Here: a short retry (the next refresh is the real
retry), re-authentication on 401 (a token revoked before it expired; keystoneauth renews tokens that are
about to expire by itself) and, when keystone refuses the credentials themselves (a redeploy or a rotation
changed the password), clouds.yaml read again, per-collector endpoint overrides, and nova/cinder pagination.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from berth_cloud.connection import Cloud
from berth_cloud.http import ApiError, RetryPolicy, call

EXPORTER_RETRY = RetryPolicy((0.5,))


@dataclass
class Reader:
    """Reads JSON from a service; an override replaces the catalogue's endpoint for that service."""

    cloud: Cloud
    overrides: Mapping[str, str] = field(default_factory=dict)
    reconnect: Callable[[], Cloud] | None = None  # a fresh login from clouds.yaml (read again)
    _earlier_requests: int = 0  # made through connections replaced since
    _swap: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def requests_made(self) -> int:
        return self._earlier_requests + self.cloud.counter.total

    def _renew(self, failed: Cloud, *, reload: bool) -> None:
        """After a 401: log in again with a fresh token; with `reload` (that was refused too: the credentials
        changed), log in anew from clouds.yaml read again."""
        if not reload or self.reconnect is None:
            failed.conn.session.invalidate()
            return
        with self._swap:  # collectors run side by side: one reload for all of them
            if self.cloud is failed:
                fresh = self.reconnect()
                self._earlier_requests += failed.counter.total
                self.cloud = fresh

    def get(self, service: str, path: str, *, microversion: str | None = None, params: Any = None) -> Any:
        import keystoneauth1.exceptions as ks_exc

        base = self.overrides.get(service)
        url = urljoin(base.rstrip("/") + "/", path.lstrip("/")) if base and "://" not in path else path
        for attempt in (1, 2, 3):
            cloud = self.cloud
            proxy = getattr(cloud.conn, service)
            try:
                return (
                    call(
                        proxy,
                        "GET",
                        url,
                        what=f"GET {path}",
                        params=params,
                        microversion=microversion,
                        retry=EXPORTER_RETRY,
                    )
                    or {}
                )
            except ApiError as error:
                if error.status != 401 or attempt == 3:
                    raise
                self._renew(cloud, reload=attempt > 1)
            except ks_exc.Unauthorized:  # the login itself was refused (keystoneauth re-authenticating)
                if attempt == 3 or self.reconnect is None:
                    raise
                self._renew(cloud, reload=True)
        raise AssertionError("unreachable")

    def paged(
        self, service: str, path: str, key: str, *, microversion: str | None = None, params: Any = None
    ) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list (nova/cinder `<key>_links` rel=next)."""
        body = self.get(service, path, microversion=microversion, params=params)
        while True:
            yield from body.get(key, [])
            nxt = next(
                (link["href"] for link in body.get(f"{key}_links", []) if link.get("rel") == "next"), None
            )
            if nxt is None:
                return
            body = self.get(service, nxt, microversion=microversion)


def connect(
    clouds_yaml: Path, cloud: str | None, overrides: Mapping[str, str] | None = None, timeout: float = 30.0
) -> Reader:
    """Authenticate once (berth_cloud.connect: OpenStackError with a hint when it cannot).

    Every request gets a timeout: a hung API must fail its collector, not stall every refresh forever.
    """
    from berth_cloud.connection import connect as cloud_connect

    def login() -> Cloud:
        fresh = cloud_connect(cloud, clouds_yaml)
        fresh.conn.session.timeout = timeout
        return fresh

    return Reader(login(), dict(overrides or {}), reconnect=login)
