"""The exporter's one configuration, and the one function both front doors build it with.

`berth-exporter` (argparse) and `berth exporter serve` (Typer) parse their own command lines and hand the
values to `exporter_config`: every option is checked there, before the site's cloud.yml is loaded, so both
doors refuse the same input with the same error.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from berth_core import paths
from berth_core.errors import UsageError

if TYPE_CHECKING:  # the CLI imports this module for its option defaults: `berth --help` stays light
    from berth_core.site import Site

DEFAULT_LISTEN = "127.0.0.1:9180"
DEFAULT_INTERVAL = 60.0
DEFAULT_CONCURRENCY = 8
# collector name (as --endpoint-override spells it) -> openstacksdk service type
SERVICES = {
    "identity": "identity",
    "placement": "placement",
    "compute": "compute",
    "network": "network",
    "blockstorage": "block_storage",
}


@dataclass(frozen=True)
class ExporterConfig:
    site: Site
    clouds_yaml: Path
    cloud: str | None = None  # default: OS_CLOUD, else the first cloud of clouds.yaml
    listen: str = DEFAULT_LISTEN
    interval: float = DEFAULT_INTERVAL
    max_stale: float | None = None  # default: 10 intervals
    concurrency: int = DEFAULT_CONCURRENCY
    timeout: float = 30.0  # seconds per OpenStack request
    # collector -> base URL replacing the catalog's endpoint (tests point one at a closed port)
    endpoint_overrides: Mapping[str, str] = field(default_factory=dict)

    @property
    def bind(self) -> tuple[str, int]:
        """The address and port /metrics is served on."""
        return parse_listen(self.listen)


def parse_listen(text: str) -> tuple[str, int]:
    """`127.0.0.1:9180`, `[::1]:9180` or `:9180` (loopback); a clear UsageError otherwise."""
    import ipaddress

    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"--listen {text!r} is not HOST:PORT", hint="e.g. 127.0.0.1:9180")
    host = host.strip("[]") or "127.0.0.1"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise UsageError(f"--listen host {host!r} is not an IP address", hint="e.g. 127.0.0.1:9180") from None
    return host, int(port)


def parse_endpoint_overrides(items: Sequence[str]) -> dict[str, str]:
    """`COLLECTOR=URL` items (repeatable --endpoint-override), each naming a known collector."""
    overrides: dict[str, str] = {}
    for item in items:
        name, sep, url = item.partition("=")
        if not sep:
            raise UsageError(f"--endpoint-override {item!r} is not COLLECTOR=URL")
        overrides[name] = url
    check_collectors(overrides)
    return overrides


def check_collectors(names: Iterable[str]) -> None:
    unknown = sorted(set(names) - set(SERVICES))
    if unknown:
        raise UsageError(f"unknown collector(s) {', '.join(unknown)}", hint=f"one of {', '.join(SERVICES)}")


def exporter_config(
    *,
    cloud_yml: Path,
    state_dir: Path,
    listen: str = DEFAULT_LISTEN,
    interval: float = DEFAULT_INTERVAL,
    max_stale: float | None = None,
    clouds_yaml: Path | None = None,
    cloud: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    endpoint_overrides: Sequence[str] = (),
) -> ExporterConfig:
    """The configuration from a front door's options: usage errors first (exit 2), then the site (exit 3)."""
    from berth_core.loader import load_site

    if interval <= 0:
        raise UsageError("--interval must be positive")
    if max_stale is not None and max_stale <= 0:
        raise UsageError("--max-stale must be positive")
    if concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    parse_listen(listen)  # a typo in --listen fails before anything is read or connected
    overrides = parse_endpoint_overrides(endpoint_overrides)
    return ExporterConfig(
        site=load_site(cloud_yml),
        clouds_yaml=clouds_yaml or state_dir / "clouds.yaml",
        cloud=cloud,
        listen=listen,
        interval=interval,
        max_stale=max_stale,
        concurrency=concurrency,
        endpoint_overrides=overrides,
    )


def site_files(site: str, environ: Mapping[str, str] = os.environ) -> tuple[Path, Path]:
    """(cloud.yml, state dir) of a site for `berth-exporter`, found as `berth` finds them (berth_core.paths)."""
    root = paths.project_root(environ, Path.cwd())
    return root / "inventory" / site / "cloud.yml", paths.site_state_dir(root, site, environ)
