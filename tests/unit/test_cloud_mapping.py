"""berth_cloud.mapping: OpenStack JSON -> Resources with the keys and shapes of berth_core.desired.

The documents below are shaped like the API reference's examples (keystone v3, neutron v2.0, nova and
cinder quota sets). `render` writes, for a desired state, what OpenStack returns once the direct
engine has created it; mapping it back must give a diff with nothing to do, for every example agency.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from berth_cloud.context import missing_tags, stale_tags
from berth_cloud.mapping import (
    AGENCY_ATTR,
    DISPLAY_NAME_ATTR,
    TenantDocs,
    is_default_egress,
    map_tenants,
)
from berth_core.desired import rule_key
from berth_core.diff import diff
from berth_core.loader import load_manifests, load_site
from berth_core.ownership import MANAGED_TAG, tenant_tag
from berth_core.planning import PlanInputs, plan_tenants
from berth_core.quota import to_native
from berth_core.state import DesiredState, ObservedState

ROOT = Path(__file__).resolve().parents[2]
SITE = load_site(ROOT / "inventory/aio/cloud.yml")


def _desired() -> DesiredState:
    manifests = load_manifests(sorted((ROOT / "manifests").glob("*.yaml")))
    return plan_tenants(PlanInputs(SITE, manifests)).desired


def _id(key: str) -> str:
    return "id-" + key.replace("/", "-")


def render(desired: DesiredState) -> TenantDocs:
    """What OpenStack holds after the direct engine created `desired` (neutron adds default egress)."""
    docs: dict[str, list[dict]] = {
        k: [] for k in ("projects", "networks", "subnets", "routers", "ports", "sgs", "roles")
    }
    nova, neutron, cinder, access = {}, {}, {}, {}
    by_sg: dict[str, dict] = {}
    for key, res in desired.resources.items():
        a = dict(res.attrs)
        pid = _id(f"project/{res.tenant}")
        if res.kind == "project":
            docs["projects"].append(
                {
                    "id": pid,
                    "name": a["name"],
                    "description": a["description"],
                    "enabled": a["enabled"],
                    "tags": a["tags"],
                    DISPLAY_NAME_ATTR: a["displayName"],
                    AGENCY_ATTR: a["agency"],
                }
            )
        elif res.kind == "quota":
            native = to_native(a["values"])
            nova[pid], neutron[pid], cinder[pid] = (
                native["compute"],
                {**native["network"], "project_id": pid},
                native["volume"],
            )
        elif res.kind == "network":
            docs["networks"].append(
                {
                    "id": _id(key),
                    "name": a["name"],
                    "project_id": pid,
                    "description": a["description"],
                    "tags": a["tags"],
                }
            )
        elif res.kind == "subnet":
            docs["subnets"].append(
                {
                    "id": _id(key),
                    "name": a["name"],
                    "network_id": _id(a["network"]),
                    "project_id": pid,
                    "ip_version": 4,
                    "cidr": a["cidr"],
                    "gateway_ip": a["gatewayIp"],
                    "enable_dhcp": a["enableDhcp"],
                    "allocation_pools": a["allocationPools"],
                    "dns_nameservers": a["dnsNameservers"],
                    "subnetpool_id": "pool-1" if a["subnetPool"] else None,
                    "tags": a["tags"],
                }
            )
        elif res.kind == "router":
            gw = {"network_id": "ext-1", "enable_snat": a["enableSnat"]} if a["externalNetwork"] else None
            docs["routers"].append(
                {
                    "id": _id(key),
                    "name": a["name"],
                    "project_id": pid,
                    "external_gateway_info": gw,
                    "tags": a["tags"],
                }
            )
        elif res.kind == "router-interface":
            docs["ports"].append(
                {
                    "id": _id(key),
                    "device_id": _id(a["router"]),
                    "device_owner": "network:router_interface",
                    "fixed_ips": [{"subnet_id": _id(a["subnet"]), "ip_address": "10.0.0.1"}],
                }
            )
        elif res.kind == "secgroup":
            sg = {
                "id": _id(key),
                "name": a["name"],
                "project_id": pid,
                "description": a["description"],
                "tags": a["tags"],
            }
            sg["security_group_rules"] = [
                {
                    "id": f"{_id(key)}-eg{v}",
                    "direction": "egress",
                    "ethertype": f"IPv{v}",
                    "protocol": None,
                    "port_range_min": None,
                    "port_range_max": None,
                    "remote_ip_prefix": None,
                    "remote_group_id": None,
                }
                for v in (4, 6)
            ]
            by_sg[key] = sg
            docs["sgs"].append(sg)
        elif res.kind == "role-assignment":
            docs["roles"].append(
                {
                    "scope": {"project": {"id": pid}},
                    a["principalType"]: {"id": "u-" + a["principal"], "name": a["principal"]},
                    "role": {"id": "r-" + a["role"], "name": a["role"]},
                }
            )
        elif res.kind == "flavor-access":
            access.setdefault(a["flavor"], []).append(pid)
    for key, res in desired.resources.items():
        if res.kind != "secgroup-rule":
            continue
        a = res.attrs
        sg = by_sg[a["secgroup"]]
        if a["direction"] == "egress":  # the engine removed Neutron's allow-all pair
            sg["security_group_rules"] = [
                r for r in sg["security_group_rules"] if not r["id"].endswith(("-eg4", "-eg6"))
            ]
        sg["security_group_rules"].append(
            {
                "id": _id(key),
                "direction": a["direction"],
                "ethertype": a["ethertype"],
                "protocol": a["protocol"],
                "port_range_min": a["portRangeMin"],
                "port_range_max": a["portRangeMax"],
                "remote_ip_prefix": a["remoteIpPrefix"],
                "remote_group_id": _id(a["remoteGroup"]) if a["remoteGroup"] else None,
                "description": a["description"],
            }
        )
    return TenantDocs(
        domain_name="Default",
        projects=docs["projects"],
        role_assignments=docs["roles"],
        networks=docs["networks"],
        subnets=docs["subnets"],
        routers=docs["routers"],
        ports=docs["ports"],
        security_groups=docs["sgs"],
        subnet_pool_names={"pool-1": "tenant-v4"},
        external_network_names={"ext-1": "public"},
        nova_quotas=nova,
        neutron_quotas=neutron,
        cinder_quotas=cinder,
        flavor_access=access,
    )


def _observed(docs: TenantDocs, tenants) -> ObservedState:
    return ObservedState.of(map_tenants(docs, SITE), tenants)


def test_every_example_agency_round_trips_to_an_empty_diff():
    desired = _desired()
    observed = _observed(render(desired), desired.tenants)
    changes = diff(desired, observed)
    assert [c.key for c in changes if c.action != "no-op"] == []
    assert set(desired.resources) <= set(observed.resources)
    # what is observed beyond the desired state is Neutron's allow-all egress, and it is not berth's
    extra = [observed.resources[k] for k in set(observed.resources) - set(desired.resources)]
    assert extra and all(r.kind == "secgroup-rule" and not r.managed for r in extra)


def test_a_changed_quota_in_openstack_shows_as_an_update_in_mib_terms():
    desired = _desired()
    docs = render(desired)
    pid = _id("project/so-y-te")
    docs.nova_quotas[pid]["ram"] = 1024 * 7  # someone set 7 GiB by hand
    changes = {c.key: c for c in diff(desired, _observed(docs, desired.tenants))}
    change = changes["quota/so-y-te"]
    assert change.action == "update" and change.before["values"]["ramGiB"] == 7


def test_neutron_quota_missing_from_the_list_means_the_default():
    desired = _desired()
    docs = render(desired)
    pid = _id("project/so-y-te")
    default = dict(docs.neutron_quotas[pid])
    neutron = {k: v for k, v in docs.neutron_quotas.items() if k != pid}
    docs = TenantDocs(**{**docs.__dict__, "neutron_quotas": neutron, "neutron_default_quota": default})
    observed = _observed(docs, desired.tenants)
    assert observed.resources["quota/so-y-te"].attrs == desired.resources["quota/so-y-te"].attrs


def test_an_untagged_leftover_is_adopted_not_duplicated():
    desired = _desired()
    docs = render(desired)
    net = next(n for n in docs.networks if n["id"] == _id("network/so-y-te/app"))
    net["tags"] = []  # created, then the run died before tagging
    observed = _observed(docs, desired.tenants)
    res = observed.resources["network/so-y-te/app"]
    assert not res.managed and res.ref == net["id"]
    change = next(c for c in diff(desired, observed) if c.key == "network/so-y-te/app")
    assert change.action == "update" and change.changed == ("tags",) and not change.replace


def test_of_two_networks_with_one_name_the_owned_one_wins():
    desired = _desired()
    docs = render(desired)
    original = next(n for n in docs.networks if n["id"] == _id("network/so-y-te/app"))
    docs.networks.insert(0, {**original, "id": "aaa-stray", "tags": [], "created_at": "2020-01-01T00:00:00Z"})
    observed = _observed(docs, desired.tenants)
    assert observed.resources["network/so-y-te/app"].ref == original["id"]


def test_foreign_tags_are_left_out_of_the_comparison():
    desired = _desired()
    docs = render(desired)
    net = next(n for n in docs.networks if n["id"] == _id("network/so-y-te/app"))
    net["tags"] = [*net["tags"], "backup:daily"]
    observed = _observed(docs, desired.tenants)
    assert observed.resources["network/so-y-te/app"].attrs["tags"] == [MANAGED_TAG, tenant_tag("so-y-te")]


def test_a_project_without_extra_attributes_takes_its_agency_from_the_tag():
    """What the Pulumi engine leaves (identity.Project writes no extra attributes): agency still known."""
    desired = _desired()
    docs = render(desired)
    project = next(p for p in docs.projects if p["name"] == "so-y-te")
    del project[AGENCY_ATTR]
    observed = _observed(docs, desired.tenants)
    assert observed.resources["project/so-y-te"].attrs["agency"] == "SYT"
    project["tags"] = [t for t in project["tags"] if not t.startswith("berth:agency=")]
    change = next(c for c in diff(desired, _observed(docs, desired.tenants)) if c.key == "project/so-y-te")
    assert change.action == "update" and set(change.changed) == {"agency", "tags"}


def test_only_berths_own_stale_tags_are_removed_and_missing_ones_added():
    before = {"tags": ["backup:daily", "berth:agency=OLD", "berth:managed", "berth:tenant=x"]}
    after = {"tags": ["berth:agency=NEW", "berth:managed", "berth:tenant=x"]}
    assert stale_tags(before, after) == ["berth:agency=OLD"]
    assert missing_tags(before, after) == ["berth:agency=NEW"]
    assert stale_tags(None, after) == []


@pytest.mark.parametrize(
    ("rule", "default"),
    [
        ({"direction": "egress", "protocol": None, "remote_ip_prefix": None, "remote_group_id": None}, True),
        ({"direction": "egress", "protocol": "tcp", "port_range_min": 443, "port_range_max": 443}, False),
        ({"direction": "ingress", "protocol": None}, False),
        ({"direction": "egress", "protocol": None, "remote_ip_prefix": "10.0.0.0/8"}, False),
    ],
)
def test_default_egress_is_recognised(rule, default):
    assert is_default_egress(rule) is default


def _sg_docs(rules: list[dict]) -> TenantDocs:
    tags = [MANAGED_TAG, tenant_tag("t-1")]
    return TenantDocs(
        domain_name="Default",
        projects=[{"id": "p1", "name": "t-1", "enabled": True, "tags": tags}],
        security_groups=[
            {"id": "sg1", "name": "web", "project_id": "p1", "tags": tags, "security_group_rules": rules}
        ],
    )


def _egress(rid: str, version: int, **extra) -> dict:
    return {
        "id": rid,
        "direction": "egress",
        "ethertype": f"IPv{version}",
        "protocol": None,
        "port_range_min": None,
        "port_range_max": None,
        "remote_ip_prefix": None,
        "remote_group_id": None,
        **extra,
    }


def test_neutron_default_egress_is_not_berths_until_the_group_states_egress():
    only_defaults = map_tenants(_sg_docs([_egress("r4", 4), _egress("r6", 6)]), SITE)
    rules = [r for r in only_defaults if r.kind == "secgroup-rule"]
    assert len(rules) == 2 and not any(r.managed for r in rules)

    stated = _egress("r-dns", 4, protocol="udp", port_range_min=53, port_range_max=53)
    with_egress = map_tenants(_sg_docs([_egress("r6", 6), stated]), SITE)
    rules = {r.ref: r for r in with_egress if r.kind == "secgroup-rule"}
    assert rules["r6"].managed and rules["r-dns"].managed  # berth manages this group's egress now


def test_rule_keys_match_berth_core():
    stated = _egress("r-dns", 4, protocol="udp", port_range_min=53, port_range_max=53)
    (rule,) = [r for r in map_tenants(_sg_docs([stated]), SITE) if r.kind == "secgroup-rule"]
    identity = {
        k: rule.attrs[k]
        for k in (
            "direction",
            "ethertype",
            "protocol",
            "portRangeMin",
            "portRangeMax",
            "remoteIpPrefix",
            "remoteGroup",
            "secgroup",
        )
    }
    assert rule.key == rule_key("t-1", "web", identity)


def test_role_assignments_with_other_roles_or_projects_are_ignored():
    docs = TenantDocs(
        domain_name="Default",
        projects=[{"id": "p1", "name": "t-1", "enabled": True, "tags": [MANAGED_TAG, tenant_tag("t-1")]}],
        role_assignments=[
            {
                "scope": {"project": {"id": "p1"}},
                "user": {"id": "u1", "name": "an"},
                "role": {"id": "r1", "name": "member"},
            },
            {
                "scope": {"project": {"id": "p1"}},
                "user": {"id": "u0", "name": "admin"},
                "role": {"id": "r9", "name": "admin"},
            },
            {
                "scope": {"project": {"id": "p2"}},
                "group": {"id": "g1", "name": "x"},
                "role": {"id": "r2", "name": "reader"},
            },
            {
                "scope": {"project": {"id": "p1"}},
                "group": {"id": "g2", "name": "aud"},
                "role": {"id": "r2", "name": "reader"},
            },
        ],
    )
    keys = {r.key: r for r in map_tenants(docs, SITE) if r.kind == "role-assignment"}
    assert set(keys) == {"role-assignment/t-1/user:an/member", "role-assignment/t-1/group:aud/reader"}
    assert keys["role-assignment/t-1/user:an/member"].ref == "p1/users/u1/r1"
