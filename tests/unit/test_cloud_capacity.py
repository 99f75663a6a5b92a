"""Placement inventories/usages and cinder pools -> berth_core's CapacitySnapshot: the one set of rules
(berth_core.capacity) that `berth capacity` and the exporter both apply to what berth_cloud reads."""

from __future__ import annotations

from pathlib import Path

from berth_core.capacity import CapacitySnapshot, compute_zones, provider_capacity, volume_inventory
from berth_core.loader import load_site

POLICY = load_site(Path(__file__).resolve().parents[2] / "inventory" / "aio" / "cloud.yml").spec.capacity

# shaped like GET /resource_providers/{uuid}/inventories and .../usages
INVENTORIES = {
    "VCPU": {
        "total": 32,
        "reserved": 0,
        "allocation_ratio": 4.0,
        "min_unit": 1,
        "max_unit": 32,
        "step_size": 1,
    },
    "MEMORY_MB": {
        "total": 196608,
        "reserved": 512,
        "allocation_ratio": 1.0,
        "min_unit": 1,
        "max_unit": 196608,
    },
    "DISK_GB": {"total": 1000, "reserved": 0, "allocation_ratio": 1.0, "min_unit": 1, "max_unit": 1000},
}
USAGES = {"VCPU": 10, "MEMORY_MB": 20480, "DISK_GB": 100}


def test_provider_capacity_uses_placements_formula():
    host = provider_capacity({"uuid": "u1", "name": "aio-c1"}, INVENTORIES, USAGES, {"aio-c1": "nova"}, "x")
    assert host.zone == "nova"
    vcpu = host.inventories["VCPU"]
    assert (vcpu.allocatable, vcpu.used, vcpu.free) == (128, 10, 118)
    assert host.inventories["MEMORY_MB"].allocatable == 196096


def test_unknown_zone_falls_back_and_missing_classes_are_skipped():
    host = provider_capacity({"name": "c9"}, {"VCPU": INVENTORIES["VCPU"]}, {}, {}, "zone-a")
    assert host.zone == "zone-a" and set(host.inventories) == {"VCPU"}
    assert host.inventories["VCPU"].used == 0


def test_snapshot_sums_hosts():
    hosts = tuple(provider_capacity({"name": n}, INVENTORIES, USAGES, {}, "nova") for n in ("a", "b"))
    snap = CapacitySnapshot(source="placement", hosts=hosts)
    assert snap.allocatable("VCPU") == 256 and snap.used("MEMORY_MB") == 40960


def test_volume_pools_thin_and_thick():
    pools = [
        {
            "name": "a@lvm#a",
            "capabilities": {
                "total_capacity_gb": 1000,
                "reserved_percentage": 10,
                "thin_provisioning_support": True,
                "max_over_subscription_ratio": "2.0",
                "allocated_capacity_gb": 300,
            },
        },
        {
            "name": "b@x#b",
            "capabilities": {
                "total_capacity_gb": 1000,
                "reserved_percentage": 0,
                "thin_provisioning_support": False,
                "provisioned_capacity_gb": 50,
            },
        },
    ]
    inv = volume_inventory(pools, POLICY, used_gib=9999)  # pools that report a size say what is used
    assert (inv.total, inv.reserved, inv.used) == (2000, 100, 350)
    assert inv.allocation_ratio == 1.5
    assert inv.allocatable == int((2000 - 100) * 1.5)


def test_backends_that_cannot_tell_fall_back_to_the_site_with_its_reservation_and_ratio():
    pools = [
        {"name": "fake", "capabilities": {"total_capacity_gb": "infinite", "free_capacity_gb": "infinite"}}
    ]
    inv = volume_inventory(pools, POLICY, used_gib=120)
    assert inv.total == POLICY.volume_capacity_gib > 0
    assert inv.reserved == int(POLICY.reserved.get("VOLUME_GB", 0))
    assert inv.allocation_ratio == POLICY.allocation_ratios.get("VOLUME_GB", 1.0)
    assert inv.used == 120
    assert volume_inventory([], POLICY) == volume_inventory(pools, POLICY)


def test_compute_zones_from_the_services_list():
    services = [
        {"binary": "nova-compute", "host": "aio-c1", "zone": "nova"},
        {"binary": "nova-scheduler", "host": "ctl", "zone": "internal"},
    ]
    assert compute_zones(services) == {"aio-c1": "nova"}
