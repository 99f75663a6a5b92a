"""Command groups. Each module defines its commands with heavy imports inside their bodies."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from berth_cli.commands import audit, capacity, cloud, exporter, hosts, manifest, plan

    for module in (cloud, hosts, manifest, plan, capacity, audit, exporter):
        module.register(app)
