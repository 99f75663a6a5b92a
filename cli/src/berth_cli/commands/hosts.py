"""`berth hosts check|trust|facts|drain|enable`: SSH preflight of a site's hosts (paramiko is imported only in
the bodies), and taking a compute host out of service and back."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from berth_cli.context import SiteContext, site_context
from berth_cli.rendering.console import console

if TYPE_CHECKING:
    from berth_cli.preflight.runner import HostReport

group = typer.Typer(
    help="Check the data-centre hosts before a deploy: preflight, host keys, measured capacity.",
    no_args_is_help=True,
)

Limit = Annotated[
    str | None,
    typer.Option("--limit", "-l", help="Comma-separated hosts, groups or patterns (as Ansible's)."),
]
Timeout = Annotated[
    float, typer.Option("--timeout", min=0.5, help="Seconds per host, from connect to the probe's end.")
]
Parallel = Annotated[int, typer.Option("--parallel", min=1, max=256, help="Hosts checked at the same time.")]


def _check_hosts(ctx: SiteContext, limit: str | None, timeout: float, parallel: int) -> list[HostReport]:
    """Probe the site's hosts (progress on stderr when it is a terminal); the per-host reports."""
    from berth_cli.preflight.check import run_site

    progress = console(stderr=True) if ctx.output == "text" and sys.stderr.isatty() else None
    _, reports = run_site(
        ctx.site,
        ctx.site_dir,
        ctx.root,
        limit,
        timeout=timeout,
        parallel=parallel,
        console=progress,
        debug=ctx.debug,
    )
    return reports


@group.command("check")
def check(*, limit: Limit = None, timeout: Timeout = 15.0, parallel: Parallel = 16) -> None:
    """Check every host (or --limit): reachability, host key, auth, OS, CPU, RAM, disk, time, ports, MTU, DNS."""
    from berth_cli.preflight.render import as_json, print_text, summary_line
    from berth_core.errors import PreflightFailed

    ctx = site_context()
    reports = _check_hosts(ctx, limit, timeout, parallel)
    if ctx.output == "json":
        print(as_json(ctx.site, reports))
    else:
        print_text(console(), ctx.site, reports)
    if any(r.status == "fail" for r in reports):
        raise PreflightFailed(
            summary_line(ctx.site, reports),
            hint="Each failure above says what to do; re-run the check after fixing.",
        )


@group.command("trust")
def trust(
    hosts: Annotated[list[str], typer.Argument(help="Inventory host names or groups whose keys to record.")],
    *,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Record without asking (after checking fingerprints).")
    ] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace a recorded key that changed (re-installed host).")
    ] = False,
    timeout: Timeout = 15.0,
) -> None:
    """Show the keys hosts offer and record them in inventory/<site>/known_hosts, only on confirmation."""
    from berth_cli.preflight.inventory import load_inventory
    from berth_cli.preflight.trust import offered_key, record
    from berth_core.errors import PreflightFailed, UsageError

    ctx = site_context()
    inv = load_inventory(ctx.site_dir, ctx.root)
    selected = [h for h in inv.select(",".join(hosts)) if h.connection != "local"]
    if not selected:
        raise UsageError("no SSH host selected: hosts with ansible_connection local need no host key")
    out = sys.stdout if ctx.output == "text" else sys.stderr
    offers, refused = [], []
    for host in selected:
        try:
            offer = offered_key(host, inv.known_hosts, timeout)
        except (OSError, EOFError, Exception) as exc:
            raise PreflightFailed(
                f"{host.name} ({host.address}:{host.port}): cannot fetch its host key: "
                f"{exc or type(exc).__name__}",
                hint=f"berth hosts check --site {ctx.site} --limit {host.name} says why.",
            ) from exc
        line = f"{host.name} ({host.address}:{host.port}) offers {offer.key.get_name()} {offer.fingerprint}"
        if offer.state == "same":
            print(f"{line}: already trusted", file=out)
            continue
        if offer.state == "changed":
            print(f"{line}\n  CHANGED: known_hosts has {offer.recorded}", file=out)
            if not replace:
                refused.append(host.name)
                continue
        else:
            print(f"{line}: new", file=out)
        offers.append(offer)
    if refused:
        raise PreflightFailed(
            f"host key changed for {', '.join(refused)}; nothing recorded",
            hint="Verify the new fingerprint on the host's console (ssh-keygen -lf "
            "/etc/ssh/ssh_host_ed25519_key.pub); if it matches, re-run with --replace.",
        )
    if not offers:
        return
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(
                "not recording host keys without confirmation",
                hint="Compare the fingerprints above with the hosts' consoles, then pass --yes.",
            )
        typer.confirm(f"Record {len(offers)} key(s) in {inv.known_hosts}?", abort=True)
    record(inv.known_hosts, offers)
    print(f"recorded {len(offers)} key(s) in {inv.known_hosts}", file=out)
    if ctx.output == "json":
        import json

        print(
            json.dumps(
                {
                    "recorded": [
                        {
                            "host": o.host.name,
                            "names": list(o.names),
                            "type": o.key.get_name(),
                            "fingerprint": o.fingerprint,
                        }
                        for o in offers
                    ]
                },
                indent=2,
            )
        )


