"""The two baselines of bench/apply.py: a naive sequential openstacksdk script and a shell script of
`openstack` CLI commands, each doing the same tenants as berth (see bench/apply.py)."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench.apply_measure import CLOUDS_YAML, Figure, Stopwatch, watch_split

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
