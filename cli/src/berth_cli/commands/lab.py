"""`berth lab up|status|down`: pristine Linux hosts on this machine for rehearsing a site (docs/lab.md)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from berth_cli.context import site_context

if TYPE_CHECKING:
    from berth_cli.lab.service import LabReport

group = typer.Typer(
    help="Pristine hosts on this machine (namespaces, overlay root, sshd) for a site's lab.yml.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="lab")


def _print(report: LabReport, title: str) -> None:
    from rich.table import Table

    from berth_cli.rendering.console import console

    table = Table(title=title)
    for column in ("host", "address", "groups", "namespaces", "sshd", "pid", "action"):
        table.add_column(column)
    for h in report.hosts:
        table.add_row(
            h.name,
            h.address,
            ",".join(h.groups),
            "alive" if h.namespaces else "gone",
            "answers" if h.sshd else "down",
            str(h.pid or "-"),
            h.action or "-",
        )
    out = console()
    out.print(table)
    shared = (
        f"bridge {'up' if report.bridge else 'absent'}, apt proxy {'up' if report.apt_proxy else 'absent'}"
    )
    out.print(f"lab {report.site}: {shared}" + "".join(f", {k} {v}" for k, v in report.timings.items()))
    for vip, holder in report.vips.items():
        out.print(f"VIP {vip}: {f'held by {holder}' if holder else 'held by no host'}")


@group.command("up")
def up() -> None:
    """Create the site's lab hosts that are missing, restart a dead sshd; write hosts.yml and known_hosts."""
    from berth_cli.lab.service import up as lab_up

    ctx = site_context()
    report = lab_up(ctx)
    if ctx.output == "json":
        print(json.dumps(report.to_dict(), indent=2))
        return
    _print(report, f"lab {ctx.site}: up")
    if report.trusted:
        print(f"recorded host keys of {', '.join(report.trusted)} in {ctx.site_dir / 'known_hosts'}")


@group.command("status")
def status() -> None:
    """Each host of the lab: its address, whether its namespaces and its sshd are alive."""
    from berth_cli.lab.service import status as lab_status
    from berth_core.errors import BerthError

    ctx = site_context()
    report = lab_status(ctx)
    if ctx.output == "json":
        print(json.dumps(report.to_dict(), indent=2))
    else:
        _print(report, f"lab {ctx.site}")
    down = [h.name for h in report.hosts if not (h.namespaces and h.sshd)]
    if down:
        raise BerthError(
            f"lab {ctx.site}: not running: {', '.join(down)}", hint=f"berth lab up --site {ctx.site}"
        )


@group.command("down")
def down() -> None:
    """Stop every host of the lab by PID; remove its namespaces, veths, files (and the bridge when unused)."""
    from berth_cli.lab.service import down as lab_down

    ctx = site_context()
    report, killed = lab_down(ctx)
    if ctx.output == "json":
        print(json.dumps({**report.to_dict(), "killed": killed}, indent=2))
        return
    print(
        f"lab {ctx.site}: down ({sum(killed.values())} process(es) stopped; bridge {'kept: another lab uses it' if report.bridge else 'removed'})"
    )
    for vip, holder in report.vips.items():
        print(f"VIP {vip}: {f'released with {holder}' if holder else 'held by no host'}")
