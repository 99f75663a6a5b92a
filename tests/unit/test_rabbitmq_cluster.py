"""The RabbitMQ cluster logic of berth.cloud (module_utils/rabbitmq_cluster.py): what `rabbitmqctl
cluster_status` says and what a node does to join. Pure functions over outputs recorded from RabbitMQ
3.10.8 (Debian bookworm's) on a lab cluster of three: tests/fixtures/rabbitmq/."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "playbooks" / "collections"))

from ansible_collections.berth.cloud.plugins.module_utils.rabbitmq_cluster import (
    APP_STOPPED,
    DOWN,
    ERROR,
    RUNNING,
    NodeStatus,
    choose_seed,
    complete,
    failed_status,
    join_steps,
    missing,
    parse_cluster_status,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rabbitmq"
NODES = ["rabbit@rmq1", "rabbit@rmq2", "rabbit@rmq3"]


def recorded(name: str) -> str:
    return (FIXTURES / name).read_text()


def alone(node: str) -> NodeStatus:
    """A pristine node: a cluster of itself."""
    return NodeStatus(node=node, state=RUNNING, members=(node,), running=(node,), cluster_name=node)


def test_three_running_members_make_a_complete_cluster() -> None:
    status = parse_cluster_status("rabbit@rmq1", recorded("cluster_status_three_running.json"))
    assert status.state == RUNNING
    assert status.members == tuple(NODES)
    assert sorted(status.running) == NODES
    assert status.partitions == {} and status.alarms == ()
    assert status.cluster_name == "rabbit@rmq1"
    assert complete(status, NODES)
    assert missing(status, NODES) == {
        "not_members": [],
        "not_running": [],
        "unexpected": [],
        "partitioned": [],
    }


def test_a_stopped_member_is_listed_but_not_running() -> None:
    status = parse_cluster_status("rabbit@rmq1", recorded("cluster_status_one_stopped.json"))
    assert status.members == tuple(NODES)
    assert sorted(status.running) == ["rabbit@rmq1", "rabbit@rmq3"]
    assert not complete(status, NODES)
    assert missing(status, NODES)["not_running"] == ["rabbit@rmq2"]
    assert missing(status, NODES)["not_members"] == []
    # the two that run are a complete cluster of two: what is expected decides
    assert complete(status, ["rabbit@rmq1", "rabbit@rmq3"])


def test_a_node_that_is_not_running_at_all_is_down_with_the_first_line_of_the_message() -> None:
    status = failed_status("rabbit@rmq2", 69, recorded("cluster_status_down.txt"))
    assert status.state == DOWN
    assert status.error.startswith("Error: unable to perform an operation on node 'rabbit@rmq2'")
    assert not complete(status, NODES)
    assert missing(status, NODES)["not_running"] == NODES


def test_the_message_alone_says_down_whatever_the_exit_code() -> None:
    assert failed_status("rabbit@rmq2", 2, recorded("cluster_status_down.txt")).state == DOWN


def test_a_stopped_broker_in_a_running_vm_and_other_failures() -> None:
    text = "Error:\nthis command requires the 'rabbit' app to be running on the target node. Start it with 'rabbitmqctl start_app'."
    assert failed_status("rabbit@rmq1", 64, text).state == APP_STOPPED
    other = failed_status("rabbit@rmq1", 70, "\n\nError: {badrpc, something}\nmore\n")
    assert other.state == ERROR and other.error == "Error: {badrpc, something}"


@pytest.mark.parametrize("text", ["not json", "[]", '{"disk_nodes": []}'])
def test_text_that_is_not_a_cluster_status_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="rabbit@rmq1"):
        parse_cluster_status("rabbit@rmq1", text)


def test_partitions_in_either_shape_are_read_and_make_the_cluster_incomplete() -> None:
    doc = recorded("cluster_status_three_running.json")
    new = doc.replace('"partitions":{}', '"partitions":{"rabbit@rmq2":["rabbit@rmq3"]}')
    old = doc.replace('"partitions":{}', '"partitions":[["rabbit@rmq2",["rabbit@rmq3"]]]')
    assert new != doc and old != doc
    for text in (new, old):
        status = parse_cluster_status("rabbit@rmq1", text)
        assert status.partitions == {"rabbit@rmq2": ["rabbit@rmq3"]}
        assert not complete(status, NODES)
        assert missing(status, NODES)["partitioned"] == ["rabbit@rmq2"]


def test_a_member_beyond_the_expected_ones_is_reported_but_does_not_count_against_the_cluster() -> None:
    status = parse_cluster_status("rabbit@rmq1", recorded("cluster_status_three_running.json"))
    two = ["rabbit@rmq1", "rabbit@rmq2"]
    assert missing(status, two)["unexpected"] == ["rabbit@rmq3"]
    assert complete(status, two)


def test_on_a_pristine_site_every_node_joins_the_first() -> None:
    statuses = {n: alone(n) for n in NODES}
    assert choose_seed(NODES, statuses) == "rabbit@rmq1"
    assert join_steps("rabbit@rmq1", NODES, statuses) == []
    assert join_steps("rabbit@rmq2", NODES, statuses) == [
        ["stop_app"],
        ["join_cluster", "rabbit@rmq1"],
        ["start_app"],
        ["grow", "rabbit@rmq2"],
    ]


def test_a_surviving_cluster_is_joined_wherever_the_fresh_node_stands_in_the_order() -> None:
    survivors = parse_cluster_status("rabbit@rmq3", recorded("cluster_status_one_stopped.json"))
    statuses = {
        "rabbit@rmq1": alone("rabbit@rmq1"),  # re-created pristine: first in the order, alone
        "rabbit@rmq3": survivors,
    }
    assert choose_seed(NODES, statuses) == "rabbit@rmq3"
    # the survivors still list rmq1's old identity: it is forgotten on the seed before the join
    assert join_steps("rabbit@rmq1", NODES, statuses) == [
        ["forget_cluster_node", "rabbit@rmq3", "rabbit@rmq1"],
        ["stop_app"],
        ["join_cluster", "rabbit@rmq3"],
        ["start_app"],
        ["grow", "rabbit@rmq1"],
    ]


def test_a_node_already_in_the_seeds_cluster_does_nothing() -> None:
    status = parse_cluster_status("rabbit@rmq1", recorded("cluster_status_three_running.json"))
    statuses = {n: NodeStatus(**{**status.__dict__, "node": n}) for n in NODES}
    assert all(join_steps(n, NODES, statuses) == [] for n in NODES)


def test_no_running_seed_and_a_node_that_does_not_run() -> None:
    down = {n: NodeStatus(node=n, state=DOWN) for n in NODES}
    assert choose_seed(NODES, down) is None
    with pytest.raises(ValueError, match="rabbit@rmq2 is not running"):
        join_steps("rabbit@rmq2", NODES, down)
    statuses = {**down, "rabbit@rmq2": alone("rabbit@rmq2")}
    assert join_steps("rabbit@rmq2", NODES, statuses) == []  # it is the only seed: nothing to join
