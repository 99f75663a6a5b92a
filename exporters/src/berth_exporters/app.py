"""Assemble and run the exporter: config, connection, collectors, refresher, HTTP server.

Shared by the console script `berth-exporter` (berth_exporters.main) and `berth exporter serve`; both build
the configuration with berth_exporters.config.exporter_config.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from berth_core.errors import UsageError
from berth_exporters.collectors import blockstorage, compute, identity, network, placement
from berth_exporters.config import (
    DEFAULT_LISTEN,
    SERVICES,
    ExporterConfig,
    check_collectors,
    parse_listen,
)
from berth_exporters.connection import Reader
from berth_exporters.refresher import Observe, Refresher

__all__ = ["DEFAULT_LISTEN", "ExporterConfig", "RunningExporter", "build", "parse_listen", "serve"]


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
    check_collectors(config.endpoint_overrides)
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
    host, port = config.bind
    shown = f"[{host}]" if ":" in host else host
    return RunningExporter(refresher, server, f"http://{shown}:{port}/metrics")
