"""The refresher: failing collectors are isolated, stale data is marked then dropped, scrapes never wait."""

from __future__ import annotations

import threading

from prometheus_client import generate_latest

from berth_exporters.collectors import per_project
from tests.unit.test_exporter_render import Clock, recorded, refresher_for


def test_a_failing_collector_is_down_counts_errors_and_keeps_its_marked_stale_data():
    observations = recorded()
    clock = Clock()
    ref, reg = refresher_for(observations, clock)
    ref.refresh_once()
    first_success = clock.now
    observations["blockstorage"] = ConnectionRefusedError("cinder-api is down")
    for _ in range(3):
        clock.now += 60
        ref.refresh_once()
    get = reg.get_sample_value
    assert get("berth_exporter_collector_up", {"collector": "blockstorage"}) == 0
    assert get("berth_exporter_collector_errors_total", {"collector": "blockstorage"}) == 3
    assert (
        get("berth_exporter_collector_last_success_timestamp_seconds", {"collector": "blockstorage"})
        == first_success
    )
    # its last good data is still served (stale, marked by the timestamp above) ...
    assert get("berth_cloud_used_bytes", {"resource": "volume"}) == 150 * 1024**3
    # ... and every other collector is up with fresh data
    for name in ("identity", "placement", "compute", "network"):
        assert get("berth_exporter_collector_up", {"collector": name}) == 1
        assert (
            get("berth_exporter_collector_last_success_timestamp_seconds", {"collector": name}) == clock.now
        )
    assert get("berth_cloud_allocatable_vcpus") == 405


def test_data_older_than_max_stale_is_dropped_not_shown_forever():
    observations = recorded()
    clock = Clock()
    ref, reg = refresher_for(observations, clock, max_stale=300)
    ref.refresh_once()
    observations["blockstorage"] = RuntimeError("still down")
    clock.now += 301
    ref.refresh_once()
    get = reg.get_sample_value
    assert get("berth_cloud_used_bytes", {"resource": "volume"}) is None
    assert (
        get(
            "berth_tenant_quota",
            {"tenant": "so-y-te", "agency": "SYT", "project_id": "p-syt", "resource": "volumes"},
        )
        is None
    )
    # committed volume quota is unknown now: not shown as zero
    assert get("berth_cloud_committed_bytes", {"resource": "volume"}) is None
    assert get("berth_cloud_committed_vcpus") == 48
    assert get("berth_exporter_collector_up", {"collector": "blockstorage"}) == 0


def test_a_collector_that_never_succeeded_drops_only_what_needs_it():
    observations = recorded()
    observations["placement"] = TimeoutError("placement unreachable")
    ref, reg = refresher_for(observations)
    ref.refresh_once()
    get = reg.get_sample_value
    assert get("berth_host_capacity_vcpus", {"host": "aio-c1", "zone": "nova"}) is None
    assert (
        get(
            "berth_tenant_quota",
            {"tenant": "so-y-te", "agency": "SYT", "project_id": "p-syt", "resource": "cores"},
        )
        == 16
    )
    assert get("berth_compute_service_up", {"host": "aio-c1", "zone": "nova"}) == 1
    assert get("berth_exporter_collector_up", {"collector": "placement"}) == 0


def test_scrape_serves_the_previous_complete_snapshot_while_a_refresh_is_blocked():
    observations = recorded()
    ref, reg = refresher_for(observations)
    ref.refresh_once()
    entered, release = threading.Event(), threading.Event()
    original = ref.observers["placement"]

    def slow_placement(previous):
        entered.set()
        release.wait()
        changed = original(previous)
        changed["providers"][0]["usages"]["VCPU"] = 10
        return changed

    ref.observers = {**ref.observers, "placement": slow_placement}
    worker = threading.Thread(target=ref.refresh_once)
    worker.start()
    try:
        assert entered.wait(30)
        # the refresh is stuck inside OpenStack; the scrape answers from the last snapshot
        text = generate_latest(reg).decode()
        assert 'berth_host_used_vcpus{host="aio-c1",zone="nova"} 6.0' in text
    finally:
        release.set()
        worker.join()
    assert reg.get_sample_value("berth_host_used_vcpus", {"host": "aio-c1", "zone": "nova"}) == 10


def test_before_the_first_refresh_only_self_metrics_are_served():
    _ref, reg = refresher_for(recorded())
    assert reg.get_sample_value("berth_exporter_collector_up", {"collector": "compute"}) == 0
    assert reg.get_sample_value("berth_host_capacity_vcpus", {"host": "aio-c1", "zone": "nova"}) is None


def test_per_project_reads_isolate_one_failing_project():
    def read(pid: str) -> dict[str, int]:
        if pid == "deleted":
            raise LookupError("project vanished between listing and reading")
        return {"cores": len(pid)}

    good, failed = per_project(read, ["a", "deleted", "ccc"], concurrency=2)
    assert good == {"a": {"cores": 1}, "ccc": {"cores": 3}}
    assert failed == 1


def test_background_thread_refreshes_on_its_interval():
    ref, reg = refresher_for(recorded())
    ref.interval = 0.01
    ref.start()
    try:
        assert ref.wait_rounds(3, timeout=60)
    finally:
        ref.stop()
    assert reg.get_sample_value("berth_exporter_collector_up", {"collector": "identity"}) == 1
