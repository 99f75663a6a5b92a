"""Executors for the platform's resources: external network and subnet, subnet pools, flavors and
the default quota class (see berth_core.platform)."""

from __future__ import annotations

from typing import Any

from berth_cloud.context import ApplyContext
from berth_cloud.executors_network import _create, _delete, _update
from berth_cloud.http import NOVA_QUOTA_MICROVERSION
from berth_core.diff import Change
from berth_core.errors import OpenStackError
from berth_core.quota import to_native


def _existing(ctx: ApplyContext, change: Change, path: str, field: str, params: dict[str, Any]) -> str | None:
    """A platform resource another apply made meanwhile (platform creates are rare: one GET is cheap).

    The plan said "create", but a concurrent apply (the demo, a test, another operator) may have
    made it since the observation; adopting it keeps the platform single.
    """
    proxy = ctx.conn.compute if field == "flavors" else ctx.conn.network
    found = ctx.call(proxy, "GET", path, params=params, what=change.key).get(field) or []
    return str(found[0]["id"]) if found else None


def external_network_create(ctx: ApplyContext, change: Change) -> str:
    after = change.after or {}
    params = {"name": after["name"], "router:external": "true"}
    existing = _existing(ctx, change, "/networks", "networks", params)
    if existing is not None:
        return existing
    body: dict[str, Any] = {
        "name": after["name"],
        "router:external": True,
        "shared": bool(after.get("shared")),
    }
    if after.get("physicalNetwork"):
        body["provider:network_type"] = "flat"
        body["provider:physical_network"] = after["physicalNetwork"]
    return str(_create(ctx, change, "networks", "network", body)["id"])


def external_network_update(ctx: ApplyContext, change: Change, ref: str) -> None:
    after = change.after or {}
    body = {"name": after["name"], "router:external": True, "shared": bool(after.get("shared"))}
    _update(ctx, change, "networks", "network", ref, body=body)


def external_subnet_create(ctx: ApplyContext, change: Change) -> str:
    after = change.after or {}
    params = {"name": after["name"], "network_id": ctx.ref(str(after["network"]))}
    existing = _existing(ctx, change, "/subnets", "subnets", params)
    if existing is not None:
        return existing
    body = {
        "name": after["name"],
        "network_id": ctx.ref(str(after["network"])),
        "ip_version": after.get("ipVersion", 4),
        "cidr": after["cidr"],
        "gateway_ip": after.get("gatewayIp"),
        "enable_dhcp": bool(after.get("enableDhcp")),
    }
    return str(_create(ctx, change, "subnets", "subnet", body)["id"])


def external_subnet_update(ctx: ApplyContext, change: Change, ref: str) -> None:
    after = change.after or {}
    body = {
        "name": after["name"],
        "gateway_ip": after.get("gatewayIp"),
        "enable_dhcp": bool(after.get("enableDhcp")),
    }
    _update(ctx, change, "subnets", "subnet", ref, body=body)


def _pool_lengths(after: Any) -> dict[str, Any]:
    return {
        "default_prefixlen": after["defaultPrefixLength"],
        "min_prefixlen": after["minPrefixLength"],
        "max_prefixlen": after["maxPrefixLength"],
    }


def subnet_pool_create(ctx: ApplyContext, change: Change) -> str:
    after = change.after or {}
    existing = _existing(ctx, change, "/subnetpools", "subnetpools", {"name": after["name"]})
    if existing is not None:
        return existing
    body = {
        "name": after["name"],
        "prefixes": list(after["prefixes"]),
        "shared": bool(after.get("shared")),
        **_pool_lengths(after),
    }
    return str(_create(ctx, change, "subnetpools", "subnetpool", body)["id"])


def subnet_pool_update(ctx: ApplyContext, change: Change, ref: str) -> None:
    after = change.after or {}
    body = {"name": after["name"], "prefixes": list(after["prefixes"]), **_pool_lengths(after)}
    _update(ctx, change, "subnetpools", "subnetpool", ref, body=body)


def subnet_pool_delete(ctx: ApplyContext, change: Change, ref: str) -> None:
    _delete(ctx, change, "subnetpools", ref)
    ctx.resolver.forget("subnetpool:")


def flavor_create(ctx: ApplyContext, change: Change) -> str:
    after = change.after or {}
    ctx.resolver.forget("flavors")
    try:
        return ctx.resolver.flavor(str(after["name"]))  # made by a concurrent apply: adopt it
    except OpenStackError:
        pass
    body = {
        "name": after["name"],
        "vcpus": after["vcpus"],
        "ram": after["ramMiB"],
        "disk": after["diskGiB"],
        "os-flavor-access:is_public": bool(after.get("public", True)),
    }
    created = ctx.call(
        ctx.conn.compute, "POST", "/flavors", json={"flavor": body}, what=change.key, idempotent=False
    )
    ctx.resolver.forget("flavors")
    return str(created["flavor"]["id"])


def flavor_update(ctx: ApplyContext, change: Change, ref: str) -> None:
    """Nova flavors are immutable: a changed size is a new flavor of the same name.

    Private-flavor grants go with the old flavor; the tenants' next plan shows them to re-create.
    """
    flavor_delete(ctx, change, ref)
    ctx.remember(change.key, flavor_create(ctx, change))


def flavor_delete(ctx: ApplyContext, change: Change, ref: str) -> None:
    ctx.call(ctx.conn.compute, "DELETE", f"/flavors/{ref}", ok=(202, 204, 404), what=change.key)
    ctx.resolver.forget("flavors")


def quota_class_write(ctx: ApplyContext, change: Change) -> str:
    after = change.after or {}
    native = to_native_partial(after.get("values") or {})
    name = str(after.get("name", "default"))
    for proxy, service in ((ctx.conn.compute, "compute"), (ctx.conn.block_storage, "volume")):
        fields = native.get(service) or {}
        if fields:
            ctx.call(
                proxy,
                "PUT",
                f"/os-quota-class-sets/{name}",
                json={"quota_class_set": fields},
                what=change.key,
                microversion=NOVA_QUOTA_MICROVERSION if service == "compute" else None,
            )
    return name


def quota_class_update(ctx: ApplyContext, change: Change, ref: str) -> None:
    quota_class_write(ctx, change)


def to_native_partial(values: Any) -> dict[str, dict[str, int]]:
    """to_native for a subset of fields (a quota class holds compute and volume fields only)."""
    from berth_core.quota_fields import QUOTA_FIELD_NAMES

    full = {name: int(values.get(name, 0)) for name in QUOTA_FIELD_NAMES}
    native = to_native(full)
    from berth_core.quota_fields import QUOTA_FIELD_BY_NAME

    out: dict[str, dict[str, int]] = {}
    for name in values:
        spec = QUOTA_FIELD_BY_NAME[name]
        out.setdefault(spec.service, {})[spec.native] = native[spec.service][spec.native]
    return out
