"""Deploying a site's cloud with berth's playbooks, stopping it, and checking that it answers.

One playbook run per site at a time (the site lock also keeps tenant applies out while the cloud is being
redeployed). Playbook progress is streamed as the run goes (berth_cli.ansible.progress); the results are
returned for the command to render.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from berth_cli.ansible.runner import RunResult
    from berth_cli.ansible.vars_files import SiteVars
    from berth_cli.context import SiteContext
    from berth_cli.pki.settings import PublicTls
    from berth_cli.pki.store import TlsMaterial

# Catalogue types `status` probes, with the path that answers without a token.
SERVICES = (
    ("identity", "keystone", "/v3"),
    ("placement", "placement", "/"),
    ("compute", "nova", "/"),
    ("network", "neutron", "/"),
    ("image", "glance", "/"),
    ("block-storage", "cinder", "/"),
)


@dataclass(frozen=True)
class PlaybookSummary:
    site: str
    status: str
    seconds: float
    changed: int
    failed: int
    hosts: dict[str, Any]
    artifacts: str
    clouds_yaml: str | None = None
    tls: dict[str, Any] | None = None  # TlsMaterial.to_dict() of a TLS site: paths, expiry, what changed

    def to_dict(self) -> dict[str, Any]:
        data = dict(vars(self))
        for optional in ("clouds_yaml", "tls"):
            if data[optional] is None:
                data.pop(optional)
        return data


def inventory(ctx: SiteContext) -> Path:
    from berth_core.errors import UsageError

    hosts = ctx.site_dir / "hosts.yml"
    if not hosts.is_file():
        raise UsageError(f"no inventory for site {ctx.site!r}: {hosts} is missing", hint="see inventory/aio")
    return hosts


def _site_vars(ctx: SiteContext) -> SiteVars:
    """The site's group `all` settings as Ansible layers them (hosts.yml, then every group_vars/all file)."""
    from berth_cli.ansible.vars_files import site_vars

    return site_vars(ctx.site_dir)


def _cloud_yml_spec(ctx: SiteContext) -> dict[str, Any]:
    """cloud.yml's spec read leniently: deploy and status must work even while a manifest check would not."""
    import yaml

    try:
        data = yaml.safe_load(ctx.cloud_yml.read_text(encoding="utf-8")) or {}
        spec = data.get("spec", {})
        return spec if isinstance(spec, dict) else {}
    except (OSError, yaml.YAMLError, AttributeError):
        return {}


def run_site_playbook(
    ctx: SiteContext,
    playbook: str,
    *,
    check: bool = False,
    limit: str | None = None,
    tags: str | None = None,
    timeout: int = 3600,
    secrets: bool = True,
    prepare: Callable[[], dict[str, Any]] | None = None,
) -> PlaybookSummary:
    """Run one playbook of the site under its lock; `prepare` runs under the lock too, just before the
    playbook, and returns extra vars for it (file paths and plain settings only, never a secret)."""
    from dataclasses import replace

    from rich.console import Console

    from berth_cli.ansible.args import PlaybookRun, check_limit, parse_tags
    from berth_cli.ansible.progress import PlaybookProgress
    from berth_cli.ansible.runner import run_playbook
    from berth_cli.ansible.secrets_file import ensure_secrets
    from berth_cli.state.lock import site_lock

    run = PlaybookRun(
        playbooks_dir=ctx.root / "playbooks",
        playbook=playbook,
        inventory=inventory(ctx),
        secrets_file=ensure_secrets(ctx.state_dir) if secrets else None,
        limit=check_limit(limit),
        tags=parse_tags(tags),
        check=check,
        timeout_s=timeout,
        extravars={"berth_state_dir": str(ctx.state_dir)},  # where a role leaves the deploy host's files
    )
    console = Console(stderr=ctx.output == "json")
    progress = PlaybookProgress(console, enabled=ctx.output == "text", title=f"{ctx.site} {playbook}")
    with site_lock(ctx.state_dir, f"berth cloud {playbook}", wait_seconds=5), progress:
        if prepare is not None:
            run = replace(run, extravars={**run.extravars, **prepare()})
        try:
            result = run_playbook(run, ctx.state_dir / "ansible", progress, progress.tally)
        finally:
            if ctx.output == "text" and progress.tally.hosts:
                console.print(progress.recap())
    return _summary(ctx, result)


