"""Recorded observations -> the exporter's samples (CollectorRegistry.get_sample_value), no OpenStack."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from berth_core.loader import load_site
from berth_exporters.refresher import Refresher

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "tests" / "prometheus" / "recorded_aio.json"
MIB, GIB = 1024**2, 1024**3


def recorded() -> dict:
    return json.loads(RECORDED.read_text(encoding="utf-8"))


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def refresher_for(
    observations: dict, clock: Clock | None = None, **kw
) -> tuple[Refresher, CollectorRegistry]:
    """A refresher whose observers replay recorded data (a None entry: that collector raises)."""

    def replay(name: str):
        def observe(_previous):
            value = observations[name]
            if isinstance(value, Exception):
                raise value
            return copy.deepcopy(value)

        return observe

    site = load_site(ROOT / "inventory" / "aio" / "cloud.yml")
    ref = Refresher(
        site=site,
        observers={name: replay(name) for name in observations},
        clock=clock or Clock(),
        interval=60,
        **kw,
    )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ref)
    return ref, registry


@pytest.fixture
def registry() -> CollectorRegistry:
    ref, reg = refresher_for(recorded())
    ref.refresh_once()
    return reg


def test_per_host_placement_formula_with_ratio_above_one_and_reserved(registry):
    get = registry.get_sample_value
    c3 = {"host": "aio-c3", "zone": "edge"}
    assert get("berth_host_capacity_vcpus", c3) == 16
    assert get("berth_host_reserved_vcpus", c3) == 2
    assert get("berth_host_allocatable_vcpus", c3) == 21  # int((16 - 2) * 1.5)
    assert get("berth_host_used_vcpus", c3) == 20
    assert get("berth_host_allocation_ratio", {**c3, "resource": "vcpu"}) == 1.5
    mem = {**c3, "resource": "memory"}
    assert get("berth_host_capacity_bytes", mem) == 98304 * MIB
    assert get("berth_host_reserved_bytes", mem) == 512 * MIB
    assert get("berth_host_allocatable_bytes", mem) == (98304 - 512) * MIB
    assert get("berth_host_used_bytes", {**c3, "resource": "disk"}) == 400 * GIB
    assert get("berth_host_allocatable_vcpus", {"host": "aio-c1", "zone": "nova"}) == 128


def test_zone_totals_sum_their_hosts(registry):
    get = registry.get_sample_value
    assert get("berth_zone_allocatable_vcpus", {"zone": "nova"}) == 128 + 256
    assert get("berth_zone_allocatable_vcpus", {"zone": "edge"}) == 21
    assert get("berth_zone_used_bytes", {"zone": "nova", "resource": "memory"}) == 12288 * MIB


def test_cloud_committed_quota_limit_and_headroom_use_overbooking(registry):
    get = registry.get_sample_value
    assert get("berth_cloud_allocatable_vcpus") == 405
    assert get("berth_cloud_committed_vcpus") == 16 + 32
    assert get("berth_cloud_commit_limit_vcpus") == 405  # overbooking 1.0
    assert get("berth_cloud_headroom_vcpus") == 405 - 48
    mem = {"resource": "memory"}
    allocatable = (196608 - 512) + (393216 - 512) + (98304 - 512)
    assert get("berth_cloud_allocatable_bytes", mem) == allocatable * MIB
    assert get("berth_cloud_committed_bytes", mem) == (48 + 96) * GIB
    assert get("berth_cloud_commit_limit_bytes", mem) == int(allocatable * 1.2) * MIB
    assert get("berth_cloud_headroom_bytes", mem) == (int(allocatable * 1.2) - 144 * 1024) * MIB
    assert get("berth_cloud_overbooking_ratio", mem) == 1.2
    # DISK_GB has no quota: capacity yes, committed no
    assert get("berth_cloud_allocatable_bytes", {"resource": "disk"}) == 3500 * GIB
    assert get("berth_cloud_committed_bytes", {"resource": "disk"}) is None


def test_volume_pool_falls_back_to_cloud_yml_and_unlimited_quota_is_counted_apart(registry):
    get = registry.get_sample_value
    vol = {"resource": "volume"}
    assert get("berth_cloud_capacity_bytes", vol) == 4000 * GIB  # fake backend reports no size
    assert get("berth_cloud_used_bytes", vol) == 150 * GIB
    assert get("berth_cloud_committed_bytes", vol) == 500 * GIB  # lgsp is unlimited
    assert get("berth_cloud_unlimited_quota_tenants", vol) == 1
    assert get("berth_cloud_headroom_bytes", vol) == (8000 - 500) * GIB  # overbooking 2.0


def test_tenant_quota_usage_and_info_with_vietnamese_name(registry):
    get = registry.get_sample_value
    syt = {"tenant": "so-y-te", "agency": "SYT", "project_id": "p-syt"}
    assert get("berth_tenant_quota", {**syt, "resource": "cores"}) == 16
    assert get("berth_tenant_usage", {**syt, "resource": "cores"}) == 6
    assert get("berth_tenant_quota_bytes", {**syt, "resource": "ram"}) == 48 * GIB
    assert get("berth_tenant_usage_bytes", {**syt, "resource": "ram"}) == 12 * GIB
    assert get("berth_tenant_usage_bytes", {**syt, "resource": "volume"}) == 150 * GIB
    assert get("berth_tenant_usage", {**syt, "resource": "ports"}) == 5
    assert get("berth_tenant_quota", {**syt, "resource": "security_groups"}) == 10
    info = {**syt, "display_name": "Sở Y tế Hải Phòng", "domain": "default"}
    assert get("berth_tenant_info", info) == 1
    lgsp = {"tenant": "lgsp", "agency": "TTDL", "project_id": "p-lgsp"}
    assert get("berth_tenant_quota_bytes", {**lgsp, "resource": "volume"}) == math.inf
    assert get("berth_tenant_usage", {**lgsp, "resource": "instances"}) == 0


def test_unmanaged_projects_are_not_tenants(registry):
    text = generate_latest(registry).decode()
    assert 'project_id="p-admin"' not in text


def test_a_project_whose_quota_read_failed_loses_only_its_own_series(registry):
    get = registry.get_sample_value
    gone = {"tenant": "so-da-xoa", "agency": "SXD", "project_id": "p-gone"}
    assert get("berth_tenant_quota", {**gone, "resource": "cores"}) is None
    assert get("berth_tenant_quota", {**gone, "resource": "ports"}) == 20  # neutron's bulk read had it
    assert get("berth_exporter_project_errors_total", {"collector": "compute"}) == 1
    # committed quota is then a lower bound, and says so
    assert get("berth_cloud_quota_unknown_tenants", {"resource": "vcpu"}) == 1
    assert get("berth_cloud_quota_unknown_tenants", {"resource": "volume"}) == 1
    assert (
        get(
            "berth_tenant_quota",
            {"tenant": "so-y-te", "agency": "SYT", "project_id": "p-syt", "resource": "cores"},
        )
        == 16
    )


def test_flavor_fit_per_host_from_free_allocatable_capacity(registry):
    get = registry.get_sample_value
    large = {"flavor": "m1.large"}
    assert (
        get("berth_flavor_fit_instances", {**large, "host": "aio-c1", "zone": "nova"}) == 11
    )  # disk: 880 // 80
    assert (
        get("berth_flavor_fit_instances", {**large, "host": "aio-c2", "zone": "nova"}) == 25
    )  # disk: 2000 // 80
    assert get("berth_flavor_fit_instances", {**large, "host": "aio-c3", "zone": "edge"}) == 0  # 1 vcpu free
    db = {"flavor": "db.large"}  # private flavors count too
    assert (
        get("berth_flavor_fit_instances", {**db, "host": "aio-c1", "zone": "nova"}) == 4
    )  # ram: 183808 // 32768 ... disk 4
    assert get("berth_flavor_fit_instances", {**db, "host": "aio-c2", "zone": "nova"}) == 10


def test_address_pool_totals_and_allocations(registry):
    get = registry.get_sample_value
    pool = {"pool": "tenant-v4", "cidr": "10.64.0.0/12"}
    assert get("berth_address_pool_addresses", pool) == 2**20
    assert get("berth_address_pool_prefixes", pool) == 4096
    assert get("berth_address_pool_allocated_addresses", pool) == 256 + 128
    assert get("berth_address_pool_allocated_prefixes", pool) == 2
    assert get("berth_address_pool_free_prefixes", pool) == 4094


def test_compute_host_gone_from_placement(registry):
    get = registry.get_sample_value
    assert get("berth_compute_host_in_placement", {"host": "aio-c1", "zone": "nova"}) == 1
    assert get("berth_compute_host_in_placement", {"host": "aio-c4", "zone": "nova"}) == 0
    assert get("berth_compute_service_up", {"host": "aio-c4", "zone": "nova"}) == 0


def test_help_says_the_data_is_cached(registry):
    text = generate_latest(registry).decode()
    helps = [line for line in text.splitlines() if line.startswith("# HELP berth_host_")]
    assert helps
    assert all("cached" in line for line in helps)


def test_self_metrics_after_a_good_round(registry):
    get = registry.get_sample_value
    for name in ("identity", "placement", "compute", "network", "blockstorage"):
        assert get("berth_exporter_collector_up", {"collector": name}) == 1
        assert get("berth_exporter_collector_errors_total", {"collector": name}) == 0
        assert (
            get("berth_exporter_collector_last_success_timestamp_seconds", {"collector": name})
            == 1_800_000_000
        )
    assert get("berth_exporter_build_info", {"version": "0.1.0", "site": "aio"}) == 1