@group.command("facts")
def facts(
    *,
    limit: Annotated[
        str, typer.Option("--limit", "-l", help="Hosts to measure (default: computes).")
    ] = "computes",
    timeout: Timeout = 15.0,
    parallel: Parallel = 16,
) -> None:
    """Measure cores, RAM and disk of compute hosts; compare with cloud.yml; save .berth/<site>/facts.json."""
    import json

    from berth_cli.preflight.facts import load_site, snapshot, write_snapshot
    from berth_core.errors import PreflightFailed

    ctx = site_context()
    site = load_site(ctx.cloud_yml)
    reports = _check_hosts(ctx, limit, timeout, parallel)
    doc = snapshot(site, reports)
    path = write_snapshot(ctx.state_dir, doc)
    if ctx.output == "json":
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        _print_facts(doc, str(path))
    if doc["unmeasured"]:
        raise PreflightFailed(
            f"could not measure {', '.join(doc['unmeasured'])}",
            hint=f"berth hosts check --site {ctx.site} shows why.",
        )


def _print_facts(doc: dict[str, Any], path: str) -> None:
    from rich.table import Table

    table = Table(title=f"Compute capacity: site {doc['site']} (declared / measured)")
    for column in ("host", "zone", "vcpus", "RAM MiB", "disk GiB"):
        table.add_column(column, justify="left" if column in ("host", "zone") else "right")
    for row in doc["hosts"]:
        d, m = row["declared"] or {}, row["measured"] or {}
        table.add_row(
            row["name"],
            row["zone"] or "-",
            *(f"{d.get(k, '-')} / {m.get(k, '-')}" for k in ("vcpus", "ramMiB", "diskGiB")),
        )
    out = console()
    out.print(table)
    for mismatch in doc["mismatches"]:
        out.print(f"mismatch: {mismatch}", soft_wrap=True)
    out.print(f"snapshot written to {path}")


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="hosts")


Reason = Annotated[
    str, typer.Option("--reason", help="Why (the audit log and nova's disabled reason keep it).")
]


@group.command("drain")
def drain(
    host: Annotated[str, typer.Argument(help="The compute host (nova's name for it).")],
    *,
    reason: Reason,
    timeout: Annotated[
        float, typer.Option("--timeout", min=10, help="Seconds each guest may take to move.")
    ] = 300.0,
) -> None:
    """Stop scheduling onto a compute host and move its guests off; refused (exit 4) when the rest cannot
    take them, changing nothing."""
    from berth_cli.services.drain import drain_host

    ctx = site_context()
    report = drain_host(ctx, host, reason, timeout=timeout)
    if ctx.output == "json":
        import json

        print(json.dumps(report.to_dict(), indent=2))
        return
    for moved in report.moved:
        print(f"{moved['server']}: moved to {moved['to']}")
    print(f"{host}: drained ({len(report.moved)} guest(s) moved); `berth hosts enable {host}` takes it back")


@group.command("enable")
def enable(
    host: Annotated[str, typer.Argument(help="The compute host (nova's name for it).")],
    *,
    reason: Reason,
) -> None:
    """Let nova schedule onto a drained (disabled) compute host again."""
    from berth_cli.services.drain import enable_host

    ctx = site_context()
    changed = enable_host(ctx, host, reason)
    print(f"{host}: {'scheduling enabled' if changed else 'already enabled'}")
