"""`berth capacity`: allocatable, committed quota and headroom per resource class and agency; flavor fit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from berth_cli.context import site_context


def register(app: typer.Typer) -> None:
    app.command("capacity")(capacity)


def capacity(
    *,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Manifest files or folders (default: manifests/).")
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Use the capacity cloud.yml declares (no placement).")
    ] = False,
    flavor: Annotated[
        list[str] | None, typer.Option("--flavor", help="Only this flavor in the fit table (repeatable).")
    ] = None,
) -> None:
    """Capacity per resource class and agency (allocatable, committed, headroom) and how many flavors fit.

    Live: placement's inventories and usages, quotas as the cloud holds them, plus the given manifests
    (what-if). Offline: the capacity cloud.yml declares."""
    from berth_cli.rendering.admission import print_capacity
    from berth_cli.services.capacity import site_capacity

    ctx = site_context()
    print_capacity(site_capacity(ctx, paths, offline=offline, flavors=flavor), ctx.output)
