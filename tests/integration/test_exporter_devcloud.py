"""The exporter against the real devcloud: its numbers are OpenStack's, usage moves after a boot, a
failing service costs only its collector, a vanished project only its own series, a real Prometheus
scrapes it, and a refresh's requests do not grow with projects beyond nova's and cinder's quota reads."""

from __future__ import annotations

import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from berth_core.loader import load_site
from berth_exporters.app import ExporterConfig, build, serve
from berth_exporters.refresher import Refresher
from tests.integration.conftest import ROOT, boot_server, wait_for
from tests.prometheus import server as prometheus

pytestmark = pytest.mark.openstack
CLOUD = "aio-admin"
SITE = load_site(ROOT / "inventory" / "aio" / "cloud.yml")
QUOTA = {"cores": 6, "ram": 6144, "instances": 3}
VOLUME_QUOTA = {"volumes": 3, "gigabytes": 30}


def exporter(clouds_yaml: Path, **overrides: Any) -> tuple[Refresher, CollectorRegistry]:
    refresher, _reader = build(
        ExporterConfig(site=SITE, clouds_yaml=clouds_yaml, cloud=CLOUD, interval=5, timeout=20, **overrides)
    )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(refresher)
    return refresher, registry


@dataclass
class Tenant:
    id: str
    slug: str


def create_tenant(conn: Any, slug: str, cleanup: list[Any]) -> Tenant:
    """A berth-managed project (tags and keystone attributes as berth_cloud writes them) with quotas."""
    body = {
        "project": {
            "name": slug,
            "domain_id": "default",
            "description": "exporter integration test",
            "tags": ["berth:managed", f"berth:tenant={slug}"],
            "berth_agency": "TEST",
            "berth_display_name": "Dự án thử nghiệm",
        }
    }
    project = conn.identity.post("/projects", json=body).json()["project"]
    cleanup.append(lambda: conn.identity.delete(f"/projects/{project['id']}"))
    conn.compute.put(f"/os-quota-sets/{project['id']}", json={"quota_set": QUOTA}).raise_for_status()
    conn.network.put(f"/quotas/{project['id']}", json={"quota": {"port": 20}}).raise_for_status()
    conn.block_storage.put(
        f"/os-quota-sets/{project['id']}", json={"quota_set": VOLUME_QUOTA}
    ).raise_for_status()
    return Tenant(project["id"], slug)


@pytest.fixture
def tenant(conn: Any, unique: str, cleanup: list[Any]) -> Tenant:
    return create_tenant(conn, unique, cleanup)


def labels(t: Tenant, resource: str) -> dict[str, str]:
    return {"tenant": t.slug, "agency": "TEST", "project_id": t.id, "resource": resource}


def placement_hosts(conn: Any) -> dict[str, dict[str, Any]]:
    out = {}
    for rp in conn.placement.get("/resource_providers").json()["resource_providers"]:
        inventories = conn.placement.get(f"/resource_providers/{rp['uuid']}/inventories").json()[
            "inventories"
        ]
        usages = conn.placement.get(f"/resource_providers/{rp['uuid']}/usages").json()["usages"]
        if "VCPU" in inventories:
            out[rp["name"]] = {"inventories": inventories, "usages": usages}
    return out


def test_numbers_equal_what_openstack_reports(clouds_yaml: Path, conn: Any, tenant: Tenant) -> None:
    refresher, registry = exporter(clouds_yaml)
    refresher.refresh_once()
    get = registry.get_sample_value
    for name in ("identity", "placement", "compute", "network", "blockstorage"):
        assert get("berth_exporter_collector_up", {"collector": name}) == 1, refresher.states[name].last_error
    hosts = placement_hosts(conn)
    assert hosts
    for host, data in hosts.items():
        vcpu = data["inventories"]["VCPU"]
        mem = data["inventories"]["MEMORY_MB"]
        ids = {"host": host, "zone": refresher_zone(registry, host)}
        assert get("berth_host_capacity_vcpus", ids) == vcpu["total"]
        assert get("berth_host_allocatable_vcpus", ids) == int(
            (vcpu["total"] - vcpu["reserved"]) * vcpu["allocation_ratio"]
        )
        assert get("berth_host_used_vcpus", ids) == data["usages"].get("VCPU", 0)
        mem_ids = {**ids, "resource": "memory"}
        assert (
            get("berth_host_allocatable_bytes", mem_ids)
            == int((mem["total"] - mem["reserved"]) * mem["allocation_ratio"]) * 2**20
        )
    assert get("berth_tenant_quota", labels(tenant, "cores")) == QUOTA["cores"]
    assert get("berth_tenant_quota_bytes", labels(tenant, "ram")) == QUOTA["ram"] * 2**20
    assert get("berth_tenant_quota", labels(tenant, "volumes")) == VOLUME_QUOTA["volumes"]
    assert get("berth_tenant_quota_bytes", labels(tenant, "volume")) == VOLUME_QUOTA["gigabytes"] * 2**30
    network_quota = conn.network.get(f"/quotas/{tenant.id}").json()["quota"]
    assert get("berth_tenant_quota", labels(tenant, "ports")) == network_quota["port"]
    info = {
        **{k: v for k, v in labels(tenant, "").items() if k != "resource"},
        "display_name": "Dự án thử nghiệm",
        "domain": "default",
    }
    assert get("berth_tenant_info", info) == 1
    # committed quota is the sum of the tenants' finite nova quotas (other helpers' tenants come and go
    # on this shared devcloud, so compare within one refresh rather than with a later read)
    quotas = [
        s.value
        for m in registry.collect()
        if m.name == "berth_tenant_quota"
        for s in m.samples
        if s.labels["resource"] == "cores" and s.value != float("inf")
    ]
    assert get("berth_cloud_committed_vcpus") == sum(quotas)