def _summary(ctx: SiteContext, result: RunResult) -> PlaybookSummary:
    return PlaybookSummary(
        site=ctx.site,
        status=result.status,
        seconds=round(result.seconds, 1),
        changed=result.tally.changed,
        failed=result.tally.failed,
        hosts={name: vars(t) for name, t in sorted(result.tally.hosts.items())},
        artifacts=str(result.artifact_dir),
    )


@dataclass
class _SitePki:
    """The deploy's TLS step, run under the site lock just before the playbook: the site's CA and API
    certificate ensured, their paths (and the https endpoint base) returned as the playbook's extra vars."""

    ctx: SiteContext
    tls: PublicTls
    material: TlsMaterial | None = None

    def __call__(self) -> dict[str, Any]:
        from berth_cli.pki.store import ensure_site_pki

        self.material = ensure_site_pki(self.ctx.state_dir, self.ctx.site, self.tls)
        return self.material.extravars()


def deploy_site(
    ctx: SiteContext,
    *,
    check: bool = False,
    limit: str | None = None,
    tags: str | None = None,
    skip_preflight: bool = False,
    timeout: int = 3600,
) -> PlaybookSummary:
    """Deploy or converge the site's OpenStack (SSH preflight first), then write its admin clouds.yaml.

    A site with `berth_public_tls: true` (docs/tls.md) gets its CA and API certificate ensured first, under
    the site lock; the playbook receives their paths and the https endpoint base, clouds.yaml the CA."""
    from dataclasses import replace

    from berth_cli.pki.settings import public_tls

    inventory(ctx)
    site = _site_vars(ctx)
    tls = public_tls(site)  # a wrong TLS setting fails here, before preflight or any change
    if not skip_preflight:
        from berth_cli.preflight.gate import preflight_or_fail

        preflight_or_fail(ctx, limit)
    pki = _SitePki(ctx, tls) if tls is not None else None
    summary = run_site_playbook(
        ctx, "site.yml", check=check, limit=limit, tags=tags, timeout=timeout, prepare=pki
    )
    if pki is not None and pki.material is not None:
        summary = replace(summary, tls=pki.material.to_dict())
    if check:
        return summary
    from berth_cli.ansible.secrets_file import write_clouds_yaml

    region = str(_cloud_yml_spec(ctx).get("region", "RegionOne"))
    if pki is not None and pki.material is not None:
        auth_url, cacert = pki.tls.auth_url, pki.material.ca_certificate
    else:  # plain http on the address clients reach, as every site before TLS
        auth_url, cacert = f"http://{site.get('berth_internal_address', '127.0.0.1')}:5000/v3", None
    clouds = write_clouds_yaml(ctx.state_dir, site=ctx.site, auth_url=auth_url, region=region, cacert=cacert)
    return replace(summary, clouds_yaml=str(clouds))


def stop_site(ctx: SiteContext, *, timeout: int = 900) -> tuple[PlaybookSummary, int | None]:
    """Stop the demo's exporter (by its recorded PID), then every service of the site's cloud."""
    from berth_cli.state.background import stop_exporter

    exporter_pid = stop_exporter(ctx.state_dir, ctx.site)  # the demo's exporter would only log failures
    return run_site_playbook(ctx, "down.yml", timeout=timeout, secrets=False), exporter_pid


def _probe(url: str, cafile: str | None = None) -> tuple[bool, str]:
    """Does `url` answer? `cafile`: the CA that verifies an https endpoint (the clouds.yaml cacert)."""
    import ssl
    import urllib.error
    import urllib.request

    context = ssl.create_default_context(cafile=cafile) if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(url, timeout=5, context=context) as answer:  # noqa: S310 - our own cloud
            return True, str(answer.status)
    except urllib.error.HTTPError as exc:  # 300 Multiple Choices is a version document: the API answers
        return exc.code < 500, str(exc.code)
    except (urllib.error.URLError, OSError) as exc:
        return False, str(getattr(exc, "reason", exc))


