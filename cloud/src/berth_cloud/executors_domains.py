"""Executors for the agencies' keystone domains and their domain-manager grants (berth_core.platform).

A domain is created with berth's tags, or adopted when it exists under its name (made by the operator
first, or by another apply meanwhile); it is never deleted by berth. A grant is `PUT
/domains/{id}/{users|groups}/{actor}/roles/{role}` (idempotent), revoked when cloud.yml drops it.
"""

from __future__ import annotations

from typing import Any

from berth_cloud.context import ApplyContext
from berth_core.diff import Change
from berth_core.errors import OpenStackError


def _body(after: dict[str, Any], tags: list[str]) -> dict[str, Any]:
    return {
        "name": after["name"],
        "description": after.get("description") or "",
        "enabled": bool(after.get("enabled", True)),
        "tags": tags,
    }


def _merged_tags(have: list[str], want: list[str]) -> list[str]:
    """berth's tags as desired, an operator's own tags kept."""
    return sorted({*(t for t in have if not t.startswith("berth:")), *want})


def domain_create(ctx: ApplyContext, change: Change) -> str:
    after = dict(change.after or {})
    found = ctx.call(ctx.conn.identity, "GET", "/domains", params={"name": after["name"]}, what=change.key)
    existing = (found or {}).get("domains") or []
    if existing:  # made meanwhile: adopt it
        domain_update(ctx, change, str(existing[0]["id"]))
        ref = str(existing[0]["id"])
    else:
        body = _body(after, list(after.get("tags") or []))
        created = ctx.call(
            ctx.conn.identity, "POST", "/domains", json={"domain": body}, what=change.key, idempotent=False
        )
        ref = str(created["domain"]["id"])
    ctx.resolver.forget(f"domain:{after['name']}")
    return ref


def domain_update(ctx: ApplyContext, change: Change, ref: str) -> None:
    after = dict(change.after or {})
    have = ctx.call(ctx.conn.identity, "GET", f"/domains/{ref}", what=change.key)
    tags = _merged_tags(
        list(((have or {}).get("domain") or {}).get("tags") or []), list(after.get("tags") or [])
    )
    ctx.call(
        ctx.conn.identity, "PATCH", f"/domains/{ref}", json={"domain": _body(after, tags)}, what=change.key
    )


def domain_keep(ctx: ApplyContext, change: Change, ref: str) -> None:
    """Never: a domain holds an agency's projects and users (observe only reads the named ones)."""
    raise OpenStackError(f"{change.key}: berth never deletes a keystone domain", hint="remove it by hand")


def _path(ctx: ApplyContext, change: Change) -> str:
    after = change.after or {}
    domain = str(after["domain"]).removeprefix("domain/")
    did = ctx.resolver.domain(domain)
    kind = str(after["principalType"])
    actor = ctx.resolver.principal(kind, str(after["principal"]), domain)
    role = ctx.resolver.role(str(after["role"]))
    return f"/domains/{did}/{kind}s/{actor}/roles/{role}"


def grant_create(ctx: ApplyContext, change: Change) -> str:
    path = _path(ctx, change)
    ctx.call(ctx.conn.identity, "PUT", path, what=change.key)
    return path.removeprefix("/domains/").replace("/roles/", "/")


def grant_delete(ctx: ApplyContext, change: Change, ref: str) -> None:
    did, kind, actor, role = ref.split("/")
    ctx.call(
        ctx.conn.identity,
        "DELETE",
        f"/domains/{did}/{kind}/{actor}/roles/{role}",
        ok=(204, 404),
        what=change.key,
    )
