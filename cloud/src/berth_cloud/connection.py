"""One openstacksdk connection per run, with an HTTP request counter on its keystoneauth session.

The cloud comes from clouds.yaml: an explicit name (`--cloud`), else OS_CLOUD, else the site's own
`.berth/<site>/clouds.yaml` written by the devcloud deploy (its first cloud). Nothing here logs or
prints credentials: errors name the cloud, the file and the service, never the auth section.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests.adapters
import yaml

from berth_cloud.http import DEFAULT_RETRY, RetryPolicy, certificate_refusal
from berth_core.errors import OpenStackError

if TYPE_CHECKING:
    from openstack.connection import Connection


class RequestCounter:
    """Counts every HTTP request the session sends (auth and version discovery included), thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_target: Counter[tuple[str, str]] = Counter()

    def record(self, method: str, url: str) -> None:
        parts = urlsplit(url)
        with self._lock:
            self._by_target[(method.upper(), parts.netloc)] += 1

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self._by_target.values())

    def by_target(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._by_target)

    @contextmanager
    def measure(self) -> Iterator[RequestTally]:
        """`with counter.measure() as tally:` then `tally.count` holds the requests sent inside the block."""
        tally = RequestTally(self.total)
        try:
            yield tally
        finally:
            tally.count = self.total - tally.start


@dataclass
class RequestTally:
    start: int
    count: int = 0


class _CountingAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, counter: RequestCounter, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._counter = counter

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self._counter.record(request.method or "GET", request.url or "")
        return super().send(request, *args, **kwargs)


@dataclass
class Cloud:
    """An authenticated connection plus its request counter; pass it to observe/apply/live_capacity."""

    conn: Connection
    name: str
    counter: RequestCounter = field(default_factory=RequestCounter)
    cache: dict[str, Any] = field(default_factory=dict)  # ids that never change during a run (domains, roles)

    def close(self) -> None:
        self.conn.close()


def site_clouds_yaml(state_dir: Path) -> Path:
    return state_dir / "clouds.yaml"


def _clouds_in(path: Path) -> list[str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as bad:
        raise OpenStackError(
            f"cannot read {path}: {type(bad).__name__}",
            hint="check the file; `berth cloud deploy` writes it for the devcloud",
        ) from None
    clouds = data.get("clouds") if isinstance(data, dict) else None
    return sorted(clouds) if isinstance(clouds, dict) else []


def file_read(clouds_yaml: Path | None) -> Path | None:
    """The clouds.yaml openstacksdk will really read: OS_CLIENT_CONFIG_FILE, when it names a file, comes
    before the one berth passes (openstacksdk prepends it), so names and hints must come from it."""
    override = os.environ.get("OS_CLIENT_CONFIG_FILE")
    if override and Path(override).is_file():
        return Path(override)
    return clouds_yaml


def choose_cloud(cloud: str | None, clouds_yaml: Path | None) -> tuple[str, Path | None]:
    """Which cloud and clouds.yaml: explicit name, else OS_CLOUD, else the file's `*-admin` (or first) cloud."""
    clouds_yaml = file_read(clouds_yaml)
    if clouds_yaml is not None and not clouds_yaml.is_file():
        clouds_yaml = (
            None  # fall back to openstacksdk's own search path (~/.config/openstack, /etc/openstack)
        )
    name = cloud or os.environ.get("OS_CLOUD")
    if name:
        return name, clouds_yaml
    if clouds_yaml is not None:
        names = _clouds_in(clouds_yaml)
        admins = [n for n in names if n.endswith("-admin")]  # the deploy writes <site>-admin and others
        if admins or names:
            return (admins or names)[0], clouds_yaml
    raise OpenStackError(
        "no cloud selected",
        hint="pass --cloud NAME, set OS_CLOUD, or deploy the devcloud (`berth cloud deploy`), "
        "which writes .berth/<site>/clouds.yaml",
    )


class CloudUnreachable(OpenStackError):
    """Nothing answers at the identity endpoint (as opposed to a cloud that answers and refuses)."""


def connect(cloud: str | None = None, clouds_yaml: Path | None = None) -> Cloud:
    """Authenticate once and return the Cloud; errors become OpenStackError (exit 5) with a hint."""
    import keystoneauth1.exceptions as ks_exc
    import openstack.config
    import openstack.connection
    import openstack.exceptions as os_exc

    name, path = choose_cloud(cloud, clouds_yaml)
    where = str(path) if path else "clouds.yaml"
    try:
        config = openstack.config.OpenStackConfig(config_files=[str(path)] if path else None)
        region = config.get_one(cloud=name)
        where = str(config.config_filename or where)
    except (os_exc.ConfigException, ks_exc.ClientException) as bad:
        raise OpenStackError(
            f"cloud {name!r} is not usable from {where}: {type(bad).__name__}",
            hint="check the cloud name and its auth section (the error text is withheld: it may hold secrets)",
        ) from None
    conn = openstack.connection.Connection(config=region)
    counter = RequestCounter()
    adapter = _CountingAdapter(counter, pool_maxsize=16)
    conn.session.session.mount("http://", adapter)
    conn.session.session.mount("https://", adapter)
    result = Cloud(conn, name, counter)
    _log_in(conn, name, where)
    return result


def _log_in(conn: Any, name: str, where: str, retry: RetryPolicy = DEFAULT_RETRY) -> None:
    """One token for the whole run. A connection refused or a TLS handshake cut short is tried again after
    the retry policy's waits (a site's VIP moving to another load balancer takes a second or two); a refused
    certificate or login is reported at once."""
    import keystoneauth1.exceptions as ks_exc
    import openstack.exceptions as os_exc

    attempts = (0.0, *retry.delays)
    for number, delay in enumerate(attempts, start=1):
        time.sleep(delay)
        last = number == len(attempts)
        try:
            conn.session.get_token()  # keystoneauth's own errors, unwrapped
            return
        except ks_exc.SSLError as bad:
            refused = certificate_refusal(bad)
            if refused is not None:
                raise OpenStackError(
                    f"identity service of cloud {name!r}: its TLS certificate is not trusted ({refused})",
                    hint=f"the cacert of {name!r} in {where} must name the site CA (berth writes it on deploy)",
                ) from None
            if last:
                raise CloudUnreachable(
                    f"identity service of cloud {name!r}: the TLS handshake failed (tried {len(attempts)} times)",
                    hint="is the cloud up? `berth cloud status`",
                ) from None
        except ks_exc.ConnectFailure:
            if last:
                raise CloudUnreachable(
                    f"identity service of cloud {name!r} is not reachable (tried {len(attempts)} times)",
                    hint="is the cloud up? `berth cloud status`",
                ) from None
        except (ks_exc.Unauthorized, os_exc.HttpException, ks_exc.ClientException) as bad:
            raise OpenStackError(
                f"identity service refused cloud {name!r} ({type(bad).__name__})",
                hint=f"check the credentials of {name!r} in {where}",
            ) from None
