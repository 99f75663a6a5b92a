"""A site's HA clusters for `berth cloud status`: playbooks/status.yml run read-only on the site's hosts,
its module results collected per host and module, and berth_core.clusters' verdicts over them.

Run without the site lock: it changes nothing, and an operator needs it most while a deploy is stuck.
Only for a site that has clusters (its group `all` vars name a VIP, Galera members or RabbitMQ members);
a one-host site without them reports its cloud alone, as before."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from berth_cli.ansible.vars_files import SiteVars
    from berth_cli.context import SiteContext
    from berth_core.clusters import Cluster

# The variables whose presence in a site's group `all` vars says it runs clusters.
CLUSTER_VARS = ("berth_internal_vip", "mariadb_cluster_members", "rabbitmq_cluster_members")
PLAYBOOK = "status.yml"


def has_clusters(site_vars: SiteVars) -> bool:
    return any(name in site_vars for name in CLUSTER_VARS)


def collector(modules: frozenset[str]) -> tuple[dict[str, dict[str, Any]], Callable[[dict[str, Any]], bool]]:
    """An ansible-runner event handler that keeps, per host, each status module's result (or why the host
    could not be reached to run it), and the dict it fills."""
    from berth_core.clusters import UNREACHABLE

    observed: dict[str, dict[str, Any]] = {}

    def handler(event: Mapping[str, Any]) -> bool:
        kind, data = event.get("event"), event.get("event_data") or {}
        host = data.get("host")
        if not host:
            return True
        res, action = data.get("res") or {}, data.get("task_action")
        if action not in modules:
            return True
        if kind == "runner_on_unreachable":  # ignore_unreachable: the play tries each task on the host
            observed.setdefault(host, {})[action] = {UNREACHABLE: str(res.get("msg") or "unreachable")}
        elif kind in ("runner_on_ok", "runner_on_failed"):
            observed.setdefault(host, {})[action] = dict(res)
        return True

    return observed, handler


def read_clusters(ctx: SiteContext, site_vars: SiteVars, *, timeout: int = 300) -> list[Cluster]:
    """Run the status playbook on the site's hosts and judge each cluster it found."""
    import io

    from rich.console import Console

    from berth_cli.ansible.args import PlaybookRun
    from berth_cli.ansible.progress import PlaybookProgress
    from berth_cli.ansible.runner import run_playbook
    from berth_cli.services.deploy import inventory
    from berth_core.clusters import STATUS_MODULES, site_clusters
    from berth_core.errors import AnsibleFailed

    run = PlaybookRun(
        playbooks_dir=ctx.root / "playbooks",
        playbook=PLAYBOOK,
        inventory=inventory(ctx),
        timeout_s=timeout,
    )
    observed, collect = collector(STATUS_MODULES)
    quiet = PlaybookProgress(Console(file=io.StringIO()), enabled=False)

    def handler(event: dict[str, Any]) -> bool:
        collect(event)
        return quiet(event)

    try:
        run_playbook(run, ctx.state_dir / "ansible", handler, quiet.tally)
    except AnsibleFailed:
        if not observed:  # nothing answered at all: the run's own error says why
            raise
    vip = str(site_vars.get("berth_internal_vip") or "")
    return site_clusters(observed, [vip] if vip and "{{" not in vip else [])
