"""Property checks of the exported formulas: placement's allocatable, commit limit, flavor fit per host."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from tests.unit.test_exporter_render import recorded, refresher_for

MIB, GIB = 1024**2, 1024**3

inventory = st.fixed_dictionaries(
    {
        "total": st.integers(1, 512),
        "reserved": st.integers(0, 64),
        "allocation_ratio": st.sampled_from([0.5, 1.0, 1.5, 4.0, 16.0]),
    }
)
host = st.fixed_dictionaries(
    {
        "VCPU": inventory,
        "MEMORY_MB": st.fixed_dictionaries(
            {
                "total": st.integers(1024, 1 << 20),
                "reserved": st.integers(0, 4096),
                "allocation_ratio": st.sampled_from([1.0, 1.5]),
            }
        ),
        "DISK_GB": inventory,
        "used_vcpu": st.integers(0, 600),
        "used_mem": st.integers(0, 1 << 20),
        "used_disk": st.integers(0, 600),
    }
)


def registry_for(hosts: list[dict]) -> CollectorRegistry:
    obs = recorded()
    obs["placement"]["providers"] = [
        {
            "uuid": f"rp-{i}",
            "name": f"h{i}",
            "inventories": {rc: h[rc] for rc in ("VCPU", "MEMORY_MB", "DISK_GB")},
            "usages": {"VCPU": h["used_vcpu"], "MEMORY_MB": h["used_mem"], "DISK_GB": h["used_disk"]},
        }
        for i, h in enumerate(hosts)
    ]
    obs["compute"]["host_zones"] = {f"h{i}": "nova" for i in range(len(hosts))}
    ref, reg = refresher_for(obs)
    ref.refresh_once()
    return reg


def allocatable(inv: dict) -> int:
    return max(0, int((inv["total"] - inv["reserved"]) * inv["allocation_ratio"]))


@settings(max_examples=40, deadline=None)
@given(st.lists(host, min_size=1, max_size=4))
def test_allocatable_headroom_and_flavor_fit(hosts):
    reg = registry_for(hosts)
    get = reg.get_sample_value
    total_vcpu = 0
    for i, h in enumerate(hosts):
        ids = {"host": f"h{i}", "zone": "nova"}
        assert get("berth_host_allocatable_vcpus", ids) == allocatable(h["VCPU"])
        assert (
            get("berth_host_allocatable_bytes", {**ids, "resource": "memory"})
            == allocatable(h["MEMORY_MB"]) * MIB
        )
        total_vcpu += allocatable(h["VCPU"])
        free = {
            "VCPU": max(0, allocatable(h["VCPU"]) - h["used_vcpu"]),
            "MEMORY_MB": max(0, allocatable(h["MEMORY_MB"]) - h["used_mem"]),
            "DISK_GB": max(0, allocatable(h["DISK_GB"]) - h["used_disk"]),
        }
        # m1.large: 4 vCPU, 8 GiB, 80 GiB disk; an instance never spans hosts
        fit = get("berth_flavor_fit_instances", {"flavor": "m1.large", **ids})
        assert fit == min(free["VCPU"] // 4, free["MEMORY_MB"] // 8192, free["DISK_GB"] // 80)
    assert get("berth_cloud_allocatable_vcpus") == total_vcpu
    # overbooking 1.0 for VCPU in the aio site: limit = allocatable; committed = 16 + 32 recorded cores
    assert get("berth_cloud_commit_limit_vcpus") == total_vcpu
    assert get("berth_cloud_headroom_vcpus") == total_vcpu - 48
