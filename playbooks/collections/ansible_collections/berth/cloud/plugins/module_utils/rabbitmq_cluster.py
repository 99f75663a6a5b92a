"""A RabbitMQ cluster's state and what a node does to join it, pure: no I/O, no Ansible.

`rabbitmqctl cluster_status --formatter json` (RabbitMQ 3.10, Debian bookworm's) is parsed into a
NodeStatus; a failed call is told apart by its exit code and message (the node is down, or only its
`rabbit` application is stopped). From every member's status, `join_steps` says what one node must do:
nothing, or forget its stale identity on the cluster, then stop_app / join_cluster / start_app. The
modules rabbitmq_cluster_status and rabbitmq_cluster_join run rabbitmqctl and call these; the unit tests
(tests/unit/test_rabbitmq_cluster.py) call them directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

RUNNING = "running"  # the Erlang VM and its `rabbit` application run: cluster_status answers
APP_STOPPED = "app_stopped"  # the VM runs, `rabbitmqctl stop_app` stopped the broker inside it
DOWN = "down"  # no node answers at that name (stopped, or its host gone)
ABSENT = "absent"  # rabbitmqctl is not installed here
ERROR = "error"  # anything else: the message says what

# rabbitmqctl's exit codes (sysexits): 64 usage (also "requires the 'rabbit' app to be running"),
# 69 unavailable (nodedown), 75 temporary failure (a timeout reaching the node).
_APP_STOPPED_TEXT = "requires the 'rabbit' app to be running"


@dataclass(frozen=True)
class NodeStatus:
    """One node's view of its cluster, as `cluster_status` reports it (empty unless state is running)."""

    node: str
    state: str
    members: tuple[str, ...] = ()  # disc and RAM nodes: every node the cluster's schema lists
    running: tuple[str, ...] = ()  # the members whose broker runs and is clustered with this node
    partitions: dict[str, list[str]] = field(default_factory=dict)  # node -> nodes it is cut off from
    alarms: tuple[str, ...] = ()
    cluster_name: str = ""
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "state": self.state,
            "members": list(self.members),
            "running_nodes": list(self.running),
            "partitions": {k: list(v) for k, v in self.partitions.items()},
            "alarms": list(self.alarms),
            "cluster_name": self.cluster_name,
            "error": self.error,
        }


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(dict.fromkeys(str(v) for v in value))


def parse_cluster_status(node: str, text: str) -> NodeStatus:
    """NodeStatus of `node` from the JSON `rabbitmqctl -q cluster_status --formatter json` printed.

    Raises ValueError when the text is not that document."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"cluster_status of {node} is not JSON: {exc}") from None
    if not isinstance(doc, dict) or "running_nodes" not in doc:
        raise ValueError(f"cluster_status of {node} has no running_nodes: {text[:200]!r}")
    partitions_doc = doc.get("partitions") or {}
    if isinstance(partitions_doc, list):  # older CLIs printed [[node, [nodes]], ...]
        partitions_doc = {str(p[0]): p[1] for p in partitions_doc if isinstance(p, list) and len(p) == 2}
    partitions = {str(k): list(_names(v)) for k, v in partitions_doc.items() if _names(v)}
    alarms = tuple(
        a if isinstance(a, str) else json.dumps(a, sort_keys=True) for a in (doc.get("alarms") or [])
    )
    return NodeStatus(
        node=node,
        state=RUNNING,
        members=tuple(dict.fromkeys(_names(doc.get("disk_nodes")) + _names(doc.get("ram_nodes")))),
        running=_names(doc.get("running_nodes")),
        partitions=partitions,
        alarms=alarms,
        cluster_name=str(doc.get("cluster_name") or ""),
    )


def failed_status(node: str, rc: int, output: str) -> NodeStatus:
    """NodeStatus of a node whose `cluster_status` exited `rc` (not 0) printing `output`."""
    text = output.strip()
    if _APP_STOPPED_TEXT in text:
        state = APP_STOPPED
    elif rc in (69, 75) or "nodedown" in text or "not running at all" in text:
        state = DOWN
    else:
        state = ERROR
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return NodeStatus(node=node, state=state, error=first[:300])


def missing(status: NodeStatus, expected: list[str] | tuple[str, ...]) -> dict[str, list[str]]:
    """What keeps `status` from being the cluster of `expected`: members not listed, members listed but
    not running, nodes listed that are not expected, and the partitions seen."""
    if status.state != RUNNING:
        return {
            "not_members": list(expected),
            "not_running": list(expected),
            "unexpected": [],
            "partitioned": [],
        }
    return {
        "not_members": [n for n in expected if n not in status.members],
        "not_running": [n for n in expected if n not in status.running],
        "unexpected": [n for n in status.members if n not in expected],
        "partitioned": sorted(status.partitions),
    }


def complete(status: NodeStatus, expected: list[str] | tuple[str, ...]) -> bool:
    """Every expected node is a member and runs, seen from `status`, with no partition. Nodes listed
    beyond `expected` do not count against it: removing a member is not a deploy's job."""
    gaps = missing(status, expected)
    return status.state == RUNNING and not (gaps["not_members"] or gaps["not_running"] or gaps["partitioned"])


def choose_seed(order: list[str] | tuple[str, ...], statuses: dict[str, NodeStatus]) -> str | None:
    """The member a node that is not clustered joins: of the running members, the one whose cluster
    runs the most members (a surviving cluster beats a fresh node, wherever that node stands in the
    order); on a tie (a pristine site: every node alone), the first in `order`. None if none runs."""
    best: tuple[int, int] | None = None
    seed = None
    for index, node in enumerate(order):
        status = statuses.get(node)
        if status is None or status.state != RUNNING:
            continue
        score = (-len([n for n in status.running if n in order]), index)
        if best is None or score < best:
            best, seed = score, node
    return seed


def join_steps(
    node: str, order: list[str] | tuple[str, ...], statuses: dict[str, NodeStatus]
) -> list[list[str]]:
    """The rabbitmqctl steps that make running `node` a member of the seed's cluster, or [] when it
    already is one (or is the seed, or no other member runs).

    Each step is [command, *args]; "grow" is `rabbitmq-queues grow NODE all`; "forget_cluster_node" runs on the seed (its first argument): a node
    re-created pristine under the old name is still listed, stopped, by the survivors, and join_cluster
    from a node the cluster already lists answers `already_member` without joining, so the old identity
    is forgotten first. join_cluster resets the joining node itself (it holds nothing of the cluster's).
    """
    local = statuses.get(node)
    if local is None or local.state != RUNNING:
        raise ValueError(f"{node} is not running ({local.state if local else 'unknown'}): it cannot join")
    seed = choose_seed(order, statuses)
    if seed is None or seed == node or seed in local.members:
        return []
    steps: list[list[str]] = []
    if node in statuses[seed].members:
        steps.append(["forget_cluster_node", seed, node])
    # then a replica of every quorum queue on it: forget_cluster_node removed the old identity's
    steps += [["stop_app"], ["join_cluster", seed], ["start_app"], ["grow", node]]
    return steps
