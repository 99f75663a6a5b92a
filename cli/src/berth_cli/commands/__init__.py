"""Command groups. Each module defines its commands with heavy imports inside their bodies."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from berth_cli.commands import (
        apply,
        audit,
        capacity,
        cloud,
        demo,
        exporter,
        hosts,
        lab,
        manifest,
        plan,
        report,
        review,
        tenant,
    )

    for module in (
        cloud,
        hosts,
        lab,
        manifest,
        plan,
        review,
        apply,
        tenant,
        capacity,
        report,
        audit,
        exporter,
        demo,
    ):
        module.register(app)
