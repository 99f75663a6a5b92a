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
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.apply_baselines import run_cli, run_sdk
from bench.apply_measure import CLOUDS_YAML, ROOT, Figure, Stopwatch, watch_split


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
