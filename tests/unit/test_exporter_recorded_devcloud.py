"""Observations recorded from a real devcloud refresh (tests/prometheus/recorded_devcloud.json) turn
into samples that agree with the raw records: placement's formula per host, quotas and usage per
tenant, committed quota, zones."""

from __future__ import annotations

import json

import pytest

from berth_exporters.observations import tenant_slug
from tests.unit.test_exporter_render import ROOT, refresher_for

RECORDED = ROOT / "tests" / "prometheus" / "recorded_devcloud.json"
MIB = 1024**2


@pytest.fixture(scope="module")
def recorded_devcloud():
    observations = json.loads(RECORDED.read_text(encoding="utf-8"))
    ref, registry = refresher_for(observations)
    ref.refresh_once()
    return observations, registry


def test_every_provider_follows_placements_formula(recorded_devcloud):
    obs, registry = recorded_devcloud
    get = registry.get_sample_value
    zones = obs["compute"]["host_zones"]
    providers = [p for p in obs["placement"]["providers"] if "VCPU" in p["inventories"]]
    assert len(providers) == 3
    for p in providers:
        ids = {"host": p["name"], "zone": zones[p["name"]]}
        for rc, metric, labels, scale in (
            ("VCPU", "berth_host_allocatable_vcpus", ids, 1),
            ("MEMORY_MB", "berth_host_allocatable_bytes", {**ids, "resource": "memory"}, MIB),
        ):
            inv = p["inventories"][rc]
            assert (
                get(metric, labels) == int((inv["total"] - inv["reserved"]) * inv["allocation_ratio"]) * scale
            )
        assert get("berth_host_used_vcpus", ids) == p["usages"].get("VCPU", 0)


def test_every_managed_project_is_a_tenant_with_its_recorded_quota(recorded_devcloud):
    obs, registry = recorded_devcloud
    get = registry.get_sample_value
    tenants = [p for p in obs["identity"]["projects"] if tenant_slug(p) is not None]
    assert tenants
    committed = 0
    for p in tenants:
        ids = {"tenant": tenant_slug(p), "agency": p["agency"], "project_id": p["id"]}
        quota = obs["compute"]["quotas"].get(p["id"])
        if quota is None:
            assert get("berth_tenant_quota", {**ids, "resource": "cores"}) is None
            continue
        expected = float("inf") if quota["cores"] == -1 else quota["cores"]
        assert get("berth_tenant_quota", {**ids, "resource": "cores"}) == expected
        committed += 0 if quota["cores"] == -1 else quota["cores"]
        used = obs["network"]["usage"].get(p["id"], {}).get("ports", 0)
        assert get("berth_tenant_usage", {**ids, "resource": "ports"}) == used
    assert get("berth_cloud_committed_vcpus") == committed
