"""How a deploy brings a Galera cluster up: a thin shim over module_utils/galera.py's plan_cluster."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.berth.cloud.plugins.module_utils.galera import plan_cluster


def galera_plan(
    results: list[dict[str, Any]],
    members: list[str],
    in_play: list[str] | None = None,
    restart: list[str] | dict[str, Any] | None = None,
    recovered: dict[str, int] | None = None,
) -> dict[str, Any]:
    """`results`: the `.results` of a galera_status task looped over the members (item = member);
    an item that failed or was unreachable counts as unread. `restart`: members, or a mapping of members
    to whether they must restart."""
    if isinstance(restart, dict):
        restart = [host for host, wanted in restart.items() if wanted]
    observed: dict[str, dict[str, Any] | None] = dict.fromkeys(members)
    for result in results:
        host = result.get("item")
        if host not in observed:
            raise AnsibleFilterError(f"galera_plan: {host!r} is not one of the members {members}")
        if result.get("failed") or result.get("unreachable") or "running" not in result:
            continue
        observed[host] = result
    return plan_cluster(members, observed, in_play, restart, recovered)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"galera_plan": galera_plan}
