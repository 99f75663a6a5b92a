"""`berth cloud status` as tables: endpoints, compute hosts, and each HA cluster of the site."""

from __future__ import annotations

import sys
from typing import Any

# Per cluster (berth_core.clusters' names): its title and its columns, each (heading, how to show a row).
_CLUSTERS: dict[str, tuple[str, list[tuple[str, Any]]]] = {
    "vip": ("VIP", [("address", lambda r: r["vip"]), ("held by", lambda r: ", ".join(r["holders"]) or "-")]),
    "haproxy": (
        "HAProxy backends",
        [
            ("load balancer", lambda r: r["host"]),
            ("servers up", lambda r: f"{r['servers_up']}/{r['servers']}"),
            ("down", lambda r: r.get("error") or ", ".join(r["down"]) or "-"),
        ],
    ),
    "galera": (
        "Galera",
        [
            ("member", lambda r: r["host"]),
            ("state", lambda r: r.get("error") or r["state"]),
            ("cluster size", lambda r: str(r["size"])),
            ("component", lambda r: r["component"]),
        ],
    ),
    "rabbitmq": (
        "RabbitMQ",
        [
            ("member", lambda r: r["host"]),
            ("node", lambda r: r["node"]),
            ("running nodes", lambda r: r.get("error") or ", ".join(r["running"]) or "-"),
            (
                "partitions",
                lambda r: ", ".join(f"{k}: {', '.join(v)}" for k, v in r["partitions"].items()) or "none",
            ),
        ],
    ),
    "ceph": (
        "Ceph pools",
        [
            ("pool", lambda r: r["pool"]),
            ("stored", lambda r: _bytes(r["stored_bytes"])),
            ("used", lambda r: _bytes(r["used_bytes"])),
            ("max avail", lambda r: _bytes(r["max_avail_bytes"])),
            ("objects", lambda r: str(r["objects"])),
        ],
    ),
}


def _bytes(value: int) -> str:
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} PiB"


def _summary_line(summary: dict[str, Any]) -> str:
    """Ceph's cluster-wide figures in one line (the only cluster with a summary)."""
    return (
        f"  {summary['health']}; monitors in quorum {len(summary['quorum'])}/{summary['monitors']}; "
        f"OSDs {summary['osds_up']} up, {summary['osds_in']} in of {summary['osds']}; "
        f"{_bytes(summary['avail_bytes'])} free of {_bytes(summary['total_bytes'])}"
    )


def print_status(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(file=sys.stdout)
    if report.get("error"):
        console.print(f"[red]cloud not answering:[/red] {escape(report['error'])}")
    if report["endpoints"]:
        table = Table(title=f"{report['site']}: endpoints")
        for column in ("service", "url", "answer"):
            table.add_column(column)
        for e in report["endpoints"]:
            mark = "[green]ok[/green]" if e["ok"] else "[red]DOWN[/red]"
            table.add_row(e["service"], e["url"] or "-", f"{mark} {escape(e['detail'])}")
        console.print(table)
    if report["computes"]:
        hosts = Table(title=f"{report['site']}: compute hosts")
        for column in ("host", "nova", "scheduling", "placement inventory", "ok"):
            hosts.add_column(column)
        for h in report["computes"]:
            inv = ", ".join(f"{k}={v}" for k, v in sorted(h["inventory"].items())) or "none"
            ok = "[green]yes[/green]" if h["ok"] else "[red]no[/red]"
            hosts.add_row(h["host"], h["nova"], escape(str(h.get("scheduling", ""))), inv, ok)
        console.print(hosts)
    for cluster in report.get("clusters", []):
        title, columns = _CLUSTERS[cluster["name"]]
        verdict = "[green]healthy[/green]" if cluster["healthy"] else "[red]NOT HEALTHY[/red]"
        table = Table(title=f"{report['site']}: {title} ({verdict})")
        for heading, _ in columns:
            table.add_column(heading)
        for row in cluster["rows"]:
            table.add_row(*(escape(str(show(row))) for _, show in columns))
        console.print(table)
        if cluster.get("summary"):
            console.print(escape(_summary_line(cluster["summary"])))
        for problem in cluster["problems"]:
            console.print(f"  [red]•[/red] {escape(problem)}")
