"""Executors for a tenant's Neutron resources: network, subnet, router, router interface, security
group and rule. Neutron takes no tags in a create body, so berth's tags are set right after each
create; observe adopts an untagged leftover of an interrupted run by name and project."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

from berth_cloud.context import ApplyContext, add_tags, missing_tags, set_new_tags
from berth_cloud.http import NO_RETRY, ApiError
from berth_core.diff import Change

EXISTING_RULE = re.compile(r"Rule id is ([0-9a-fA-F-]{36})")
EGRESS_DEFAULT_FIELDS = (
    "protocol",
    "port_range_min",
    "port_range_max",
    "remote_ip_prefix",
    "remote_group_id",
)


def _create(
    ctx: ApplyContext, change: Change, collection: str, singular: str, body: dict[str, Any]
) -> dict[str, Any]:
    after = change.after or {}
    created = ctx.call(
        ctx.conn.network, "POST", f"/{collection}", json={singular: body}, what=change.key, idempotent=False
    )
    doc = dict(created[singular])
    set_new_tags(ctx, ctx.conn.network, collection, doc["id"], tags=after.get("tags"), what=change.key)
    return doc


def _update(
    ctx: ApplyContext, change: Change, collection: str, singular: str, ref: str, *, body: dict[str, Any]
) -> None:
    after = change.after or {}
    untagged_only = set(change.changed) <= {"tags"}
    if not untagged_only:
        ctx.call(ctx.conn.network, "PUT", f"/{collection}/{ref}", json={singular: body}, what=change.key)
    add_tags(ctx, ctx.conn.network, collection, ref, tags=missing_tags(change.before, after), what=change.key)


def _delete(ctx: ApplyContext, change: Change, collection: str, ref: str) -> None:
    ctx.call(ctx.conn.network, "DELETE", f"/{collection}/{ref}", ok=(204, 404), what=change.key)


# networks ------------------------------------------------------------------------------------------


def network_create(ctx: ApplyContext, change: Change) -> str:
    after = change.after or {}
    body = {
        "name": after["name"],
        "description": after.get("description") or "",
        "project_id": ctx.ref(str(after["project"])),
    }
    return str(_create(ctx, change, "networks", "network", body)["id"])


def network_update(ctx: ApplyContext, change: Change, ref: str) -> None:
    after = change.after or {}
    _update(
        ctx,
        change,
        "networks",
        "network",
        ref,
        body={"name": after["name"], "description": after.get("description") or ""},
    )


def network_delete(ctx: ApplyContext, change: Change, ref: str) -> None:
    _delete(ctx, change, "networks", ref)


# subnets -------------------------------------------------------------------------------------------


def _subnet_mutable(after: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": after["name"],
        "gateway_ip": after.get("gatewayIp"),
        "enable_dhcp": bool(after.get("enableDhcp", True)),
        "allocation_pools": list(after.get("allocationPools") or []),
        "dns_nameservers": list(after.get("dnsNameservers") or []),
    }


def subnet_create(ctx: ApplyContext, change: Change) -> str:
    after = change.after or {}
    body = {
        **_subnet_mutable(after),
        "network_id": ctx.ref(str(after["network"])),
        "project_id": ctx.ref(str(after["project"])),
        "ip_version": after.get("ipVersion", 4),
        "cidr": after["cidr"],
    }
    pool = after.get("subnetPool")
    if pool:
        # the CIDR berth allocated, carved from the pool: Neutron refuses an overlap with any other tenant
        body["subnetpool_id"] = ctx.resolver.subnet_pool(str(pool))
    return str(_create(ctx, change, "subnets", "subnet", body)["id"])


def subnet_update(ctx: ApplyContext, change: Change, ref: str) -> None:
    _update(ctx, change, "subnets", "subnet", ref, body=_subnet_mutable(change.after or {}))


def subnet_delete(ctx: ApplyContext, change: Change, ref: str) -> None:
    # a subnet being replaced may still carry its router interface: detach it first (re-attached by
    # the router-interface change, which the engine turns into a replace as well)
    _, slug, net = change.key.split("/", 2)
    interface = ctx.observed.resources.get(f"router-interface/{slug}/{net}")
    if interface is not None and interface.ref:
        router_id, subnet_id = interface.ref.split(":")
        _remove_interface(ctx, change.key, router_id, subnet_id)
    _delete(ctx, change, "subnets", ref)


# routers -------------------------------------------------------------------------------------------


def _gateway(ctx: ApplyContext, after: Mapping[str, Any]) -> dict[str, Any]:
    external = after.get("externalNetwork")
    if not external:
        return {}
    return {
        "network_id": ctx.resolver.external_network(str(external)),
        "enable_snat": bool(after.get("enableSnat", True)),
    }


def router_create(ctx: ApplyContext, change: Change) -> str:
    after = change.after or {}
    body: dict[str, Any] = {"name": after["name"], "project_id": ctx.ref(str(after["project"]))}
    gateway = _gateway(ctx, after)
    if gateway:
        body["external_gateway_info"] = gateway
    return str(_create(ctx, change, "routers", "router", body)["id"])


def router_update(ctx: ApplyContext, change: Change, ref: str) -> None:
    after = change.after or {}
    _update(
        ctx,
        change,
        "routers",
        "router",
        ref,
        body={"name": after["name"], "external_gateway_info": _gateway(ctx, after)},
    )


def router_delete(ctx: ApplyContext, change: Change, ref: str) -> None:
    _delete(ctx, change, "routers", ref)


def _remove_interface(ctx: ApplyContext, what: str, router_id: str, subnet_id: str) -> None:
    ctx.call(
        ctx.conn.network,
        "PUT",
        f"/routers/{router_id}/remove_router_interface",
        json={"subnet_id": subnet_id},
        ok=(200, 404),
        what=what,
    )


def interface_create(ctx: ApplyContext, change: Change) -> str:
    after = change.after or {}
    router_id, subnet_id = ctx.ref(str(after["router"])), ctx.ref(str(after["subnet"]))
    try:
        ctx.call(
            ctx.conn.network,
            "PUT",
            f"/routers/{router_id}/add_router_interface",
            json={"subnet_id": subnet_id},
            what=change.key,
        )
    except ApiError as error:
        # an interrupted run's request that neutron finished after the observation: already done
        if error.status != 400 or "already has a port on subnet" not in error.message:
            raise
    return f"{router_id}:{subnet_id}"


def interface_delete(ctx: ApplyContext, change: Change, ref: str) -> None:
    router_id, subnet_id = ref.split(":")
    _remove_interface(ctx, change.key, router_id, subnet_id)


# security groups -----------------------------------------------------------------------------------


def secgroup_create(ctx: ApplyContext, change: Change) -> str:
    after = change.after or {}
    body = {
        "name": after["name"],
        "description": after.get("description") or "",
        "project_id": ctx.ref(str(after["project"])),
    }
    doc = _create(ctx, change, "security-groups", "security_group", body)
    defaults = [
        r["id"]
        for r in doc.get("security_group_rules") or ()
        if r.get("direction") == "egress" and all(r.get(f) is None for f in EGRESS_DEFAULT_FIELDS)
    ]
    with ctx.lock:
        ctx.default_egress[change.key] = defaults
    return str(doc["id"])


def secgroup_update(ctx: ApplyContext, change: Change, ref: str) -> None:
    after = change.after or {}
    _update(
        ctx,
        change,
        "security-groups",
        "security_group",
        ref,
        body={"name": after["name"], "description": after.get("description") or ""},
    )


def secgroup_delete(ctx: ApplyContext, change: Change, ref: str) -> None:
    _delete(ctx, change, "security-groups", ref)


def _clear_default_egress(ctx: ApplyContext, sg_key: str) -> None:
    """A group whose manifest states egress rules gets exactly those: Neutron's allow-all pair goes."""
    with ctx.lock:
        done = ctx.egress_cleared.get(sg_key)
        first = done is None
        if done is None:
            done = ctx.egress_cleared[sg_key] = threading.Event()
        ids = list(ctx.default_egress.get(sg_key, ()))
    if not first:
        done.wait()  # another rule of this group is removing the pair: create after it is gone
        return
    for res in ctx.observed.resources.values():
        attrs = res.attrs
        if (
            res.kind == "secgroup-rule"
            and attrs.get("secgroup") == sg_key
            and attrs.get("direction") == "egress"
            and all(
                attrs.get(k) is None
                for k in ("protocol", "portRangeMin", "portRangeMax", "remoteIpPrefix", "remoteGroup")
            )
            and res.key not in ctx.desired.resources
            and res.ref
        ):
            ids.append(res.ref)
    try:
        _delete_rules(ctx, sg_key, ids)
    finally:
        done.set()