def refresher_zone(registry: CollectorRegistry, host: str) -> str:
    for metric in registry.collect():
        if metric.name == "berth_host_capacity_vcpus":
            for sample in metric.samples:
                if sample.labels["host"] == host:
                    return sample.labels["zone"]
    raise AssertionError(f"{host} not exported")


def test_booting_a_server_moves_usage_after_one_refresh(
    clouds_yaml: Path, conn: Any, tenant: Tenant, unique: str, cleanup: list[Any]
) -> None:
    refresher, registry = exporter(clouds_yaml)
    refresher.refresh_once()
    get = registry.get_sample_value
    assert get("berth_tenant_usage", labels(tenant, "cores")) == 0
    used_before = get("berth_cloud_used_vcpus")

    admin_user = conn.current_user_id
    admin_role = conn.identity.find_role("admin")
    conn.identity.assign_project_role_to_user(tenant.id, admin_user, admin_role)
    scoped = conn.connect_as_project(conn.identity.get_project(tenant.id))  # a bare string means a name
    boot_server(conn, scoped, unique, cleanup, "10.199.9.0/24")

    refresher.refresh_once()  # one interval later
    assert get("berth_tenant_usage", labels(tenant, "instances")) == 1
    assert get("berth_tenant_usage", labels(tenant, "cores")) == 2
    assert get("berth_tenant_usage_bytes", labels(tenant, "ram")) == 1024 * 2**20
    assert get("berth_tenant_usage", labels(tenant, "networks")) == 1
    assert get("berth_tenant_usage", labels(tenant, "ports")) >= 1
    assert get("berth_cloud_used_vcpus") == used_before + 2


def test_a_failing_service_costs_only_its_collector(clouds_yaml: Path, tenant: Tenant) -> None:
    closed = prometheus.free_port()  # nothing listens there
    refresher, registry = exporter(
        clouds_yaml, endpoint_overrides={"blockstorage": f"http://127.0.0.1:{closed}/v3"}
    )
    refresher.refresh_once()
    refresher.refresh_once()
    get = registry.get_sample_value
    assert get("berth_exporter_collector_up", {"collector": "blockstorage"}) == 0
    assert get("berth_exporter_collector_errors_total", {"collector": "blockstorage"}) == 2
    assert get("berth_exporter_collector_last_success_timestamp_seconds", {"collector": "blockstorage"}) == 0
    for name in ("identity", "placement", "compute", "network"):
        assert get("berth_exporter_collector_up", {"collector": name}) == 1
    assert get("berth_tenant_quota", labels(tenant, "cores")) == QUOTA["cores"]
    assert get("berth_tenant_quota", labels(tenant, "volumes")) is None
    assert get("berth_cloud_allocatable_vcpus") > 0
    assert get("berth_cloud_committed_bytes", {"resource": "volume"}) is None  # unknown, not zero


def test_a_project_deleted_between_listing_and_reading_costs_only_its_series(
    clouds_yaml: Path, conn: Any, unique: str, cleanup: list[Any]
) -> None:
    keep = create_tenant(conn, f"{unique}-keep", cleanup)
    doomed = create_tenant(conn, f"{unique}-gone", cleanup)
    refresher, registry = exporter(clouds_yaml)
    # list projects (identity) now; delete one before the quota readers run
    state = refresher.states["identity"]
    state.observation = refresher.observers["identity"]({})
    state.last_success, state.up = time.time(), True
    conn.identity.delete(f"/projects/{doomed.id}")
    observers = dict(refresher.observers)
    refresher.observers = {k: v for k, v in observers.items() if k != "identity"}
    refresher.refresh_once()
    get = registry.get_sample_value
    for name in ("compute", "network", "blockstorage"):
        assert get("berth_exporter_collector_up", {"collector": name}) == 1, refresher.states[name].last_error
    assert get("berth_tenant_quota", labels(keep, "cores")) == QUOTA["cores"]
    assert get("berth_tenant_quota", labels(keep, "volumes")) == VOLUME_QUOTA["volumes"]
    # the next full round no longer lists the project: its series are gone, the others stay
    refresher.observers = observers
    refresher.refresh_once()
    assert get("berth_tenant_quota", labels(doomed, "cores")) is None
    assert get("berth_tenant_quota", labels(keep, "cores")) == QUOTA["cores"]


