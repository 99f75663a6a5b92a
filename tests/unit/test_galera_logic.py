"""The Galera logic of berth.cloud (module_utils/galera.py and the galera_plan filter): what a node's
status and grastate.dat say, and how a deploy brings a cluster up. Pure functions, real inputs (the text
MariaDB 10.11 and Galera 4 write)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "playbooks" / "collections"))

from ansible_collections.berth.cloud.plugins.filter.galera import galera_plan
from ansible_collections.berth.cloud.plugins.module_utils.galera import (
    ZERO_UUID,
    node_summary,
    parse_grastate,
    parse_recovered_position,
    parse_status,
    plan_cluster,
)

UUID = "6f2e9c4a-1d3b-11ef-8b1a-3e5f7a9c0d21"
MEMBERS = ["ctl1", "ctl2", "ctl3"]

SYNCED = (
    "wsrep_local_state_uuid\t6f2e9c4a-1d3b-11ef-8b1a-3e5f7a9c0d21\n"
    "wsrep_last_committed\t42\n"
    "wsrep_local_state\t4\n"
    "wsrep_local_state_comment\tSynced\n"
    "wsrep_cluster_size\t3\n"
    "wsrep_cluster_state_uuid\t6f2e9c4a-1d3b-11ef-8b1a-3e5f7a9c0d21\n"
    "wsrep_cluster_status\tPrimary\n"
    "wsrep_connected\tON\n"
    "wsrep_ready\tON\n"
    "wsrep_on\tON\n"
)


def test_a_synced_member_of_three() -> None:
    values = parse_status(SYNCED)
    assert values["wsrep_cluster_size"] == "3"
    node = node_summary(values, min_size=3)
    assert node["synced"] and node["ready"] and node["connected"] and node["wsrep_on"]
    assert (node["cluster_size"], node["local_state_comment"], node["cluster_status"]) == (
        3,
        "Synced",
        "Primary",
    )
    assert node["last_committed"] == 42
    assert not node_summary(values, min_size=4)["synced"]  # the size is part of the gate


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (("Synced", "Donor/Desynced"), "a donor is not Synced"),
        (("Synced", "Joined"), "joined but still applying"),
        (("Primary", "non-Primary"), "no quorum"),
        (("wsrep_ready\tON", "wsrep_ready\tOFF"), "not accepting queries"),
    ],
)
def test_anything_short_of_synced_in_a_primary_component_is_not_synced(
    change: tuple[str, str], why: str
) -> None:
    assert not node_summary(parse_status(SYNCED.replace(*change)))["synced"], why


def test_a_server_that_did_not_answer_is_nothing() -> None:
    node = node_summary({})
    assert node["cluster_size"] == 0 and not node["synced"] and node["last_committed"] == -1


def test_grastate_after_a_clean_stop_a_crash_and_before_any_cluster() -> None:
    clean = f"# GALERA saved state\nversion: 2.1\nuuid:    {UUID}\nseqno:   42\nsafe_to_bootstrap: 1\n"
    assert parse_grastate(clean) == {"uuid": UUID, "seqno": 42, "safe_to_bootstrap": True}
    crashed = clean.replace("seqno:   42", "seqno:   -1").replace("bootstrap: 1", "bootstrap: 0")
    assert parse_grastate(crashed) == {"uuid": UUID, "seqno": -1, "safe_to_bootstrap": False}
    assert parse_grastate("garbage\n")["uuid"] == ZERO_UUID


def test_recovered_position_from_the_error_log() -> None:
    log = (
        "2026-01-02 10:00:00 0 [Note] InnoDB: Starting crash recovery\n"
        f"2026-01-02 10:00:01 0 [Note] WSREP: Recovered position: {UUID}:57\n"
    )
    assert parse_recovered_position(log) == {"uuid": UUID, "seqno": 57}
    assert parse_recovered_position("InnoDB: nothing\n") is None


def node(
    running: bool = True,
    status: str = "Primary",
    size: int = 3,
    grastate: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "installed": True,
        "running": running,
        "answering": running,
        "cluster_status": status if running else "",
        "cluster_size": size if running else 0,
        "grastate": grastate,
    }


def data(seqno: int, safe: bool = False, uuid: str = UUID) -> dict[str, Any]:
    return {"uuid": uuid, "seqno": seqno, "safe_to_bootstrap": safe}


def steps(plan: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(s["host"], s["action"], s["size"]) for s in plan["steps"]]


def test_a_new_cluster_is_bootstrapped_on_the_first_member_and_the_others_join_one_by_one() -> None:
    plan = plan_cluster(MEMBERS, dict.fromkeys(MEMBERS, node(running=False)))
    assert plan["error"] == ""
    assert steps(plan) == [("ctl1", "bootstrap", 1), ("ctl2", "start", 2), ("ctl3", "start", 3)]
    assert plan["account"] == "ctl1" and not plan["steps"][0]["force"]


def test_a_converged_cluster_has_nothing_to_do() -> None:
    plan = plan_cluster(MEMBERS, dict.fromkeys(MEMBERS, node()))
    assert plan["steps"] == [] and plan["error"] == "" and plan["account"] == "ctl1"


def test_a_pristine_member_joins_the_survivors_and_never_bootstraps() -> None:
    observed = {"ctl1": node(size=2), "ctl2": node(size=2), "ctl3": node(running=False)}
    assert steps(plan_cluster(MEMBERS, observed)) == [("ctl3", "start", 3)]
    # the survivors may still count the dead member (not evicted yet): the expected size is what is seen
    observed = {"ctl1": node(size=3), "ctl2": node(size=3), "ctl3": node(running=False)}
    assert steps(plan_cluster(MEMBERS, observed)) == [("ctl3", "start", 3)]


def test_configuration_changes_restart_one_member_at_a_time_after_the_joins() -> None:
    observed = {"ctl1": node(size=2), "ctl2": node(running=False, grastate=data(40)), "ctl3": node(size=2)}
    plan = plan_cluster(MEMBERS, observed, restart=["ctl3", "ctl1", "ctl2"])
    assert steps(plan) == [("ctl2", "start", 3), ("ctl1", "restart", 3), ("ctl3", "restart", 3)]


def test_members_outside_the_play_are_left_alone() -> None:
    observed = {"ctl1": node(size=1), "ctl2": node(running=False), "ctl3": node(running=False)}
    assert steps(plan_cluster(MEMBERS, observed, in_play=["ctl1", "ctl3"])) == [("ctl3", "start", 2)]


def test_every_member_down_bootstraps_from_the_one_that_left_last() -> None:
    observed = {
        "ctl1": node(running=False, grastate=data(40)),
        "ctl2": node(running=False, grastate=data(42, safe=True)),
        "ctl3": node(running=False, grastate=data(41)),
    }
    plan = plan_cluster(MEMBERS, observed)
    assert steps(plan) == [("ctl2", "bootstrap", 1), ("ctl1", "start", 2), ("ctl3", "start", 3)]
    assert not plan["steps"][0]["force"]


def test_the_member_that_left_last_needs_no_recovery_of_the_others() -> None:
    observed = {
        "ctl1": node(running=False, grastate=data(-1)),  # crashed earlier; the cluster went on without it
        "ctl2": node(running=False, grastate=data(42, safe=True)),
        "ctl3": node(running=False, grastate=data(41)),
    }
    plan = plan_cluster(MEMBERS, observed)
    assert plan["recover"] == [] and steps(plan)[0] == ("ctl2", "bootstrap", 1)


def test_a_pristine_member_is_never_chosen_when_another_holds_data() -> None:
    observed = {
        "ctl1": node(running=False, grastate=None),  # re-created host: no data at all
        "ctl2": node(running=False, grastate=data(7, safe=True)),
        "ctl3": node(running=False, grastate={"uuid": ZERO_UUID, "seqno": -1, "safe_to_bootstrap": False}),
    }
    assert steps(plan_cluster(MEMBERS, observed))[0] == ("ctl2", "bootstrap", 1)


def test_after_a_crash_of_every_member_positions_are_recovered_then_the_most_advanced_bootstraps() -> None:
    observed = {m: node(running=False, grastate=data(-1)) for m in MEMBERS}
    first = plan_cluster(MEMBERS, observed)
    assert first["recover"] == MEMBERS and first["steps"] == [] and first["error"] == ""
    plan = plan_cluster(MEMBERS, observed, recovered={"ctl1": 40, "ctl2": 40, "ctl3": 43})
    assert steps(plan) == [("ctl3", "bootstrap", 1), ("ctl1", "start", 2), ("ctl2", "start", 3)]
    assert plan["steps"][0]["force"], "safe_to_bootstrap must be set on the chosen member"
    # check mode recovers nothing: still no plan
    assert plan_cluster(MEMBERS, observed, recovered=dict.fromkeys(MEMBERS))["recover"] == MEMBERS


def test_clean_seqnos_without_a_single_safe_member_pick_the_highest() -> None:
    observed = {
        "ctl1": node(running=False, grastate=data(40)),
        "ctl2": node(running=False, grastate=data(44)),
        "ctl3": node(running=False, grastate=data(44)),
    }
    plan = plan_cluster(MEMBERS, observed)
    assert steps(plan)[0] == ("ctl2", "bootstrap", 1) and plan["steps"][0]["force"]


@pytest.mark.parametrize(
    ("observed", "message"),
    [
        ({"ctl1": None, "ctl2": node(running=False), "ctl3": node(running=False)}, "ctl1 could not be read"),
        (
            {"ctl1": node(status="non-Primary", size=1), "ctl2": node(running=False), "ctl3": None},
            "could not be read",
        ),
        (
            {m: node(status="non-Primary", size=1) for m in MEMBERS},
            "ctl1, ctl2, ctl3 running but in no Primary component",
        ),
        (
            {
                "ctl1": node(running=False, grastate=data(3)),
                "ctl2": node(running=False, grastate=data(5, uuid="11111111-2222-3333-4444-555555555555")),
                "ctl3": node(running=False),
            },
            "different clusters",
        ),
    ],
)
def test_where_a_bootstrap_could_fork_the_cluster_nothing_is_done(
    observed: dict[str, Any], message: str
) -> None:
    plan = plan_cluster(MEMBERS, observed)
    assert message in plan["error"] and plan["steps"] == []


def test_the_bootstrap_member_must_be_in_the_play() -> None:
    observed = dict.fromkeys(MEMBERS, node(running=False))
    plan = plan_cluster(MEMBERS, observed, in_play=["ctl2", "ctl3"])
    assert "bootstrapped on ctl1" in plan["error"] and plan["steps"] == []


def test_the_filter_reads_a_looped_task_result_and_counts_unreachable_members_as_unread() -> None:
    results = [
        {"item": "ctl1", "changed": False, **node(running=False)},
        {"item": "ctl2", "unreachable": True, "msg": "ssh: connect to host"},
        {"item": "ctl3", "changed": False, **node(running=False)},
    ]
    plan = galera_plan(results, MEMBERS)
    assert "ctl2 could not be read" in plan["error"]
    results[1] = {"item": "ctl2", "changed": False, **node(size=1)}
    plan = galera_plan(results, MEMBERS, MEMBERS, {"ctl1": False, "ctl2": True, "ctl3": False})
    assert steps(plan) == [("ctl1", "start", 2), ("ctl3", "start", 3), ("ctl2", "restart", 3)]