def _delete_rules(ctx: ApplyContext, sg_key: str, ids: list[str]) -> None:
    for rule_id in ids:
        ctx.call(
            ctx.conn.network,
            "DELETE",
            f"/security-group-rules/{rule_id}",
            ok=(204, 404),
            what=f"{sg_key} (default egress)",
        )


def rule_create(ctx: ApplyContext, change: Change) -> str:
    after = change.after or {}
    sg_key = str(after["secgroup"])
    if after.get("direction") == "egress":
        _clear_default_egress(ctx, sg_key)
    remote_group = after.get("remoteGroup")
    body = {
        "security_group_id": ctx.ref(sg_key),
        "project_id": ctx.ref(str(after["project"])),
        "direction": after["direction"],
        "ethertype": after.get("ethertype", "IPv4"),
        "protocol": after.get("protocol"),
        "port_range_min": after.get("portRangeMin"),
        "port_range_max": after.get("portRangeMax"),
        "remote_ip_prefix": after.get("remoteIpPrefix"),
        "remote_group_id": ctx.ref(str(remote_group)) if remote_group else None,
        "description": after.get("description") or "",
    }
    try:
        created = ctx.call(
            ctx.conn.network,
            "POST",
            "/security-group-rules",
            json={"security_group_rule": body},
            what=change.key,
            idempotent=False,
            retry=NO_RETRY,
        )
    except ApiError as error:
        # the same rule exists (an interrupted run's request finished after the observation): adopt it
        existing = EXISTING_RULE.search(error.message) if error.status == 409 else None
        if existing is None:
            raise
        return existing.group(1)
    return str(created["security_group_rule"]["id"])


def rule_delete(ctx: ApplyContext, change: Change, ref: str) -> None:
    _delete(ctx, change, "security-group-rules", ref)
