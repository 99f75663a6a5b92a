"""`berth cloud deploy|status|down`: deploy a site's OpenStack with berth's playbooks, check it, stop it."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from berth_cli.context import site_context

group = typer.Typer(
    help="Deploy, check and stop a site's OpenStack (the devcloud for --site aio).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="cloud")


@group.command("deploy")
def deploy(
    *,
    check: Annotated[
        bool, typer.Option("--check", help="Dry run: report what would change, change nothing.")
    ] = False,
    limit: Annotated[
        str | None, typer.Option("--limit", help="Only these hosts or groups (Ansible pattern).")
    ] = None,
    tags: Annotated[
        str | None, typer.Option("--tags", help="Only these parts, e.g. infra,keystone,nova.")
    ] = None,
    skip_preflight: Annotated[
        bool, typer.Option("--skip-preflight", help="Do not run the SSH host checks first.")
    ] = False,
    timeout: Annotated[
        int, typer.Option("--timeout", min=60, help="Seconds before the run is stopped.")
    ] = 3600,
) -> None:
    """Deploy or converge the site's OpenStack; a second run changes nothing."""
    from berth_cli.services.deploy import deploy_site

    ctx = site_context()
    summary = deploy_site(
        ctx, check=check, limit=limit, tags=tags, skip_preflight=skip_preflight, timeout=timeout
    )
    if ctx.output == "json":
        print(json.dumps(summary.to_dict(), indent=2))
        return
    verb = "would change" if check else "changed"
    if summary.tls:  # paths and dates only: the keys stay in their files
        for change in summary.tls["changes"]:
            print(f"tls: {change}")
        print(
            f"tls: {summary.tls['endpoint_base']} with {summary.tls['server_pem']} "
            f"(until {summary.tls['not_after'][:10]}), CA {summary.tls['ca_certificate']}"
        )
    print(f"{ctx.site}: {verb} {summary.changed} task(s) in {summary.seconds} s")
    if summary.clouds_yaml:
        print(
            f"admin credentials: {summary.clouds_yaml} (OS_CLIENT_CONFIG_FILE=... OS_CLOUD={ctx.site}-admin)"
        )


@group.command("down")
def down(
    *,
    timeout: Annotated[
        int, typer.Option("--timeout", min=60, help="Seconds before the run is stopped.")
    ] = 900,
) -> None:
    """Stop every service of the site's cloud (OpenStack processes, memcached, RabbitMQ, MariaDB)."""
    from berth_cli.services.deploy import stop_site

    ctx = site_context()
    summary, exporter_pid = stop_site(ctx, timeout=timeout)
    if exporter_pid:
        print(f"{ctx.site}: exporter (pid {exporter_pid}) stopped", file=sys.stderr)
    if ctx.output == "json":
        print(json.dumps(summary.to_dict(), indent=2))
    else:
        print(f"{ctx.site}: stopped ({summary.changed} service(s) were running)")


@group.command("status")
def status() -> None:
    """Each endpoint answers; each compute host is up in nova and has inventory in placement.

    Logs in with the global --cloud (anywhere on the line), else OS_CLOUD, else <site>-admin."""
    from berth_cli.rendering.status import print_status
    from berth_cli.services.deploy import site_status
    from berth_core.errors import OpenStackError

    ctx = site_context()
    report = site_status(ctx)
    if ctx.output == "json":
        print(json.dumps(report, indent=2))
    else:
        print_status(report)
    if not report["healthy"]:
        raise OpenStackError(f"{ctx.site}: not healthy", hint="see the table above; logs in /var/log/berth")
