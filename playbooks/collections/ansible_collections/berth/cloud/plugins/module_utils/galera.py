"""Galera cluster logic with no I/O: parse what a MariaDB node says about itself, and decide how a deploy
brings a cluster of members up (bootstrap, join, rolling restart). Shared by the modules
berth.cloud.galera_status and berth.cloud.galera_recover, the filter berth.cloud.galera_plan, and tested
on its own (tests/unit/test_galera_logic.py), so `berth cloud status` can reuse the same reading."""

from __future__ import annotations

import re
from typing import Any

# A cluster UUID of zeros is what a node reports before it ever joined a cluster.
ZERO_UUID = "00000000-0000-0000-0000-000000000000"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_RECOVERED = re.compile(r"WSREP: Recovered position:\s*([0-9a-f-]{36}):(-?\d+)")


def parse_status(text: str) -> dict[str, str]:
    """`mysql -N -B` output of SHOW GLOBAL STATUS / VARIABLES (name TAB value per line), names lowercased."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition("\t")
        if sep and name.strip():
            values[name.strip().lower()] = value.strip()
    return values


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def node_summary(values: dict[str, str], min_size: int = 1) -> dict[str, Any]:
    """What one node says: cluster size, local state, component, readiness; `synced` is the gate: Synced
    in a Primary component, ready for queries, in a cluster of at least `min_size` nodes."""
    state = values.get("wsrep_local_state_comment", "")
    status = values.get("wsrep_cluster_status", "")
    size = _int(values.get("wsrep_cluster_size"))
    ready = values.get("wsrep_ready", "").upper() == "ON"
    return {
        "wsrep_on": values.get("wsrep_on", "").upper() == "ON",
        "cluster_size": size,
        "local_state_comment": state,
        "cluster_status": status,
        "ready": ready,
        "connected": values.get("wsrep_connected", "").upper() == "ON",
        "cluster_state_uuid": values.get("wsrep_cluster_state_uuid", ""),
        "last_committed": _int(values.get("wsrep_last_committed"), -1),
        "synced": state == "Synced" and status == "Primary" and ready and size >= min_size,
    }


def parse_grastate(text: str) -> dict[str, Any]:
    """grastate.dat: the cluster UUID, the last committed seqno (-1: unknown, the node did not stop
    cleanly) and safe_to_bootstrap (1 only on the last node to leave a cluster cleanly)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    uuid = fields.get("uuid", ZERO_UUID).lower()
    if not _UUID.match(uuid):
        uuid = ZERO_UUID
    return {
        "uuid": uuid,
        "seqno": _int(fields.get("seqno"), -1),
        "safe_to_bootstrap": _int(fields.get("safe_to_bootstrap")) == 1,
    }


def parse_recovered_position(log: str) -> dict[str, Any] | None:
    """The position `mariadbd --wsrep-recover` writes to its error log (the last one wins), or None."""
    found = _RECOVERED.findall(log)
    if not found:
        return None
    uuid, seqno = found[-1]
    return {"uuid": uuid, "seqno": int(seqno)}


def has_data(node: dict[str, Any]) -> bool:
    """The node was part of a cluster once (it holds a cluster UUID): a pristine node has not."""
    grastate = node.get("grastate") or {}
    return bool(grastate) and grastate.get("uuid", ZERO_UUID) != ZERO_UUID