def test_requests_per_refresh_grow_only_with_nova_and_cinder_quota_reads(
    clouds_yaml: Path, conn: Any, unique: str, cleanup: list[Any]
) -> None:
    refresher, registry = exporter(clouds_yaml)
    refresher.refresh_once()
    refresher.refresh_once()  # steady state: the first round also discovers API versions

    def requests() -> dict[str, float]:
        return {
            n: registry.get_sample_value("berth_exporter_collector_requests", {"collector": n}) or 0
            for n in refresher.states
        }

    before = requests()
    for i in range(5):
        create_tenant(conn, f"{unique}-{i}", cleanup)
    refresher.refresh_once()  # identity runs first in a round: the quota readers see the new projects
    after = requests()
    assert after["compute"] - before["compute"] == 5
    assert after["blockstorage"] - before["blockstorage"] == 5
    for name in ("identity", "placement", "network"):
        assert after[name] == before[name], name


@pytest.fixture
def served(clouds_yaml: Path) -> Iterator[tuple[Refresher, int]]:
    refresher, _registry = exporter(clouds_yaml)
    refresher.refresh_once()
    port = prometheus.free_port()
    http = serve(refresher, f"127.0.0.1:{port}")
    try:
        yield refresher, port
    finally:
        http.shutdown()


@pytest.mark.prometheus
@pytest.mark.skipif(not prometheus.available(), reason="Debian's prometheus is not installed")
def test_a_real_prometheus_scrapes_the_devcloud_exporter(
    tenant: Tenant, served: tuple[Refresher, int], conn: Any, tmp_path: Path
) -> None:
    _refresher, port = served
    hosts = placement_hosts(conn)
    with prometheus.running_prometheus(tmp_path, [f"127.0.0.1:{port}"]) as prom:
        prom.wait_for("berth_cloud_allocatable_vcpus")
        for host, data in hosts.items():
            vcpu = data["inventories"]["VCPU"]
            expected = int((vcpu["total"] - vcpu["reserved"]) * vcpu["allocation_ratio"])
            assert prom.value(f'berth_host_allocatable_vcpus{{host="{host}"}}') == expected
        assert prom.value("sum(berth_exporter_collector_up)") == 5
        quota = prom.value(f'berth_tenant_quota{{project_id="{tenant.id}",resource="cores"}}')
        assert quota == QUOTA["cores"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
            text = r.read().decode()
        from tests.prometheus.dashboard import expressions, metric_names, scraped_names

        unknown = metric_names(expressions()) - scraped_names(text)
        assert not unknown, sorted(unknown)


def test_start_in_background_serves_at_once(clouds_yaml: Path) -> None:
    from berth_exporters.app import start_in_background

    running = start_in_background(
        ExporterConfig(
            site=SITE, clouds_yaml=clouds_yaml, cloud=CLOUD, listen=f"127.0.0.1:{prometheus.free_port()}"
        )
    )
    try:
        with urllib.request.urlopen(running.url, timeout=10) as r:
            text = r.read().decode()
        assert 'berth_exporter_collector_up{collector="placement"} 1.0' in text
    finally:
        running.stop()


@pytest.mark.parametrize(
    ("command", "sig", "code"),
    [
        (["berth-exporter"], signal.SIGTERM, 0),
        (["berth-exporter"], signal.SIGINT, 0),
        (["berth", "exporter", "serve"], signal.SIGTERM, 0),
        (["berth", "exporter", "serve"], signal.SIGINT, 130),
    ],
)
def test_serving_stops_cleanly_on_signals(clouds_yaml: Path, command: list[str], sig: int, code: int) -> None:
    port = prometheus.free_port()
    binary = str(ROOT / ".venv" / "bin" / command[0])
    process = subprocess.Popen(
        [binary, *command[1:], "--listen", f"127.0.0.1:{port}", "--cloud", CLOUD],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(
            "exporter answering", lambda: _answers(f"http://127.0.0.1:{port}/metrics"), timeout=120, every=0.3
        )
        process.send_signal(sig)
        assert process.wait(timeout=60) == code
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return b"berth_exporter_collector_up" in r.read()
    except OSError:
        return False
