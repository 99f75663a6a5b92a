"""Stop the devcloud's real cinder-api (with the devcloud's own supervised_process module) while the
exporter runs: the block-storage collector goes down and counts errors, every other family is still
served; cinder-api is started again the same way and the collector recovers.

Disruptive for anything else using the devcloud at the same moment: CI runs the tests one at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.services import CINDER_API, start_and_wait, stopped
from tests.integration.test_exporter_devcloud import exporter

pytestmark = [pytest.mark.openstack, pytest.mark.slow]


@pytest.fixture
def cinder_stopped() -> Iterator[None]:
    with stopped(CINDER_API):
        yield


def test_stopping_cinder_api_downs_only_the_block_storage_collector(
    clouds_yaml: Path, cinder_stopped: None
) -> None:
    refresher, registry = exporter(clouds_yaml)
    get = registry.get_sample_value
    # the exporter connected while cinder was down: every other service still refreshes
    refresher.refresh_once()
    refresher.refresh_once()
    assert get("berth_exporter_collector_up", {"collector": "blockstorage"}) == 0
    assert get("berth_exporter_collector_errors_total", {"collector": "blockstorage"}) == 2
    for name in ("identity", "placement", "compute", "network"):
        assert get("berth_exporter_collector_up", {"collector": name}) == 1, refresher.states[name].last_error
    assert get("berth_cloud_allocatable_vcpus") > 0
    assert get("berth_host_capacity_vcpus", {"host": "aio-c1", "zone": "nova"}) is not None
    assert get("berth_cloud_used_bytes", {"resource": "volume"}) is None  # never read: not invented

    start_and_wait(CINDER_API)
    refresher.refresh_once()
    assert get("berth_exporter_collector_up", {"collector": "blockstorage"}) == 1, refresher.states[
        "blockstorage"
    ].last_error
    assert get("berth_exporter_collector_errors_total", {"collector": "blockstorage"}) == 2
    assert get("berth_cloud_used_bytes", {"resource": "volume"}) is not None
