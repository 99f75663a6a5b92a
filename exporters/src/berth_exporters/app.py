"""Assemble and run the exporter: config, connection, collectors, refresher, HTTP server.

Shared by the console script `berth-exporter` (berth_exporters.main) and `berth exporter serve`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from berth_core.errors import UsageError
from berth_core.site import Site
from berth_exporters.collectors import blockstorage, compute, identity, network, placement
from berth_exporters.connection import Reader
from berth_exporters.refresher import Observe, Refresher

DEFAULT_LISTEN = "127.0.0.1:9180"
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
    interval: float = 60.0
    max_stale: float | None = None  # default: 10 intervals
    concurrency: int = 8
    timeout: float = 30.0  # seconds per OpenStack request
    # collector -> base URL replacing the catalog's endpoint (tests point one at a closed port)
    endpoint_overrides: Mapping[str, str] = field(default_factory=dict)


def parse_listen(text: str) -> tuple[str, int]:
    """`127.0.0.1:9180`, `[::1]:9180` or `:9180` (loopback); a clear UsageError otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"--listen {text!r} is not HOST:PORT", hint="e.g. 127.0.0.1:9180")
    host = host.strip("[]") or "127.0.0.1"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise UsageError(f"--listen host {host!r} is not an IP address", hint="e.g. 127.0.0.1:9180") from None
    return host, int(port)


def observers(cloud: Reader, concurrency: int) -> dict[str, Observe]:
    """Collectors in refresh order: identity first, since the quota reads need its project list."""
    return {
        "identity": partial(identity.observe, cloud),
        "placement": partial(placement.observe, cloud, concurrency=concurrency),
        "compute": partial(compute.observe, cloud, concurrency=concurrency),
        "network": partial(network.observe, cloud),
        "blockstorage": partial(blockstorage.observe, cloud, concurrency=concurrency),
    }


def overrides_by_service(config: ExporterConfig) -> dict[str, str]:
    unknown = sorted(set(config.endpoint_overrides) - set(SERVICES))
    if unknown:
        raise UsageError(f"unknown collector(s) {', '.join(unknown)}", hint=f"one of {', '.join(SERVICES)}")
    return {SERVICES[name]: url for name, url in config.endpoint_overrides.items()}


def build(config: ExporterConfig) -> tuple[Refresher, Reader]:
    from berth_exporters.connection import connect

    parse_listen(config.listen)  # a typo in --listen fails before connecting, not after
    cloud = connect(config.clouds_yaml, config.cloud, overrides_by_service(config), config.timeout)
    refresher = Refresher(
        site=config.site,
        observers=observers(cloud, config.concurrency),
        interval=config.interval,
        max_stale=config.max_stale if config.max_stale is not None else 10 * config.interval,
        requests_made=cloud.requests_made,
    )
    return refresher, cloud


def serve(refresher: Refresher, listen: str) -> Any:
    """Serve the refresher's pre-rendered snapshot on /metrics; returns the HTTP server (.shutdown())."""
    from berth_exporters.server import start

    host, port = parse_listen(listen)
    try:
        server = start(refresher, host, port)
    except OSError as error:
        raise UsageError(f"cannot listen on {listen}: {error.strerror or error}") from None
    return server


@dataclass
class RunningExporter:
    """An exporter serving in this process's background threads (for `berth demo`)."""

    refresher: Refresher
    server: Any
    url: str

    def stop(self) -> None:
        self.refresher.stop()
        self.server.shutdown()


def start_in_background(config: ExporterConfig) -> RunningExporter:
    """Connect, refresh once (so the first scrape has data), serve, keep refreshing on the interval."""
    refresher, _reader = build(config)
    refresher.refresh_once()
    server = serve(refresher, config.listen)
    refresher.start()
    host, port = parse_listen(config.listen)
    shown = f"[{host}]" if ":" in host else host
    return RunningExporter(refresher, server, f"http://{shown}:{port}/metrics")
