"""`berth cloud deploy|status|down`: deploy a site's OpenStack with berth's playbooks, check it, stop it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from berth_cli.context import OPTIONS

group = typer.Typer(
    help="Deploy, check and stop a site's OpenStack (the devcloud for --site aio).", no_args_is_help=True
)

# Catalogue types `status` probes, with the path that answers without a token.
SERVICES = (
    ("identity", "keystone", "/v3"),
    ("placement", "placement", "/"),
    ("compute", "nova", "/"),
    ("network", "neutron", "/"),
    ("image", "glance", "/"),
    ("block-storage", "cinder", "/"),
)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="cloud")


def _inventory() -> Path:
    from berth_core.errors import UsageError

    hosts = OPTIONS.site_dir / "hosts.yml"
    if not hosts.is_file():
        raise UsageError(
            f"no inventory for site {OPTIONS.site!r}: {hosts} is missing", hint="see inventory/aio"
        )
    return hosts


def _site_vars() -> dict[str, Any]:
    """The site's group_vars/all/main.yml (plain settings, no secrets)."""
    import yaml

    path = OPTIONS.site_dir / "group_vars" / "all" / "main.yml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.is_file() else {}


def _region() -> str:
    import yaml

    try:
        data = yaml.safe_load(OPTIONS.cloud_yml.read_text(encoding="utf-8")) or {}
        return str(data.get("spec", {}).get("region", "RegionOne"))
    except (OSError, yaml.YAMLError, AttributeError):
        return "RegionOne"


def _run(
    playbook: str,
    *,
    check: bool = False,
    limit: str | None = None,
    tags: str | None = None,
    timeout: int = 3600,
    secrets: bool = True,
) -> Any:
    from rich.console import Console

    from berth_cli.ansible.args import PlaybookRun, check_limit, parse_tags
    from berth_cli.ansible.progress import PlaybookProgress
    from berth_cli.ansible.runner import run_playbook
    from berth_cli.ansible.secrets_file import ensure_secrets

    run = PlaybookRun(
        playbooks_dir=OPTIONS.root / "playbooks",
        playbook=playbook,
        inventory=_inventory(),
        secrets_file=ensure_secrets(OPTIONS.state_dir) if secrets else None,
        limit=check_limit(limit),
        tags=parse_tags(tags),
        check=check,
        timeout_s=timeout,
    )
    console = Console(stderr=OPTIONS.output == "json")
    progress = PlaybookProgress(console, enabled=OPTIONS.output == "text", title=f"{OPTIONS.site} {playbook}")
    from berth_cli.state.lock import site_lock

    # one playbook run per site at a time, and no tenant apply while the cloud is being (re)deployed
    with site_lock(OPTIONS.state_dir, f"berth cloud {playbook}", wait_seconds=5), progress:
        try:
            result = run_playbook(run, OPTIONS.state_dir / "ansible", progress, progress.tally)
        finally:
            if OPTIONS.output == "text" and progress.tally.hosts:
                console.print(progress.recap())
    return result


def _summary(result: Any) -> dict[str, Any]:
    return {
        "site": OPTIONS.site,
        "status": result.status,
        "seconds": round(result.seconds, 1),
        "changed": result.tally.changed,
        "failed": result.tally.failed,
        "hosts": {name: vars(t) for name, t in sorted(result.tally.hosts.items())},
        "artifacts": str(result.artifact_dir),
    }


@group.command("deploy")
def deploy(
    check: bool = typer.Option(False, "--check", help="Dry run: report what would change, change nothing."),
    limit: str = typer.Option(None, "--limit", help="Only these hosts or groups (Ansible pattern)."),
    tags: str = typer.Option(None, "--tags", help="Only these parts, e.g. infra,keystone,nova."),
    skip_preflight: bool = typer.Option(
        False, "--skip-preflight", help="Do not run the SSH host checks first."
    ),
    timeout: int = typer.Option(3600, "--timeout", min=60, help="Seconds before the run is stopped."),
) -> None:
    """Deploy or converge the site's OpenStack; a second run changes nothing."""
    _inventory()
    if not skip_preflight:
        _preflight(limit)
    result = _run("site.yml", check=check, limit=limit, tags=tags, timeout=timeout)
    summary = _summary(result)
    if not check:
        from berth_cli.ansible.secrets_file import write_clouds_yaml

        address = str(_site_vars().get("berth_internal_address", "127.0.0.1"))
        clouds = write_clouds_yaml(
            OPTIONS.state_dir, site=OPTIONS.site, auth_url=f"http://{address}:5000/v3", region=_region()
        )
        summary["clouds_yaml"] = str(clouds)
    if OPTIONS.output == "json":
        print(json.dumps(summary, indent=2))
    else:
        verb = "would change" if check else "changed"
        print(f"{OPTIONS.site}: {verb} {summary['changed']} task(s) in {summary['seconds']} s")
        if "clouds_yaml" in summary:
            print(
                f"admin credentials: {summary['clouds_yaml']} (OS_CLIENT_CONFIG_FILE=... OS_CLOUD={OPTIONS.site}-admin)"
            )


