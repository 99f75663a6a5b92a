"""The direct engine against the real devcloud: platform, tenants, re-plan, request budget, interrupted
runs, adoption of untagged leftovers, member isolation, staged destroy.

Every tenant here is `it-<random>-<x>` with sized networks only (no explicit CIDR), and is purged and
deleted after its test, even when the test fails. The platform (external network, subnet pool,
flavors, default quota class) is applied once and left in place: tenants and the demo rely on it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from berth_core.diff import diff
from berth_core.errors import Location
from berth_core.ipam import Ledger
from berth_core.loader import load_site
from berth_core.manifest import TenantManifest
from berth_core.ownership import MANAGED_TAG, tenant_tag
from berth_core.plan import make_plan
from berth_core.planning import PlanInputs, plan_tenants
from berth_core.platform import PLATFORM_TENANT, build_platform
from berth_core.state import DesiredState

pytestmark = pytest.mark.openstack

ROOT = Path(__file__).resolve().parents[2]
SITE = load_site(ROOT / "inventory/aio/cloud.yml")


@dataclass(frozen=True)
class Located:
    manifest: TenantManifest

    def locate(self, field_path: str) -> Location:
        return Location(file=f"{self.manifest.slug}.yaml", field=field_path)


def manifest(
    slug: str, *, egress: bool = False, members: tuple[dict, ...] = (), flavors: tuple[str, ...] = ()
):
    db_rules: list[dict] = [
        {"direction": "ingress", "protocol": "tcp", "ports": "5432", "remoteGroup": "web"}
    ]
    if egress:
        db_rules.append({"direction": "egress", "protocol": "udp", "ports": "53", "remote": "10.64.0.0/12"})
    return TenantManifest.model_validate(
        {
            "apiVersion": "berth/v1",
            "kind": "Tenant",
            "metadata": {
                "name": slug,
                "displayName": f"Thử nghiệm tích hợp {slug}",
                "agency": "TEST",
                "contact": {"name": "Kiểm Thử", "email": "it@example.gov.vn"},
            },
            "spec": {
                "quota": {"class": "small", "overrides": {"cores": 6}},
                "networks": [{"name": "app", "prefixLength": 27}, {"name": "db", "prefixLength": 28}],
                "router": {"external": True},
                "securityGroups": [
                    {
                        "name": "web",
                        "rules": [{"direction": "ingress", "ports": "443", "remote": "0.0.0.0/0"}],
                    },
                    {"name": "db", "rules": db_rules},
                ],
                "members": list(members),
                "flavors": list(flavors),
            },
        }
    )


@pytest.fixture(scope="module")
def cloud(clouds_yaml: Path) -> Iterator[Any]:
    from berth_cloud import connect

    c = connect(None, clouds_yaml)
    yield c
    c.close()


@pytest.fixture(scope="module")
def platform(cloud):
    from berth_cloud import apply, observe

    desired = build_platform(SITE)
    observed = observe(cloud, SITE, [PLATFORM_TENANT])
    apply(cloud, make_plan(SITE.name, desired, observed), desired, observed)
    return desired


@pytest.fixture
def principals(cloud) -> Iterator[list[Any]]:
    """PrincipalsResults of ensure_principals: their users and groups are deleted afterwards."""
    from berth_cloud.principals import remove_principals

    made: list[Any] = []
    yield made
    for result in made:
        remove_principals(cloud, SITE, result)


@pytest.fixture
def tenants(cloud, platform, tmp_path) -> Iterator[list[str]]:
    """Slugs the test creates; purged and deleted afterwards."""
    from berth_cloud import purge_tenant
    from berth_cloud.observe import list_projects

    slugs: list[str] = []
    yield slugs
    existing = {p["name"] for p in list_projects(cloud, SITE)}
    for slug in slugs:
        if slug in existing:
            purge_tenant(cloud, SITE, slug, delete_project=True)


def new_slug() -> str:
    return f"it-{uuid.uuid4().hex[:8]}"


def plan_for(cloud, manifests: list[TenantManifest]):
    from berth_cloud import observe
    from berth_cloud.observe import pool_allocations

    # every subnet already carved from the site's pool: IPAM must not reuse that space
    ledger = Ledger(pool_allocations(cloud, SITE))
    observed = observe(cloud, SITE, [m.slug for m in manifests])
    outcome = plan_tenants(
        PlanInputs(SITE, [Located(m) for m in manifests], ledger=ledger, observed=observed)
    )
    return outcome.plan, outcome.desired, observed


def neutron(cloud, path: str, field: str, **params) -> list[dict]:
    from berth_cloud.http import call

    return list(call(cloud.conn.network, "GET", path, params=params, what=path).get(field) or [])


def test_platform_re_observed_has_nothing_to_do(cloud, platform):
    from berth_cloud import observe

    observed = observe(cloud, SITE, [PLATFORM_TENANT])
    assert [c.key for c in diff(platform, observed) if c.action != "no-op"] == []


def test_apply_then_re_plan_is_empty_and_a_no_op_costs_nothing(cloud, tenants, principals, tmp_path):
    from berth_cloud import apply, ensure_principals, observe, principals_of

    base = new_slug()
    user, group = f"{base}-user", f"{base}-aud"
    manifests = [
        manifest(
            f"{base}-a", egress=True, members=({"user": user, "role": "member"},), flavors=("db.large",)
        ),
        manifest(f"{base}-b", members=({"group": group, "role": "reader"},)),
    ]
    tenants.extend(m.slug for m in manifests)
    principals.append(ensure_principals(cloud, SITE, principals_of(manifests), tmp_path / "secrets.jsonl"))
    plan, desired, observed = plan_for(cloud, manifests)
    events = []
    result = apply(cloud, plan, desired, observed, progress=events.append)
    assert result.ok and result.counts()["create"] == len(desired)
    assert {e.status for e in events} == {"start", "done"}

    again = observe(cloud, SITE, desired.tenants)
    assert [(c.key, c.action, c.changed) for c in diff(desired, again) if c.action != "no-op"] == []
    # ownership tags on everything taggable, Neutron's default egress gone where berth states egress
    nets = neutron(cloud, "/networks", "networks", tags=tenant_tag(f"{base}-a"))
    assert sorted(n["name"] for n in nets) == ["app", "db"] and all(MANAGED_TAG in n["tags"] for n in nets)
    db_rules = [r for k, r in again.resources.items() if k.startswith(f"secgroup-rule/{base}-a/db/")]
    assert not any(r.attrs["protocol"] is None and r.attrs["direction"] == "egress" for r in db_rules)

    # a no-op re-apply: nothing to execute, no request sent
    plan2, desired2, observed2 = plan_for(cloud, manifests)
    assert not plan2.has_changes
    assert apply(cloud, plan2, desired2, observed2).requests == 0


def test_observe_costs_two_requests_per_tenant_plus_a_constant(cloud, tenants):
    from berth_cloud import apply, observe

    base = new_slug()
    manifests = [manifest(f"{base}-{x}") for x in "abcd"]
    tenants.extend(m.slug for m in manifests)
    plan, desired, observed = plan_for(cloud, manifests)
    apply(cloud, plan, desired, observed)
    observe(cloud, SITE, [manifests[0].slug])  # warm: token, version discovery, domain id
    with cloud.counter.measure() as one:
        observe(cloud, SITE, [manifests[0].slug])
    with cloud.counter.measure() as four:
        observe(cloud, SITE, [m.slug for m in manifests])
    print(f"observe requests: 1 tenant {one.count}, 4 tenants {four.count}")
    assert four.count - one.count <= 2 * 3  # nova + cinder quota per extra tenant, nothing else
    assert one.count <= 2 + 16


def test_an_interrupted_apply_converges_without_duplicates(cloud, tenants):
    from berth_cloud import apply

    slug = new_slug()
    tenants.append(slug)
    plan, desired, observed = plan_for(cloud, [manifest(slug, egress=True)])

    class SimulatedCrashError(Exception):
        pass

    def die_midway(event) -> None:
        if event.status == "done" and event.done >= 7:
            raise SimulatedCrashError

    with pytest.raises(SimulatedCrashError):
        apply(cloud, plan, desired, observed, progress=die_midway, workers=1)
    plan, desired, observed = plan_for(cloud, [manifest(slug, egress=True)])
    assert plan.counts()["create"] < len(desired)  # what the first run made is not planned again
    apply(cloud, plan, desired, observed)
    plan, _, _ = plan_for(cloud, [manifest(slug, egress=True)])
    assert not plan.has_changes
    pid = observed.resources[f"project/{slug}"].ref
    names = [n["name"] for n in neutron(cloud, "/networks", "networks", project_id=pid)]
    assert sorted(names) == ["app", "db"]


def test_an_untagged_leftover_is_adopted(cloud, tenants):
    from berth_cloud import apply
    from berth_cloud.http import call

    slug = new_slug()
    tenants.append(slug)
    only_project = manifest(slug)
    _, desired, observed = plan_for(cloud, [only_project])
    project = DesiredState.of([desired.resources[f"project/{slug}"]], [slug])
    pid = apply(cloud, make_plan(SITE.name, project, observed), project, observed).applied[0].ref
    # a network made by an interrupted run on a Neutron without tags-on-create: same name, no tags
    call(
        cloud.conn.network,
        "POST",
        "/networks",
        json={"network": {"name": "app", "project_id": pid}},
        what="it",
    )
    plan, desired, observed = plan_for(cloud, [only_project])
    change = next(c for c in plan.changes if c.key == f"network/{slug}/app")
    assert change.action == "update" and change.changed == ("tags",)
    apply(cloud, plan, desired, observed)
    names = [n["name"] for n in neutron(cloud, "/networks", "networks", project_id=pid)]
    assert sorted(names) == ["app", "db"]
    assert not plan_for(cloud, [only_project])[0].has_changes


def test_a_member_sees_only_their_own_tenant(cloud, tenants, principals, tmp_path, clouds_yaml):
    import openstack
    import yaml

    from berth_cloud import apply, ensure_principals, principals_of
    from berth_cloud.principals import read_password

    base = new_slug()
    user = f"{base}-user"
    manifests = [manifest(f"{base}-a", members=({"user": user, "role": "member"},)), manifest(f"{base}-b")]
    tenants.extend(m.slug for m in manifests)
    secrets_file = tmp_path / "secrets.jsonl"
    principals.append(ensure_principals(cloud, SITE, principals_of(manifests), secrets_file))
    assert oct(secrets_file.stat().st_mode & 0o777) == "0o600"
    plan, desired, observed = plan_for(cloud, manifests)
    apply(cloud, plan, desired, observed)
    auth_url = yaml.safe_load(clouds_yaml.read_text())["clouds"][cloud.name]["auth"]["auth_url"]
    member = openstack.connect(
        auth_url=auth_url,
        username=user,
        password=read_password(secrets_file, user),
        user_domain_name=SITE.spec.identity.domain,
        project_name=f"{base}-a",
        project_domain_name=SITE.spec.identity.domain,
    )
    try:
        visible = {n.project_id for n in member.network.networks() if not n.is_router_external}
        servers = list(member.compute.servers())
        with pytest.raises(openstack.exceptions.ForbiddenException):
            list(member.compute.servers(all_projects=True))  # a member cannot look across projects
    finally:
        member.close()
    pid_b = plan_for(cloud, [manifests[1]])[2].resources[f"project/{base}-b"].ref
    assert pid_b not in visible and visible
    assert all(s.project_id != pid_b for s in servers)


def test_staged_destroy_leaves_nothing_tagged(cloud, tenants):
    from berth_cloud import apply, purge_tenant, stage_destroy
    from berth_cloud.http import call

    slug = new_slug()
    tenants.append(slug)
    plan, desired, observed = plan_for(cloud, [manifest(slug, egress=True)])
    apply(cloud, plan, desired, observed)

    preview = stage_destroy(cloud, SITE, slug)
    assert f"network/{slug}/app" in preview.berth_owned and f"project/{slug}" in preview.berth_owned
    assert any(kind == "Network" for kind, _, _ in preview.cleanup)
    project = call(cloud.conn.identity, "GET", f"/projects/{preview.project_id}", what="it")["project"]
    assert project["enabled"] is False
    # staging deleted nothing
    assert len(neutron(cloud, "/networks", "networks", tags=tenant_tag(slug))) == 2

    purge_tenant(cloud, SITE, slug)
    for path, field in (
        ("/networks", "networks"),
        ("/subnets", "subnets"),
        ("/routers", "routers"),
        ("/security-groups", "security_groups"),
    ):
        assert neutron(cloud, path, field, tags=tenant_tag(slug)) == [], path
    project = call(cloud.conn.identity, "GET", f"/projects/{preview.project_id}", what="it")["project"]
    assert not [t for t in project.get("tags", []) if t.startswith("berth:")]
    assert project["enabled"] is False
    nova = call(cloud.conn.compute, "GET", f"/os-quota-sets/{preview.project_id}", what="it")["quota_set"]
    assert nova["cores"] == 4  # the site's default class
