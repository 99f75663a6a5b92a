"""`berth cloud status`'s Ceph verdict, over what the devcloud's Ceph 16 printed (`ceph status`, `ceph df`)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from berth_cloud.ceph_reader import read_ceph_cluster
from berth_core.ceph_health import ceph_cluster

CAPTURED = json.loads((Path(__file__).parent / "fixtures" / "ceph_devcloud.json").read_text())


def captured() -> tuple[dict[str, Any], dict[str, Any]]:
    return copy.deepcopy(CAPTURED["status"]), copy.deepcopy(CAPTURED["df"])


def test_the_devclouds_cluster_is_healthy_with_a_row_per_pool_in_bytes() -> None:
    cluster = ceph_cluster(*captured())
    assert cluster.healthy, cluster.problems
    pools = {row["pool"]: row for row in cluster.rows}
    assert {"images", "volumes", "vms"} <= set(pools)
    assert all(row["max_avail_bytes"] > 0 for row in pools.values())
    assert cluster.summary["health"] == "HEALTH_OK"
    assert cluster.summary["osds_up"] == cluster.summary["osds"] == 1
    assert cluster.to_dict()["summary"]["total_bytes"] > cluster.summary["avail_bytes"] > 0


def test_a_warning_names_cephs_checks() -> None:
    status, df = captured()
    status["health"] = {
        "status": "HEALTH_WARN",
        "checks": {"OSD_DOWN": {"severity": "HEALTH_WARN", "summary": {"message": "1 osds down"}}},
    }
    status["osdmap"]["num_up_osds"] = 0
    cluster = ceph_cluster(status, df)
    assert not cluster.healthy
    assert "HEALTH_WARN (OSD_DOWN: 1 osds down)" in cluster.problems
    assert "OSDs: 0 up and 1 in of 1" in cluster.problems


def test_a_lost_monitor_and_unclean_placement_groups_are_problems() -> None:
    status, df = captured()
    status["monmap"]["num_mons"] = 3
    status["pgmap"]["pgs_by_state"] = [
        {"state_name": "active+clean", "count": 40},
        {"state_name": "active+undersized+degraded", "count": 9},
    ]
    problems = ceph_cluster(status, df).problems
    assert "1 of 3 monitors in the quorum" in problems
    assert "placement groups not clean: 9 active+undersized+degraded" in problems


def test_an_empty_answer_is_not_healthy() -> None:
    cluster = ceph_cluster({}, {})
    assert not cluster.healthy
    assert cluster.rows == []


def test_a_site_without_ceph_has_no_ceph_cluster(tmp_path: Path) -> None:
    assert read_ceph_cluster(tmp_path) is None


def test_a_cluster_that_does_not_answer_is_reported_not_raised(tmp_path: Path) -> None:
    conf = tmp_path / "ceph" / "ceph.conf"
    conf.parent.mkdir()
    # a monitor address inside no namespace of ours would be traffic elsewhere: 127.0.0.1 on a port no
    # monitor listens on is refused at once
    conf.write_text("[global]\nfsid = 00000000-0000-0000-0000-000000000001\nmon_host = [v2:127.0.0.1:1]\n")
    cluster = read_ceph_cluster(tmp_path, timeout=20)
    assert cluster is not None
    assert not cluster.healthy
    assert cluster.problems[0].startswith("not reachable:")
