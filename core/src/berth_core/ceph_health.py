"""A Ceph cluster as `berth cloud status` shows it (pure: what `ceph status` and `ceph df` print as JSON
in, one berth_core.clusters.Cluster out): a row per pool in bytes, and what is wrong in words.

Healthy means HEALTH_OK, every monitor in the quorum, every OSD up and in, and every placement group
active+clean. Ceph's own health checks are named as Ceph names them (POOL_NO_REDUNDANCY, OSD_DOWN, ...),
so an operator can look each one up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from berth_core.clusters import Cluster

CEPH = "ceph"
CLEAN = "active+clean"


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def pool_rows(df: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per pool of `ceph df`: stored and used bytes, what is left to write, objects."""
    rows = []
    for pool in df.get("pools") or []:
        stats = pool.get("stats") or {}
        rows.append(
            {
                "pool": str(pool.get("name", "?")),
                "stored_bytes": _int(stats.get("stored")),
                "used_bytes": _int(stats.get("bytes_used")),
                "max_avail_bytes": _int(stats.get("max_avail")),
                "objects": _int(stats.get("objects")),
            }
        )
    return sorted(rows, key=lambda r: r["pool"])


def ceph_problems(status: Mapping[str, Any]) -> list[str]:
    health = status.get("health") or {}
    problems = []
    overall = str(health.get("status", "unknown"))
    if overall != "HEALTH_OK":
        checks = health.get("checks") or {}
        named = [
            f"{name}: {(check.get('summary') or {}).get('message', '')}".rstrip(": ")
            for name, check in sorted(checks.items())
        ]
        problems.append(f"{overall}" + (f" ({'; '.join(named)})" if named else ""))
    mons = _int((status.get("monmap") or {}).get("num_mons"))
    quorum = len(status.get("quorum_names") or [])
    if quorum < mons:
        problems.append(f"{quorum} of {mons} monitors in the quorum")
    osdmap = status.get("osdmap") or {}
    total, up, in_ = (_int(osdmap.get(k)) for k in ("num_osds", "num_up_osds", "num_in_osds"))
    if total == 0:
        problems.append("no OSD: the cluster stores nothing")
    elif up < total or in_ < total:
        problems.append(f"OSDs: {up} up and {in_} in of {total}")
    pgs = (status.get("pgmap") or {}).get("pgs_by_state") or []
    unclean = {str(p.get("state_name")): _int(p.get("count")) for p in pgs if p.get("state_name") != CLEAN}
    if unclean:
        problems.append(
            "placement groups not clean: " + ", ".join(f"{n} {s}" for s, n in sorted(unclean.items()))
        )
    return problems


def ceph_summary(status: Mapping[str, Any], df: Mapping[str, Any]) -> dict[str, Any]:
    osdmap = status.get("osdmap") or {}
    totals = df.get("stats") or {}
    return {
        "health": str((status.get("health") or {}).get("status", "unknown")),
        "monitors": _int((status.get("monmap") or {}).get("num_mons")),
        "quorum": sorted(str(n) for n in status.get("quorum_names") or []),
        "osds": _int(osdmap.get("num_osds")),
        "osds_up": _int(osdmap.get("num_up_osds")),
        "osds_in": _int(osdmap.get("num_in_osds")),
        "total_bytes": _int(totals.get("total_bytes")),
        "avail_bytes": _int(totals.get("total_avail_bytes")),
    }


def ceph_cluster(status: Mapping[str, Any], df: Mapping[str, Any]) -> Cluster:
    return Cluster(
        name=CEPH, rows=pool_rows(df), problems=ceph_problems(status), summary=ceph_summary(status, df)
    )


def ceph_unreachable(message: str) -> Cluster:
    return Cluster(name=CEPH, rows=[], problems=[f"not reachable: {message}"])
