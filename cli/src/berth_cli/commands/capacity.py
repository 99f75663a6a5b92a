"""`berth capacity`: allocatable, committed quota and headroom per resource class and agency; flavor fit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from berth_cli.context import OPTIONS

if TYPE_CHECKING:
    from rich.console import Console

    from berth_core.admission import AdmissionReport, Total
    from berth_core.capacity import FlavorFit

_VERDICT_STYLE = {
    "ok": "green",
    "over": "yellow",
    "refused": "bold red",
    "overridden": "yellow",
    "not-governed": "dim",
}
# rows are named for people; MEMORY_MB is shown in GiB so the numbers fit a terminal (JSON keeps MiB)
_LABEL = {
    "VCPU": ("VCPU", 1),
    "MEMORY_MB": ("RAM GiB", 1024),
    "DISK_GB": ("disk GiB", 1),
    "VOLUME_GB": ("volume GiB", 1),
}


def register(app: typer.Typer) -> None:
    app.command("capacity")(capacity)


def _total(total: Total | None, scale: int = 1) -> str:
    if total is None:
        return "-"
    if total.unbounded:
        return f"unlimited ({len(total.unbounded)}) + {total.amount // scale:,}"
    return f"{total.amount // scale:,}"


def _num(value: int | None, scale: int = 1) -> str:
    return "-" if value is None else f"{value // scale:,}"


def _committed(before: Total | None, after: Total | None, scale: int = 1) -> str:
    if before is None or after is None:
        return "-"
    if before == after:
        return _total(after, scale)
    return f"{_total(before, scale)} → {_total(after, scale)}"


def print_admission(report: AdmissionReport, console: Console, *, agencies: bool = True) -> None:
    """The capacity table per resource class (and per agency), as `plan` and `capacity` show it."""
    from rich.table import Table

    table = Table(title=f"capacity (from {report.source}; committed = sum of quotas)", title_justify="left")
    for column in ("class", "allocatable", "x", "limit", "committed", "headroom", "usage"):
        table.add_column(
            column, justify="left" if column == "class" else "right", overflow="fold", min_width=len(column)
        )
    table.add_column("verdict", min_width=12)
    for c in report.classes:
        style = _VERDICT_STYLE[c.verdict]
        label, scale = _LABEL[c.resource_class]
        table.add_row(
            label,
            _num(c.allocatable, scale),
            "-" if c.limit is None else f"{c.overbooking:g}",
            _num(c.limit, scale),
            _committed(c.before, c.after, scale),
            _num(c.headroom, scale),
            _num(c.usage, scale),
            f"[{style}]{c.verdict}[/]",
        )
    console.print(table)
    lines = [a for a in report.agencies if agencies or a.verdict != "ok"]
    if lines:
        per_agency = Table(title="per agency", title_justify="left")
        for column in ("agency", "quota", "cap", "committed", "verdict"):
            per_agency.add_column(column)
        for a in lines:
            style = _VERDICT_STYLE[a.verdict]
            per_agency.add_row(
                a.agency, a.field, _num(a.cap), _committed(a.before, a.after), f"[{style}]{a.verdict}[/]"
            )
        console.print(per_agency)
    for refusal in report.refusals():
        console.print(
            f"[bold red]refused:[/] {refusal}" if report.refused else f"[yellow]overridden:[/] {refusal}"
        )


def _print_fits(fits: list[FlavorFit], console: Console) -> None:
    from rich.table import Table

    table = Table(
        title="how many more instances fit (per host, from free allocatable capacity)", title_justify="left"
    )
    for column in ("flavor", "vcpus", "ram MiB", "disk GiB", "fit", "hosts with room", "most on one host"):
        table.add_column(column, justify="left" if column == "flavor" else "right", overflow="fold")
    for fit in fits:
        counts = list(fit.per_host.values())
        table.add_row(
            fit.flavor,
            str(fit.vcpus),
            f"{fit.ram_mib:,}",
            str(fit.disk_gib),
            f"{fit.total:,}",
            f"{sum(1 for n in counts if n > 0)}/{len(counts)}",
            str(max(counts, default=0)),
        )
    console.print(table)


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
    from berth_cli.render import console as make_console
    from berth_cli.workflow import load_inputs, observe_site, open_cloud
    from berth_core.capacity import flavor_fits, snapshot_from_site
    from berth_core.errors import UsageError
    from berth_core.planning import PlanInputs, capacity_status, resolve_quotas
    from berth_core.state import ObservedState

    site, loaded, locate_site = load_inputs(paths)
    known = {f.name for f in site.spec.flavors}
    unknown = sorted(set(flavor or ()) - known)
    if unknown:
        raise UsageError(
            f"flavor(s) {', '.join(unknown)} not in site {site.name}",
            hint=f"known: {', '.join(sorted(known))}",
        )
    if offline:
        observed, snapshot = ObservedState(), snapshot_from_site(site)
    else:
        from berth_cloud import live_capacity

        cloud = open_cloud()
        observed, snapshot = observe_site(cloud, site), live_capacity(cloud, site)
    inputs = PlanInputs(site, loaded, locate_site=locate_site, observed=observed, snapshot=snapshot)
    report = capacity_status(inputs, resolve_quotas(loaded, site, locate_site))
    chosen = tuple(f for f in site.spec.flavors if not flavor or f.name in flavor)
    fits = flavor_fits(snapshot, chosen)
    if OPTIONS.output == "json":
        document = {
            "site": site.name,
            "tenants": len(loaded),
            **report.to_dict(),
            "flavors": [f.to_dict() for f in fits],
        }
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    console = make_console()
    print_admission(report, console)
    _print_fits(fits, console)
