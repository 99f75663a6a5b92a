"""Network: usage from one list call per resource kind (only the project_id field), quotas of every
project in one call (`GET /v2.0/quotas` lists each project with set quotas; berth sets them all)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from berth_exporters.collectors import one, tenant_projects
from berth_exporters.connection import Reader
from berth_exporters.observations import NetworkObservation, Observation

# metric resource -> (list path, body key, quota key)
KINDS: dict[str, tuple[str, str, str]] = {
    "networks": ("/networks", "networks", "network"),
    "ports": ("/ports", "ports", "port"),
    "routers": ("/routers", "routers", "router"),
    "floating_ips": ("/floatingips", "floatingips", "floatingip"),
    "security_groups": ("/security-groups", "security_groups", "security_group"),
}


def _owner(item: dict[str, Any]) -> str:
    return str(item.get("project_id") or item.get("tenant_id") or "")


def observe(cloud: Reader, previous: Mapping[str, Observation | None]) -> NetworkObservation:
    usage: dict[str, dict[str, int]] = {}
    for resource, (path, key, _) in KINDS.items():
        for item in cloud.get("network", path, params={"fields": "project_id"})[key]:
            row = usage.setdefault(_owner(item), dict.fromkeys(KINDS, 0))
            row[resource] += one(item)
    subnets = [
        {"cidr": str(s["cidr"]), "project_id": _owner(s)}
        for s in cloud.get("network", "/subnets", params={"fields": ["cidr", "project_id"]})["subnets"]
    ]
    listed = {_owner(q): q for q in cloud.get("network", "/quotas")["quotas"]}
    tenants = tenant_projects(previous)
    missing = [p["id"] for p in tenants if p["id"] not in listed]
    defaults: dict[str, Any] = {}
    if missing:  # projects never given a quota hold neutron's defaults: one call covers them all
        defaults = cloud.get("network", f"/quotas/{missing[0]}/default")["quota"]
    quotas = {
        p["id"]: {
            resource: int(listed.get(p["id"], defaults)[qkey]) for resource, (_, _, qkey) in KINDS.items()
        }
        for p in tenants
    }
    return NetworkObservation(usage=usage, quotas=quotas, subnets=subnets, project_errors=0)
