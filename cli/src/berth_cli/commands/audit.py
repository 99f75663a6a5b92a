"""`berth audit list|verify`: read and check the site's hash-chained audit log."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from berth_cli.context import site_context

group = typer.Typer(
    help="Read and verify the site's append-only, hash-chained audit log.", no_args_is_help=True
)


@group.command("list")
def list_records(
    last: Annotated[int, typer.Option("--last", "-n", help="How many of the newest records.")] = 20,
) -> None:
    """Show the newest audit records: when, who, what, ticket, result."""
    ctx = site_context()
    from berth_cli.state.audit_log import AuditLog

    records = AuditLog(ctx.state_dir).records()[-last:] if last > 0 else []
    if ctx.output == "json":
        typer.echo(json.dumps([json.loads(r.to_json()) for r in records], ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"audit log of site {ctx.site}")
    for column in ("#", "time", "actor", "action", "ticket", "result", "plan"):
        table.add_column(column)
    for r in records:
        e = r.entry
        table.add_row(str(r.seq), e.time, e.actor, e.action, e.ticket, e.result, e.plan_sha256[:12])
    Console().print(table)


@group.command("verify")
def verify() -> None:
    """Check the whole chain: an edited, deleted, reordered or cut-off record is reported (exit 8)."""
    ctx = site_context()
    from berth_cli.state.audit_log import AuditLog
    from berth_core.errors import StaleOrLocked

    log = AuditLog(ctx.state_dir)
    breaks = log.verify()
    count = len(log.records())
    if ctx.output == "json":
        typer.echo(
            json.dumps({"records": count, "intact": not breaks, "breaks": [b.__dict__ for b in breaks]})
        )
    if breaks:
        details = "; ".join(f"record {b.seq}: {b.reason}" if b.seq else b.reason for b in breaks)
        raise StaleOrLocked(f"audit log {log.path} is not intact: {details}", hint="restore it from backup")
    if ctx.output == "text":
        typer.echo(f"audit log intact: {count} record(s)")


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="audit")
