"""Ceph logic with no I/O, for the modules berth.cloud.ceph_auth and berth.cloud.ceph_pool (tested on its
own in tests/unit/test_ceph_logic.py): keyrings, what `ceph auth get` and `ceph osd pool ls detail`
say, and the commands that bring a pool to what the site declares."""

from __future__ import annotations

import json
from typing import Any

# Replicated pools of size 1 (a one-OSD devcloud) need this flag on `ceph osd pool set ... size 1`.
SIZE_ONE_FLAG = "--yes-i-really-mean-it"


def keyring_text(entity: str, key: str, caps: dict[str, str]) -> str:
    """A keyring file holding one entity, as `ceph auth import` and every Ceph client read it."""
    lines = [f"[{entity}]", f"\tkey = {key}"]
    lines += [f'\tcaps {service} = "{caps[service]}"' for service in sorted(caps)]
    return "\n".join(lines) + "\n"


def parse_auth_entry(text: str, entity: str) -> dict[str, Any] | None:
    """`ceph auth get ENTITY -f json` output: the entity's key and caps, None when it names another."""
    try:
        entries = json.loads(text or "[]")
    except ValueError:
        return None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("entity") == entity:
            return {"key": str(entry.get("key", "")), "caps": dict(entry.get("caps") or {})}
    return None


def auth_differs(current: dict[str, Any] | None, key: str, caps: dict[str, str]) -> bool:
    return current is None or current["key"] != key or current["caps"] != caps


def find_pool(text: str, name: str) -> dict[str, Any] | None:
    """One pool of `ceph osd pool ls detail -f json`, None when the cluster has no pool of that name."""
    try:
        pools = json.loads(text or "[]")
    except ValueError:
        return None
    return next((p for p in pools if isinstance(p, dict) and p.get("pool_name") == name), None)


def pool_commands(
    current: dict[str, Any] | None, name: str, *, pg_num: int, size: int, min_size: int, application: str
) -> list[list[str]]:
    """The `ceph` argv lists (without the `ceph` and connection flags) that bring pool `name` to the
    declared replication and application. pg_num is set at creation only: the autoscaler owns it after.
    An RBD pool's application is left to `rbd pool init` (needs_rbd_init), which also enables it."""
    commands: list[list[str]] = []
    if current is None:
        commands.append(["osd", "pool", "create", name, str(pg_num), str(pg_num), "replicated"])
        current = {}
    if current.get("size") != size:
        commands.append(
            ["osd", "pool", "set", name, "size", str(size), *([SIZE_ONE_FLAG] if size == 1 else [])]
        )
    if current.get("min_size") != min_size:
        commands.append(["osd", "pool", "set", name, "min_size", str(min_size)])
    if application != "rbd" and application not in (current.get("application_metadata") or {}):
        commands.append(["osd", "pool", "application", "enable", name, application])
    return commands


def needs_rbd_init(current: dict[str, Any] | None, application: str) -> bool:
    """Whether an RBD pool still needs `rbd pool init` (a new pool, or one a failed run left uninitialised)."""
    return application == "rbd" and "rbd" not in ((current or {}).get("application_metadata") or {})
