"""Benchmark: cold apply and no-op re-apply of N tenants, berth's direct engine side by side with a shell
script of `openstack` CLI commands and a naive sequential openstacksdk script (issue Tenants).

Needs the devcloud (`berth cloud deploy --site aio`) and python-openstackclient (root dev group). Each
contender gets its own N tenants (bench-<x>-<run>-NN) with the same content: project, every quota field,
one network + subnet (CIDR from berth's IPAM, carved from the site's subnet pool), a router with the
external gateway and the interface, one security group with one rule. Everything is deleted at the
end, even when interrupted. Prints a table; asserts nothing (figures of one run, side by side):

    uv run python bench/apply.py [--tenants 20] [--cli-tenants 20] [--cloud aio-admin]

HTTP requests: berth and the SDK script are counted on their keystoneauth session; the CLI script is run
with `--debug` and its "REQ:" lines are counted (the log goes to a temporary file that is deleted).
Targets: berth cold >= 20x faster than the CLI and >= 3x faster than the SDK script; no-op re-apply of
20 tenants <= 2 s with <= 2 requests per tenant plus a constant.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CLOUDS_YAML = ROOT / ".berth" / "aio" / "clouds.yaml"


def busy_cpu_seconds() -> float:
    """CPU time the whole machine has spent busy (every process: the contender, OpenStack, MariaDB...).

    The devcloud runs on this machine, so the difference over a phase is the CPU work that phase cost the
    cloud and the client together; with `os.cpu_count()` cores, no client can finish that work faster than
    cpu / cores seconds (the bound the table prints).
    """
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class Stopwatch:
    """Wall and machine-wide busy CPU seconds between start and stop."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = busy_cpu_seconds()

    def stop(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, busy_cpu_seconds() - self.cpu


@dataclass
class Figure:
    who: str
    phase: str
    tenants: int
    seconds: float
    requests: int | None
    cpu: float
    processes: int | None = None

    def row(self) -> str:
        per_t = f"{self.seconds / self.tenants:8.3f}"
        reqs = "       ?" if self.requests is None else f"{self.requests / self.tenants:8.1f}"
        cpu = f"{self.cpu / self.tenants:8.3f}"
        procs = "" if self.processes is None else f"{self.processes}"
        return (
            f"{self.who:<10} {self.phase:<7} {self.tenants:>3} {self.seconds:9.2f} {per_t} {reqs} {cpu}"
            f" {procs:>6}"
        )


def site():
    from berth_core.loader import load_site

    return load_site(ROOT / "inventory" / "aio" / "cloud.yml")


def manifest(slug: str):
    from berth_core.manifest import TenantManifest

    return TenantManifest.model_validate(
        {
            "apiVersion": "berth/v1",
            "kind": "Tenant",
            "metadata": {
                "name": slug,
                "displayName": f"Đo hiệu năng {slug}",
                "agency": "BENCH",
                "contact": {"name": "Đo Hiệu Năng", "email": "bench@example.gov.vn"},
            },
            "spec": {
                "quota": {"class": "small"},
                "networks": [{"name": "app", "prefixLength": 28}],
                "router": {"external": True},
                "securityGroups": [
                    {
                        "name": "web",
                        "rules": [{"direction": "ingress", "ports": "443", "remote": "0.0.0.0/0"}],
                    }
                ],
            },
        }
    )


@dataclass(frozen=True)
class Located:
    manifest: Any

    def locate(self, field_path: str) -> Any:
        from berth_core.errors import Location

        return Location(field=field_path)


def plan_all(cloud: Any, the_site: Any, manifests: list[Any]) -> Any:
    """berth's planning for every contender's tenants at once: CIDRs that overlap nothing."""
    from berth_cloud import observe
    from berth_cloud.observe import pool_allocations
    from berth_core.ipam import Ledger
    from berth_core.planning import PlanInputs, plan_tenants

    # every subnet already carved from the site's pool: IPAM must not reuse that space
    ledger = Ledger(pool_allocations(cloud, the_site))
    observed = observe(cloud, the_site, [m.slug for m in manifests])
    return plan_tenants(
        PlanInputs(the_site, [Located(m) for m in manifests], ledger=ledger, observed=observed)
    )


def watch_split(watch: Stopwatch, requests: int) -> tuple[float, int, float]:
    seconds, cpu = watch.stop()
    return seconds, requests, cpu


# berth ---------------------------------------------------------------------------------------------


def run_berth(the_site: Any, manifests: list[Any], cloud_name: str, ledger: Any) -> list[Figure]:
    from berth_cloud import apply, connect, observe

    figures = []
    for phase in ("cold", "no-op"):
        watch = Stopwatch()
        cloud = connect(cloud_name, CLOUDS_YAML)  # a fresh process would log in too: count it
        observed = observe(cloud, the_site, [m.slug for m in manifests])
        outcome = plan_all_for(the_site, manifests, observed, ledger)
        apply(cloud, outcome.plan, outcome.desired, observed, workers=8)
        figures.append(Figure("berth", phase, len(manifests), *watch_split(watch, cloud.counter.total)))
        cloud.close()
    return figures


def plan_all_for(the_site: Any, manifests: list[Any], observed: Any, ledger: Any) -> Any:
    from berth_core.planning import PlanInputs, plan_tenants

    # the ledger holds every contender's CIDRs, so berth's IPAM takes none of the others'
    return plan_tenants(
        PlanInputs(the_site, [Located(m) for m in manifests], ledger=ledger, observed=observed)
    )


# the naive openstacksdk script -----------------------------------------------------------------------


def quota_fields(resolved: dict[str, int]) -> dict[str, dict[str, int]]:
    from berth_core.quota import to_native

    return to_native(resolved)


def run_sdk(
    the_site: Any, tenants: list[tuple[Any, str]], quotas: dict[str, int], cloud_name: str
) -> list[Figure]:
    """One call after the other, with openstacksdk's resource layer, as a careful operator would script it."""
    from berth_cloud import connect

    native = quota_fields(quotas)
    figures = []
    for phase in ("cold", "no-op"):
        watch = Stopwatch()
        cloud = connect(cloud_name, CLOUDS_YAML)
        conn = cloud.conn
        ext = conn.network.find_network(the_site.spec.external_network.name)
        pool = conn.network.find_subnet_pool(the_site.spec.address_pools[0].name)
        for m, cidr in tenants:
            slug = m.slug
            project = conn.identity.find_project(slug, domain_id="default")
            if project is None:
                project = conn.identity.create_project(name=slug, domain_id="default", description=slug)
            if phase == "cold":
                conn.compute.update_quota_set(project.id, **native["compute"])
                conn.network.update_quota(project.id, **native["network"])
                conn.block_storage.update_quota_set(project.id, **native["volume"])
            else:
                conn.compute.get_quota_set(project.id)
                conn.network.get_quota(project.id)
                conn.block_storage.get_quota_set(project.id)
            net = conn.network.find_network("app", project_id=project.id)
            if net is None:
                net = conn.network.create_network(name="app", project_id=project.id)
            subnet = conn.network.find_subnet("app", network_id=net.id)
            if subnet is None:
                subnet = conn.network.create_subnet(
                    name="app",
                    network_id=net.id,
                    project_id=project.id,
                    ip_version=4,
                    cidr=cidr,
                    subnet_pool_id=pool.id,
                )
            router = conn.network.find_router(f"{slug}-router", project_id=project.id)
            if router is None:
                router = conn.network.create_router(
                    name=f"{slug}-router", project_id=project.id, external_gateway_info={"network_id": ext.id}
                )
                conn.network.add_interface_to_router(router, subnet_id=subnet.id)
            sg = conn.network.find_security_group("web", project_id=project.id)
            if sg is None:
                sg = conn.network.create_security_group(name="web", project_id=project.id)
                conn.network.create_security_group_rule(
                    security_group_id=sg.id,
                    project_id=project.id,
                    direction="ingress",
                    ethertype="IPv4",
                    protocol="tcp",
                    port_range_min=443,
                    port_range_max=443,
                    remote_ip_prefix="0.0.0.0/0",
                )
        figures.append(Figure("sdk", phase, len(tenants), *watch_split(watch, cloud.counter.total)))
        cloud.close()
    return figures


# the openstack CLI shell script ---------------------------------------------------------------------


def cli_script(
    the_site: Any, tenants: list[tuple[Any, str]], native: dict[str, dict[str, int]], phase: str
) -> tuple[str, int]:
    q = shlex.quote
    lines = ["set -e"]
    ext = the_site.spec.external_network.name
    pool = the_site.spec.address_pools[0].name
    c, n, v = native["compute"], native["network"], native["volume"]
    quota_args = " ".join(
        [
            f"--cores {c['cores']} --ram {c['ram']} --instances {c['instances']} --key-pairs {c['key_pairs']}",
            f"--server-groups {c['server_groups']} --server-group-members {c['server_group_members']}",
            f"--properties {c['metadata_items']}",
            f"--networks {n['network']} --subnets {n['subnet']} --ports {n['port']} --routers {n['router']}",
            f"--floating-ips {n['floatingip']} --secgroups {n['security_group']}",
            f"--secgroup-rules {n['security_group_rule']}",
            f"--volumes {v['volumes']} --gigabytes {v['gigabytes']} --snapshots {v['snapshots']}",
            f"--backups {v['backups']} --backup-gigabytes {v['backup_gigabytes']}",
        ]
    )
    per_tenant = 0
    for m, cidr in tenants:
        s = q(m.slug)
        r = q(f"{m.slug}-router")
        if phase == "cold":
            cmds = [
                f"openstack project create --domain default {s}",
                f"openstack quota set {quota_args} {s}",
                f"openstack network create --project {s} app-{s}",
                f"openstack subnet create --project {s} --network app-{s} --subnet-pool {q(pool)} "
                f"--subnet-range {q(cidr)} app-{s}",
                f"openstack router create --project {s} {r}",
                f"openstack router set --external-gateway {q(ext)} {r}",
                f"openstack router add subnet {r} app-{s}",
                f"openstack security group create --project {s} web-{s}",
                f"openstack security group rule create --ingress --protocol tcp --dst-port 443 "
                f"--remote-ip 0.0.0.0/0 web-{s}",
            ]
        else:  # what a careful script checks before deciding there is nothing to do
            cmds = [
                f"openstack project show {s}",
                f"openstack quota show {s}",
                f"openstack network show app-{s}",
                f"openstack subnet show app-{s}",
                f"openstack router show {r}",
                f"openstack security group show web-{s}",
                f"openstack security group rule list web-{s}",
            ]
        per_tenant = len(cmds)
        lines.extend(f'{cmd} --debug >/dev/null 2>>"$BENCH_LOG"' for cmd in cmds)
    return "\n".join(lines) + "\n", per_tenant * len(tenants)


def run_cli(
    the_site: Any, tenants: list[tuple[Any, str]], quotas: dict[str, int], cloud_name: str
) -> list[Figure]:
    native = quota_fields(quotas)
    figures = []
    for phase in ("cold", "no-op"):
        script, processes = cli_script(the_site, tenants, native, phase)
        with tempfile.TemporaryDirectory(prefix="berth-bench-") as tmp:
            log = Path(tmp) / "debug.log"  # may hold request bodies: counted, never printed, deleted
            env = {
                **os.environ,
                "OS_CLOUD": cloud_name,
                "OS_CLIENT_CONFIG_FILE": str(CLOUDS_YAML),
                "BENCH_LOG": str(log),
            }
            watch = Stopwatch()
            subprocess.run(["bash", "-c", script], env=env, check=True)
            seconds, cpu = watch.stop()
            text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
            requests = sum(1 for line in text.splitlines() if line.startswith("REQ: curl"))
        figures.append(Figure("cli", phase, len(tenants), seconds, requests, cpu, processes))
    return figures


# cleanup -------------------------------------------------------------------------------------------


def delete_projects(cloud_name: str, prefix: str) -> int:
    """Remove every bench project and what it holds (interfaces, routers, networks, groups)."""
    from berth_cloud import connect
    from berth_cloud.http import call

    cloud = connect(cloud_name, CLOUDS_YAML)
    net = cloud.conn.network
    projects = [
        p
        for p in call(cloud.conn.identity, "GET", "/projects", what="bench")["projects"]
        if p["name"].startswith(prefix)
    ]
    for p in projects:
        pid = p["id"]
        for port in call(
            net,
            "GET",
            "/ports",
            params={"project_id": pid, "device_owner": "network:router_interface"},
            what="bench",
        )["ports"]:
            for fixed in port["fixed_ips"]:
                call(
                    net,
                    "PUT",
                    f"/routers/{port['device_id']}/remove_router_interface",
                    json={"subnet_id": fixed["subnet_id"]},
                    ok=(200, 404),
                    what="bench",
                )
        for kind, field in (
            ("routers", "routers"),
            ("networks", "networks"),
            ("security-groups", "security_groups"),
        ):
            for item in call(net, "GET", f"/{kind}", params={"project_id": pid}, what="bench")[field]:
                call(net, "DELETE", f"/{kind}/{item['id']}", ok=(204, 404, 409), what="bench")
        for proxy, path in (
            (cloud.conn.compute, "/os-quota-sets"),
            (cloud.conn.block_storage, "/os-quota-sets"),
            (net, "/quotas"),
        ):
            call(proxy, "DELETE", f"{path}/{pid}", ok=(200, 202, 204, 404), what="bench")
        call(cloud.conn.identity, "DELETE", f"/projects/{pid}", ok=(204, 404), what="bench")
    cloud.close()
    return len(projects)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument(
        "--cli-tenants", type=int, default=None, help="fewer for a quicker run (per-tenant figures)"
    )
    parser.add_argument("--cloud", default="aio-admin")
    args = parser.parse_args()
    n = args.tenants
    n_cli = n if args.cli_tenants is None else args.cli_tenants
    prefix = f"bench-{uuid.uuid4().hex[:6]}"

    from berth_cloud import apply, connect, observe
    from berth_core.plan import make_plan
    from berth_core.platform import PLATFORM_TENANT, build_platform

    the_site = site()
    cloud = connect(args.cloud, CLOUDS_YAML)
    platform = build_platform(the_site)  # external network, subnet pool, flavors: every contender needs them
    seen = observe(cloud, the_site, [PLATFORM_TENANT])
    apply(cloud, make_plan(the_site.name, platform, seen), platform, seen)
    berth_m = [manifest(f"{prefix}-b-{i:02d}") for i in range(n)]
    sdk_m = [manifest(f"{prefix}-s-{i:02d}") for i in range(n)]
    cli_m = [manifest(f"{prefix}-c-{i:02d}") for i in range(n_cli)]
    outcome = plan_all(cloud, the_site, berth_m + sdk_m + cli_m)
    cloud.close()
    cidrs = {slug: str(c) for (slug, _), c in outcome.allocation.allocations.items()}
    quotas = outcome.quotas[berth_m[0].slug].as_dict()
    figures: list[Figure] = []
    try:
        figures += run_berth(the_site, berth_m, args.cloud, outcome.allocation.ledger)
        figures += run_sdk(the_site, [(m, cidrs[m.slug]) for m in sdk_m], quotas, args.cloud)
        if n_cli:
            figures += run_cli(the_site, [(m, cidrs[m.slug]) for m in cli_m], quotas, args.cloud)
    finally:
        removed = delete_projects(args.cloud, prefix)
    cores = os.cpu_count() or 1
    print(
        f"\n{'who':<10} {'phase':<7} {'N':>3} {'seconds':>9} {'s/tenant':>8} {'req/ten.':>8}"
        f" {'cpu/ten.':>8} {'procs':>6}"
    )
    for f in figures:
        print(f.row())
    print(f"(cpu/ten.: busy CPU seconds of the whole machine per tenant, {cores} cores)")
    by = {(f.who, f.phase): f for f in figures}
    for phase in ("cold", "no-op"):
        berth = by[("berth", phase)]
        floor = berth.cpu / cores  # berth's work spread over every core: the fastest it could finish
        print(
            f"{phase:<6} berth kept {100 * floor / berth.seconds:3.0f}% of the {cores} cores busy"
            f" (its CPU work alone needs >= {floor:.2f} s)"
        )
        for other in ("cli", "sdk"):
            if (other, phase) in by:
                o = by[(other, phase)]
                ratio = (o.seconds / o.tenants) / (berth.seconds / berth.tenants)
                best = (o.seconds / o.tenants) / (floor / berth.tenants)
                print(
                    f"{phase:<6} berth is {ratio:5.1f}x faster per tenant than {other}"
                    f" (at most {best:5.1f}x on these cores for the CPU work berth's run costs)"
                )
    print(f"(removed {removed} bench projects)")


if __name__ == "__main__":
    main()
