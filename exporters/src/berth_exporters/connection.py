"""One OpenStack connection for the exporter's life, HTTP requests counted, raw JSON reads.

The connection is made once from clouds.yaml; keystoneauth renews the token before it expires, and a
401 (token revoked early) invalidates it and retries once. Reads go through the service proxies as raw
REST calls: the exporter needs a few fields from bulk lists, not full SDK resources.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from berth_core.errors import OpenStackError


class ApiError(Exception):
    """An OpenStack answer that is not 2xx (the collector's refresh fails, or one project is skipped)."""

    def __init__(self, status: int, url: str) -> None:
        super().__init__(f"HTTP {status} from {url}")
        self.status = status


class RequestCounter:
    """Counts every HTTP request the connection's session sends (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def __call__(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.count += 1
        return response

    def value(self) -> int:
        with self._lock:
            return self.count


@dataclass
class Cloud:
    """The connection plus where each service is reached (an override replaces the catalog's endpoint)."""

    conn: Any  # openstack.connection.Connection
    counter: RequestCounter
    overrides: Mapping[str, str] = field(default_factory=dict)

    def proxy(self, service: str) -> Any:
        return getattr(self.conn, service)

    def get(self, service: str, path: str, *, microversion: str | None = None, params: Any = None) -> Any:
        """GET a path of a service and return its JSON; one re-authentication on 401."""
        base = self.overrides.get(service)
        url = urljoin(base.rstrip("/") + "/", path.lstrip("/")) if base else path
        for attempt in (1, 2):
            response = self.proxy(service).get(url, microversion=microversion, params=params, raise_exc=False)
            if response.status_code == 401 and attempt == 1:
                self.conn.session.invalidate()
                continue
            if response.status_code >= 400:
                raise ApiError(response.status_code, str(response.url or url))
            return response.json()
        raise ApiError(401, url)

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


def connect(clouds_yaml: Path, cloud: str, overrides: Mapping[str, str] | None = None) -> Cloud:
    """Authenticate once; a bad clouds.yaml or unreachable keystone is a clear OpenStackError."""
    import openstack
    from openstack import exceptions as os_exc
    from openstack.config import loader

    if not clouds_yaml.is_file():
        raise OpenStackError(
            f"{clouds_yaml} does not exist",
            hint="deploy the devcloud (berth cloud deploy) or pass --clouds-yaml",
        )
    try:
        config = loader.OpenStackConfig(config_files=[str(clouds_yaml)])
        region = config.get_one(cloud=cloud)
        conn = openstack.connection.Connection(config=region)
        conn.authorize()
    except (os_exc.SDKException, OSError) as error:
        raise OpenStackError(
            f"cannot connect to cloud {cloud!r} from {clouds_yaml}: {type(error).__name__}"
        ) from None
    counter = RequestCounter()
    conn.session.session.hooks.setdefault("response", []).append(counter)
    return Cloud(conn, counter, dict(overrides or {}))
