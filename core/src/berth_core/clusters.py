"""A site's highly available clusters as `berth cloud status` shows them (pure: observations in, verdicts out).

The observations are the results of berth's read-only Ansible modules, run on every host by
`playbooks/status.yml` (the same modules the roles gate their own steps on, so status and deploy read each
fact one way): per host, per module, the module's result, or `{"unreachable": message}` when the host
could not be reached to run it.
A cluster is healthy when every member says the same whole cluster is up:

- VIP: each address held by exactly one load balancer;
- HAProxy: every load balancer answers and sees every server of every backend UP;
- Galera: every member Synced in one Primary component whose size is the number of members;
- RabbitMQ: every member running, seeing every expected node running and no partition, no alarm.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

VIP = "berth.cloud.vip_status"
HAPROXY = "berth.cloud.haproxy_status"
GALERA = "berth.cloud.galera_status"
RABBITMQ = "berth.cloud.rabbitmq_cluster_status"
STATUS_MODULES = frozenset({VIP, HAPROXY, GALERA, RABBITMQ})
UNREACHABLE = "unreachable"

Observations = Mapping[str, Mapping[str, Mapping[str, Any]]]  # host -> module -> result


@dataclass(frozen=True)
class Cluster:
    """One cluster: a row per member (or per VIP) and what is wrong, in words an operator acts on."""

    name: str
    rows: list[dict[str, Any]]
    problems: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)  # cluster-wide figures (Ceph's health, OSDs)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        report = {"name": self.name, "healthy": self.healthy, "rows": self.rows, "problems": self.problems}
        return {**report, "summary": self.summary} if self.summary else report


def _members(observed: Observations, module: str) -> list[tuple[str, Mapping[str, Any]]]:
    """The hosts that ran `module` or could not be reached to run it, by name (a host outside the
    module's play, a compute for Galera, has no entry for it, reachable or not)."""
    return [(host, observed[host][module]) for host in sorted(observed) if module in observed[host]]


def _error(result: Mapping[str, Any], key: str) -> str | None:
    """Why a host has no answer: unreachable, or the module's own message (status plays never fail)."""
    if UNREACHABLE in result:
        return f"unreachable: {result[UNREACHABLE]}"
    if key not in result:
        return str(result.get("msg") or "no answer")
    return None


def vip_cluster(observed: Observations, vips: Sequence[str]) -> Cluster | None:
    members = _members(observed, VIP)
    if not members or not vips:
        return None
    rows, problems = [], []
    for vip in vips:
        holders = [host for host, res in members if vip in (res.get("held") or [])]
        rows.append({"vip": vip, "holders": holders})
        if len(holders) != 1:
            problems.append(f"VIP {vip} is held by {', '.join(holders) if holders else 'no load balancer'}")
    for host, res in members:
        if (why := _error(res, "held")) is not None:
            problems.append(f"{host}: {why}")
    return Cluster("vip", rows, problems)


def haproxy_cluster(observed: Observations) -> Cluster | None:
    members = _members(observed, HAPROXY)
    if not members:
        return None
    rows, problems = [], []
    for host, res in members:
        why = _error(res, "proxies")
        if why is not None:
            rows.append({"host": host, "servers_up": 0, "servers": 0, "down": [], "error": why})
            problems.append(f"{host}: {why}" if UNREACHABLE in res else f"{host}: HAProxy {why}")
            continue
        servers = [s for proxy in res["proxies"].values() for s in proxy["servers"].values()]
        down = list(res.get("down") or [])
        rows.append(
            {"host": host, "servers_up": len(servers) - len(down), "servers": len(servers), "down": down}
        )
        if down:
            problems.append(f"{host}: backend servers down: {', '.join(down)}")
    return Cluster("haproxy", rows, problems)


def galera_cluster(observed: Observations) -> Cluster | None:
    members = _members(observed, GALERA)
    if not members:
        return None
    rows, problems, uuids = [], [], set()
    for host, res in members:
        why = _error(res, "synced")
        if why is None and not res.get("running"):
            why = "MariaDB is not installed" if not res.get("installed") else "MariaDB is not running"
        if why is not None:
            rows.append({"host": host, "state": "-", "size": 0, "component": "-", "error": why})
            problems.append(f"{host}: {why}")
            continue
        size, state = int(res.get("cluster_size") or 0), str(res.get("local_state_comment") or "-")
        rows.append(
            {"host": host, "state": state, "size": size, "component": res.get("cluster_status") or "-"}
        )
        if res.get("cluster_state_uuid"):
            uuids.add(res["cluster_state_uuid"])
        if not res.get("synced"):
            problems.append(f"{host}: {state} in a {res.get('cluster_status') or 'no'} component")
        elif size != len(members):
            problems.append(f"{host}: sees a cluster of {size}, not {len(members)}")
    if len(uuids) > 1:
        problems.append(f"the members are in {len(uuids)} different clusters (split brain)")
    return Cluster("galera", rows, problems)


def rabbitmq_cluster(observed: Observations) -> Cluster | None:
    members = _members(observed, RABBITMQ)
    if not members:
        return None
    rows, problems = [], []
    for host, res in members:
        why = _error(res, "state")
        if why is None and res["state"] != "running":
            why = f"broker {res['state']}" + (f": {res['error']}" if res.get("error") else "")
        if why is not None:
            rows.append(
                {"host": host, "node": res.get("node", "-"), "running": [], "partitions": {}, "error": why}
            )
            problems.append(f"{host}: {why}")
            continue
        partitions = dict(res.get("partitions") or {})
        running = list(res.get("running_nodes") or [])
        rows.append({"host": host, "node": res["node"], "running": running, "partitions": partitions})
        missing = res.get("missing") or {}
        for what in ("not_members", "not_running", "partitioned"):
            if missing.get(what):
                problems.append(f"{host}: {what.replace('_', ' ')}: {', '.join(missing[what])}")
        if res.get("alarms"):
            problems.append(f"{host}: alarms {', '.join(res['alarms'])}")
    return Cluster("rabbitmq", rows, problems)


def site_clusters(observed: Observations, vips: Sequence[str]) -> list[Cluster]:
    """Every cluster the site has (those no host ran are absent), in the order an operator reads them."""
    clusters = (
        vip_cluster(observed, vips),
        haproxy_cluster(observed),
        galera_cluster(observed),
        rabbitmq_cluster(observed),
    )
    return [c for c in clusters if c is not None]
