"""berth_core.platform: the platform's desired state from cloud.yml, and its round trip through
berth_cloud's platform mapping (documents shaped like neutron's and nova's API answers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from berth_cloud.mapping_platform import PlatformDocs, map_platform
from berth_core.diff import diff
from berth_core.errors import ManifestInvalid
from berth_core.loader import load_site
from berth_core.ownership import MANAGED_TAG, tenant_tag
from berth_core.platform import PLATFORM_TENANT, build_platform
from berth_core.quota import to_native
from berth_core.state import ObservedState

ROOT = Path(__file__).resolve().parents[2]
SITE = load_site(ROOT / "inventory/aio/cloud.yml")


def test_keys_cover_the_external_network_pools_flavors_and_default_quotas():
    state = build_platform(SITE)
    assert state.tenants == (PLATFORM_TENANT,)
    flavors = {f"flavor/{f.name}" for f in SITE.spec.flavors}
    assert set(state.resources) == {
        "external-network/public",
        "external-subnet/public",
        "subnet-pool/tenant-v4",
        "quota-class/default",
        *flavors,
    }
    assert all(r.tenant == PLATFORM_TENANT for r in state.resources.values())


def test_attributes_come_from_the_site():
    res = build_platform(SITE).resources
    pool = res["subnet-pool/tenant-v4"].attrs
    assert pool["prefixes"] == ["10.64.0.0/12"]
    assert (pool["minPrefixLength"], pool["defaultPrefixLength"], pool["maxPrefixLength"]) == (20, 24, 28)
    assert pool["shared"] is True and pool["tags"] == [MANAGED_TAG, tenant_tag(PLATFORM_TENANT)]
    subnet = res["external-subnet/public"]
    assert subnet.attrs["gatewayIp"] == "172.24.4.1" and subnet.depends_on == ("external-network/public",)
    assert res["flavor/db.large"].attrs == {
        "name": "db.large",
        "vcpus": 8,
        "ramMiB": 32768,
        "diskGiB": 200,
        "public": False,
    }


def test_default_quota_class_holds_compute_and_volume_fields_only():
    values = build_platform(SITE).resources["quota-class/default"].attrs["values"]
    assert values["cores"] == 4 and values["ramGiB"] == 8 and values["volumeGiB"] == 50
    assert "networks" not in values and "floatingIps" not in values


def test_a_gateway_left_out_is_the_first_host():
    data = SITE.model_dump(by_alias=True)
    data["spec"]["externalNetwork"]["gateway"] = None
    site = type(SITE).model_validate(data)
    assert build_platform(site).resources["external-subnet/public"].attrs["gatewayIp"] == "172.24.4.1"


def test_a_broken_default_class_is_a_located_error():
    data = SITE.model_dump(by_alias=True)
    data["spec"]["quotaClasses"]["default"].pop("cores")
    site = type(SITE).model_validate(data)
    with pytest.raises(ManifestInvalid) as raised:
        build_platform(site)
    assert any(p.code.startswith("quota.field") for p in raised.value.problems)


def _render(state) -> PlatformDocs:
    res = state.resources
    net = res["external-network/public"].attrs
    sub = res["external-subnet/public"].attrs
    pool = res["subnet-pool/tenant-v4"].attrs
    klass = to_native(
        {
            **{
                k: 0
                for k in (
                    "networks",
                    "subnets",
                    "ports",
                    "routers",
                    "floatingIps",
                    "securityGroups",
                    "securityGroupRules",
                )
            },
            **res["quota-class/default"].attrs["values"],
        }
    )
    return PlatformDocs(
        external_networks=[
            {
                "id": "n1",
                "name": "public",
                "router:external": True,
                "shared": False,
                "provider:physical_network": None,
                "tags": net["tags"],
            }
        ],
        external_subnets=[
            {
                "id": "s1",
                "name": "public",
                "network_id": "n1",
                "ip_version": 4,
                "cidr": sub["cidr"],
                "gateway_ip": sub["gatewayIp"],
                "enable_dhcp": False,
                "tags": sub["tags"],
            }
        ],
        subnet_pools=[
            {
                "id": "p1",
                "name": "tenant-v4",
                "ip_version": 4,
                "prefixes": pool["prefixes"],
                "default_prefixlen": "24",
                "min_prefixlen": 20,
                "max_prefixlen": 28,
                "shared": True,
                "tags": pool["tags"],
            }
        ],
        flavors=[
            {
                "id": f"f-{f.name}",
                "name": f.name,
                "vcpus": f.vcpus,
                "ram": f.ram_mib,
                "disk": f.disk_gib,
                "os-flavor-access:is_public": f.public,
            }
            for f in SITE.spec.flavors
        ]
        + [{"id": "other", "name": "not-ours", "vcpus": 1, "ram": 64, "disk": 0}],
        nova_class={**klass["compute"], "id": "default"},
        cinder_class={**klass["volume"], "id": "default"},
    )


def test_platform_round_trips_to_an_empty_diff():
    desired = build_platform(SITE)
    observed = ObservedState.of(map_platform(_render(desired), SITE), desired.tenants)
    assert [c.key for c in diff(desired, observed) if c.action != "no-op"] == []
    assert "flavor/not-ours" not in observed.resources  # outside the catalogue: never berth's


def test_a_resized_flavor_shows_as_an_update():
    desired = build_platform(SITE)
    docs = _render(desired)
    next(f for f in docs.flavors if f["name"] == "m1.small")["vcpus"] = 2
    observed = ObservedState.of(map_platform(docs, SITE), desired.tenants)
    changed = [c for c in diff(desired, observed) if c.action != "no-op"]
    assert [(c.key, c.changed) for c in changed] == [("flavor/m1.small", ("vcpus",))]
