"""`berth cloud status` as two tables: endpoints, compute hosts."""

from __future__ import annotations

import sys
from typing import Any


def print_status(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=sys.stdout)
    table = Table(title=f"{report['site']}: endpoints")
    for column in ("service", "url", "answer"):
        table.add_column(column)
    for e in report["endpoints"]:
        mark = "[green]ok[/green]" if e["ok"] else "[red]DOWN[/red]"
        table.add_row(e["service"], e["url"] or "-", f"{mark} {e['detail']}")
    console.print(table)
    hosts = Table(title=f"{report['site']}: compute hosts")
    for column in ("host", "nova", "placement inventory", "ok"):
        hosts.add_column(column)
    for h in report["computes"]:
        inv = ", ".join(f"{k}={v}" for k, v in sorted(h["inventory"].items())) or "none"
        hosts.add_row(h["host"], h["nova"], inv, "[green]yes[/green]" if h["ok"] else "[red]no[/red]")
    console.print(hosts)
