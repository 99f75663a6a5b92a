"""The capacity tables: admission per resource class and agency (`plan`, `capacity`, a refused apply),
and how many instances of each flavor still fit."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from berth_cli.services.capacity import CapacityView
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


def print_fits(fits: list[FlavorFit], console: Console) -> None:
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


def print_capacity(view: CapacityView, output: str) -> None:
    """`berth capacity` (and the demo's last step): the JSON document, or both tables."""
    import json

    from berth_cli.rendering.console import console

    if output == "json":
        print(json.dumps(view.to_dict(), ensure_ascii=False, indent=2))
        return
    out = console()
    print_admission(view.report, out)
    print_fits(view.fits, out)
