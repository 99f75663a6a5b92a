"""`berth cloud deploy|status|down|backup|restore`: deploy a site's OpenStack with berth's playbooks, check
it, stop it, back it up into one encrypted archive and restore it from one."""

from __future__ import annotations

import json
import sys
from pathlib import Path
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


KeyFile = Annotated[
    Path,
    typer.Option(
        "--key-file",
        envvar="BERTH_BACKUP_KEY_FILE",
        help="The operator's backup key (0600, kept outside .berth: every backup carries .berth/<site>).",
    ),
]


@group.command("backup")
def backup(
    *,
    key_file: KeyFile,
    new_key: Annotated[
        bool,
        typer.Option("--new-key", help="Make a new key in --key-file first (refused if the file exists)."),
    ] = False,
    archive: Annotated[
        Path | None,
        typer.Option(
            "--archive", help="Where to write it (default: .berth/backups/<site>-<UTC time>.berth-backup)."
        ),
    ] = None,
    timeout: Annotated[
        int, typer.Option("--timeout", min=60, help="Seconds before the run is stopped.")
    ] = 1800,
) -> None:
    """Hot-back up the site (databases, keystone's keys, CA, secrets, audit log, IPAM ledger) into one archive."""
    from berth_cli.services.backup import backup_site, open_key

    ctx = site_context()
    key = open_key(ctx, key_file, new=new_key)
    if new_key:  # a notice, on stderr: stdout stays the result (JSON with --output json)
        print(
            f"{ctx.site}: new backup key in {key_file} (key id {key.key_id.hex()}): keep it apart from the archives",
            file=sys.stderr,
        )
    summary = backup_site(ctx, key, archive, timeout=timeout)
    if ctx.output == "json":
        print(json.dumps(summary.to_dict(), indent=2))
        return
    print(
        f"{ctx.site}: backup {summary.archive} ({summary.bytes / 2**20:.1f} MiB, {summary.members} files, "
        f"key id {summary.key_id}) in {summary.seconds} s"
    )


@group.command("restore")
def restore(
    archive: Annotated[Path, typer.Argument(help="An archive `berth cloud backup` wrote for this site.")],
    *,
    key_file: KeyFile,
    skip_preflight: Annotated[
        bool, typer.Option("--skip-preflight", help="Do not run the SSH host checks before the deploy.")
    ] = False,
    timeout: Annotated[
        int, typer.Option("--timeout", min=60, help="Seconds before each run is stopped.")
    ] = 3600,
) -> None:
    """Put the site back as the archive holds it, deploy it, and verify: services, audit chain, empty plan."""
    from berth_cli.services.backup import open_key, restore_site
    from berth_core.errors import OpenStackError

    ctx = site_context()
    report = restore_site(
        ctx, archive, open_key(ctx, key_file), skip_preflight=skip_preflight, timeout=timeout
    )
    if ctx.output == "json":
        print(json.dumps(report.to_dict(), indent=2))
    else:
        for name in report.state_restored:
            print(f"state: {name} restored")
        for name in report.state_kept:
            print(f"state: {name} differs from the backup's: the site's own kept")
        down = [name for name, ok in report.services.items() if not ok]
        print(f"services: {len(report.services) - len(down)} of {len(report.services)} answer")
        print(
            f"audit log: {report.audit_records} record(s), {'intact' if report.audit_intact else 'NOT intact'}"
        )
        print(f"plan over the site's manifests: {report.plan_changes} change(s)")
        print(f"{ctx.site}: restored from the backup of {report.created} in {report.seconds} s")
        print(f"the database host's previous data: <datadir>{report.set_aside} (remove it once satisfied)")
    if not report.verified:
        problems = [f"{name} does not answer" for name, ok in report.services.items() if not ok]
        problems += [] if report.audit_intact else ["the audit log is not intact"]
        problems += [f"the plan has {report.plan_changes} change(s)"] if report.plan_changes else []
        raise OpenStackError(
            f"{ctx.site}: restored, but not verified: {'; '.join(problems)}",
            hint="`berth cloud status` and `berth plan` show the details",
        )