def collect_status(site: str, conn: Any, expected_hosts: list[str]) -> dict[str, Any]:
    """Each endpoint answers; each compute host is up in nova and has inventory in placement."""
    endpoints = []
    verify = getattr(getattr(conn, "session", None), "verify", True)  # clouds.yaml's cacert, when it has one
    cafile = verify if isinstance(verify, str) else None
    for service_type, name, path in SERVICES:
        try:
            url = conn.endpoint_for(service_type)
        except Exception:
            url = None
        if not url:
            endpoints.append({"service": name, "url": None, "ok": False, "detail": "not in catalogue"})
            continue
        base = url.split("/v", 1)[0] if service_type != "identity" else url.rsplit("/v3", 1)[0]
        ok, detail = _probe(base.rstrip("/") + path, cafile)
        endpoints.append({"service": name, "url": url, "ok": ok, "detail": detail})
    services = {s.host: s for s in conn.compute.services(binary="nova-compute")}
    providers = {rp.name: rp for rp in conn.placement.resource_providers()}
    hosts = []
    for host in expected_hosts:
        svc, rp = services.get(host), providers.get(host)
        inventory_ = {}
        if rp is not None:
            inventory_ = {
                inv.resource_class: inv.total for inv in conn.placement.resource_provider_inventories(rp)
            }
        # a host an operator disabled (`berth hosts drain`) is healthy: it reports in, it only takes no guests
        up = svc is not None and svc.state == "up"
        scheduling = "missing" if svc is None else svc.status
        if svc is not None and svc.status == "disabled" and svc.disabled_reason:
            scheduling = f"disabled: {svc.disabled_reason}"
        hosts.append(
            {
                "host": host,
                "nova": (svc.state if svc else "missing"),
                "scheduling": scheduling,
                "placement": bool(inventory_),
                "inventory": inventory_,
                "ok": up and bool(inventory_),
            }
        )
    healthy = all(e["ok"] for e in endpoints) and all(h["ok"] for h in hosts)
    return {"site": site, "healthy": healthy, "endpoints": endpoints, "computes": hosts}


def site_status(ctx: SiteContext) -> dict[str, Any]:
    """The status report of the site: its cloud, and its clusters when it has any (services.clusters,
    and Ceph through berth_cloud.ceph_reader).
    OpenStackError (exit 5) when the cloud does not answer at all and there is no cluster to report."""
    from berth_cli.services.clusters import has_clusters, read_clusters
    from berth_cloud.ceph_reader import read_ceph_cluster
    from berth_core.errors import OpenStackError

    clusters = read_clusters(ctx, site_vars) if has_clusters(site_vars := _site_vars(ctx)) else None
    try:
        report = _cloud_status(ctx)
    except OpenStackError as exc:
        if clusters is None:
            raise
        report = {"site": ctx.site, "healthy": False, "error": exc.message, "endpoints": [], "computes": []}
    ceph = read_ceph_cluster(ctx.state_dir)  # None: the site runs no Ceph
    if ceph is not None:
        clusters = [*(clusters or []), ceph]
    if clusters is not None:
        report["clusters"] = [c.to_dict() for c in clusters]
        report["healthy"] = report["healthy"] and all(c.healthy for c in clusters)
    return report


def _cloud_status(ctx: SiteContext) -> dict[str, Any]:
    from berth_cloud import connect
    from berth_cloud.connection import CloudUnreachable
    from berth_core.errors import OpenStackError

    down_hint = f"deploy it: berth cloud deploy --site {ctx.site}"
    try:
        conn = connect(ctx.cloud, ctx.clouds_yaml).conn
    except CloudUnreachable as exc:
        raise OpenStackError(f"{ctx.site}: {exc.message}", hint=down_hint) from None
    expected = [str(h.get("name")) for h in _cloud_yml_spec(ctx).get("hosts", []) if isinstance(h, dict)]
    try:
        return collect_status(ctx.site, conn, expected)
    except OpenStackError:
        raise
    except Exception as exc:
        raise OpenStackError(
            f"{ctx.site}: cloud not answering: {type(exc).__name__}: {exc}", hint=down_hint
        ) from exc