def _preflight(limit: str | None) -> None:
    from berth_core.errors import BerthError

    try:
        from berth_cli.preflight.gate import preflight_or_fail  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:
        raise BerthError(
            "the SSH preflight is not available in this berth",
            hint="re-run with --skip-preflight to deploy without host checks",
        ) from exc
    preflight_or_fail(limit)


@group.command("down")
def down(
    timeout: int = typer.Option(900, "--timeout", min=60, help="Seconds before the run is stopped."),
) -> None:
    """Stop every service of the site's cloud (OpenStack processes, memcached, RabbitMQ, MariaDB)."""
    from berth_cli.state.background import stop_exporter

    if pid := stop_exporter(OPTIONS.state_dir, OPTIONS.site):  # the demo's exporter would only log failures
        print(f"{OPTIONS.site}: exporter (pid {pid}) stopped", file=sys.stderr)
    result = _run("down.yml", timeout=timeout, secrets=False)
    summary = _summary(result)
    if OPTIONS.output == "json":
        print(json.dumps(summary, indent=2))
    else:
        print(f"{OPTIONS.site}: stopped ({summary['changed']} service(s) were running)")


def _probe(url: str) -> tuple[bool, str]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - catalogue URL of our own cloud
            return True, str(answer.status)
    except urllib.error.HTTPError as exc:  # 300 Multiple Choices is a version document: the API answers
        return exc.code < 500, str(exc.code)
    except (urllib.error.URLError, OSError) as exc:
        return False, str(getattr(exc, "reason", exc))


def collect_status(conn: Any, expected_hosts: list[str]) -> dict[str, Any]:
    endpoints = []
    for service_type, name, path in SERVICES:
        try:
            url = conn.endpoint_for(service_type)
        except Exception:
            url = None
        if not url:
            endpoints.append({"service": name, "url": None, "ok": False, "detail": "not in catalogue"})
            continue
        base = url.split("/v", 1)[0] if service_type != "identity" else url.rsplit("/v3", 1)[0]
        ok, detail = _probe(base.rstrip("/") + path)
        endpoints.append({"service": name, "url": url, "ok": ok, "detail": detail})
    services = {s.host: s for s in conn.compute.services(binary="nova-compute")}
    providers = {rp.name: rp for rp in conn.placement.resource_providers()}
    hosts = []
    for host in expected_hosts:
        svc, rp = services.get(host), providers.get(host)
        inventory = {}
        if rp is not None:
            inventory = {
                inv.resource_class: inv.total for inv in conn.placement.resource_provider_inventories(rp)
            }
        up = svc is not None and svc.state == "up" and svc.status == "enabled"
        hosts.append(
            {
                "host": host,
                "nova": (svc.state if svc else "missing"),
                "placement": bool(inventory),
                "inventory": inventory,
                "ok": up and bool(inventory),
            }
        )
    healthy = all(e["ok"] for e in endpoints) and all(h["ok"] for h in hosts)
    return {"site": OPTIONS.site, "healthy": healthy, "endpoints": endpoints, "computes": hosts}


def _expected_hosts() -> list[str]:
    import yaml

    try:
        data = yaml.safe_load(OPTIONS.cloud_yml.read_text(encoding="utf-8")) or {}
        return [str(h["name"]) for h in data.get("spec", {}).get("hosts", [])]
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError):
        return []


@group.command("status")
def status(
    cloud: str = typer.Option(
        None,
        "--cloud",
        help="Cloud name in clouds.yaml (default: the global --cloud, OS_CLOUD, <site>-admin).",
    ),
) -> None:
    """Each endpoint answers; each compute host is up in nova and has inventory in placement."""
    from berth_cloud import connect
    from berth_cloud.connection import CloudUnreachable
    from berth_core.errors import OpenStackError

    down_hint = f"deploy it: berth cloud deploy --site {OPTIONS.site}"
    try:
        conn = connect(cloud or OPTIONS.cloud, OPTIONS.state_dir / "clouds.yaml").conn
    except CloudUnreachable as exc:
        raise OpenStackError(f"{OPTIONS.site}: {exc.message}", hint=down_hint) from None
    try:
        report = collect_status(conn, _expected_hosts())
    except OpenStackError:
        raise
    except Exception as exc:
        raise OpenStackError(
            f"{OPTIONS.site}: cloud not answering: {type(exc).__name__}: {exc}", hint=down_hint
        ) from exc
    if OPTIONS.output == "json":
        print(json.dumps(report, indent=2))
    else:
        _print_status(report)
    if not report["healthy"]:
        raise OpenStackError(
            f"{OPTIONS.site}: not healthy", hint="see the table above; logs in /var/log/berth"
        )


def _print_status(report: dict[str, Any]) -> None:
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