def plan_cluster(
    members: list[str],
    observed: dict[str, dict[str, Any] | None],
    in_play: list[str] | None = None,
    restart: list[str] | None = None,
    recovered: dict[str, int] | None = None,
) -> dict[str, Any]:
    """How a deploy brings the members up, one step at a time (each step gated on Synced).

    observed: each member's galera_status result (None when it could not be read). in_play: the members
    this deploy may act on. restart: the running members whose configuration changed. recovered: seqnos
    found by --wsrep-recover on members that did not stop cleanly.

    Returns steps [{host, action: bootstrap|start|restart, size, force}] (size: the cluster size to wait
    for once the step is done; force: set safe_to_bootstrap first), the member to create accounts on,
    the members whose position must be recovered first, a reason, and an error that stops the deploy."""
    play = set(members if in_play is None else in_play)
    result: dict[str, Any] = {"steps": [], "account": None, "recover": [], "error": "", "reason": ""}
    unknown = [m for m in members if observed.get(m) is None]
    nodes = {m: observed[m] or {} for m in members if m not in unknown}
    primary = [m for m, n in nodes.items() if n.get("answering") and n.get("cluster_status") == "Primary"]
    down = [m for m, n in nodes.items() if not n.get("running")]

    if primary:
        # the members seen in the component, not its wsrep_cluster_size: a member that just died stays in
        # the survivors' view until they evict it (evs.suspect_timeout)
        size = len(primary)
        result["account"] = primary[0]
        result["reason"] = f"{', '.join(primary)} in a Primary component: the others join it"
        for m in members:
            if m in down and m in play:
                size += 1
                result["steps"].append(_step(m, "start", size))
        for m in members:  # rolling restart, one member at a time, after every down member is back
            if m in primary and m in set(restart or []) and m in play:
                result["steps"].append(_step(m, "restart", size))
        return result

    running = [m for m in members if m not in down and m not in unknown]
    if unknown:
        result["error"] = (
            f"no member is in a Primary component and {', '.join(unknown)} could not be read: "
            "not bootstrapping a cluster that may be running elsewhere (docs/ha.md, Galera)"
        )
    elif running:
        result["error"] = (
            f"{', '.join(running)} running but in no Primary component: the cluster lost its quorum. "
            "Bootstrap it by hand from the most advanced node (docs/ha.md, Galera)"
        )
    else:
        _bootstrap(result, members, nodes, recovered or {})
    chosen = result["account"]
    if chosen is not None and chosen not in play:
        result["error"] = f"the cluster must be bootstrapped on {chosen}, which this deploy does not include"
    if result["error"] or chosen is None:
        result["steps"] = []
        return result
    size = 1
    for m in members:
        if m != chosen and m in play:
            size += 1
            result["steps"].append(_step(m, "start", size))
    return result


def _step(host: str, action: str, size: int, force: bool = False) -> dict[str, Any]:
    return {"host": host, "action": action, "size": size, "force": force}


def _bootstrap(
    result: dict[str, Any], members: list[str], nodes: dict[str, dict[str, Any]], recovered: dict[str, Any]
) -> None:
    """Every member is down: choose the member to bootstrap from (result's account and first step)."""
    with_data = [m for m in members if has_data(nodes[m])]
    if not with_data:
        chosen, force = members[0], False
        result["reason"] = f"no member holds data: a new cluster, bootstrapped on {chosen}"
    else:
        uuids = {nodes[m]["grastate"]["uuid"] for m in with_data}
        if len(uuids) > 1:
            result["error"] = f"members hold the data of different clusters ({', '.join(sorted(uuids))})"
            return
        safe = [m for m in with_data if nodes[m]["grastate"].get("safe_to_bootstrap")]
        known = {m: int(v) for m, v in recovered.items() if v is not None}

        def seqno(m: str) -> int:
            return known.get(m, _int(nodes[m]["grastate"].get("seqno"), -1))

        if len(safe) == 1:
            chosen, force = safe[0], False
            result["reason"] = f"every member is down; {chosen} left last (safe_to_bootstrap)"
        elif unknown_position := [m for m in with_data if seqno(m) < 0]:
            result["recover"] = unknown_position
            result["reason"] = (
                f"every member is down and {', '.join(unknown_position)} did not stop cleanly: "
                "recover their positions first"
            )
            return
        else:
            best = max(seqno(m) for m in with_data)
            chosen = next(m for m in with_data if seqno(m) == best)
            force = not nodes[chosen]["grastate"].get("safe_to_bootstrap")
            result["reason"] = f"every member is down; {chosen} is the most advanced (seqno {best})"
    result["account"] = chosen
    result["steps"] = [_step(chosen, "bootstrap", 1, force)]
