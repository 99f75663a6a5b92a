"""Keystone's JSON -> the agencies' domains and their domain-manager grants, keyed like
berth_core.platform (pure; observe fetches `GET /domains` and `GET /role_assignments` once each).

Only the domains cloud.yml names are observed, so no diff ever deletes a domain: one left out of
cloud.yml keeps its projects, users and grants. A domain the operator (or the devcloud's account
helper) made first is observed unmanaged and adopted by the next apply (its tags are added).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from berth_cloud.mapping import berth_tags, owned
from berth_core.identity import IdentitySpec
from berth_core.ownership import agency_from_tags
from berth_core.platform import PLATFORM_TENANT, domain_grant_key, domain_key
from berth_core.state import Resource

Doc = Mapping[str, Any]


def map_domains(domains: Sequence[Doc], assignments: Sequence[Doc], identity: IdentitySpec) -> list[Resource]:
    wanted = {own.domain: agency for agency, own in identity.agency_domains.items()}
    out: list[Resource] = []
    ids: dict[str, str] = {}  # domain id -> name, for the grants
    for doc in sorted(domains, key=lambda d: str(d.get("name"))):
        name = str(doc.get("name"))
        if name not in wanted:
            continue
        ids[str(doc["id"])] = name
        tags = doc.get("tags") or ()
        out.append(
            Resource(
                domain_key(name),
                PLATFORM_TENANT,
                {
                    "name": name,
                    "description": doc.get("description") or "",
                    "agency": agency_from_tags(tags) or "",
                    "enabled": bool(doc.get("enabled", True)),
                    "tags": berth_tags(tags),
                },
                managed=owned(doc, PLATFORM_TENANT),
                ref=str(doc["id"]),
            )
        )
    out.extend(_grants(assignments, ids, identity.manager_role))
    return out


def _grants(assignments: Sequence[Doc], ids: Mapping[str, str], role: str) -> list[Resource]:
    """The manager role on each named domain, for users and groups (not inherited ones)."""
    out: dict[str, Resource] = {}
    for ra in assignments:
        scope = ra.get("scope") or {}
        did = str((scope.get("domain") or {}).get("id"))
        if did not in ids or "OS-INHERIT:inherited_to" in scope:
            continue
        if str((ra.get("role") or {}).get("name")) != role:
            continue
        kind = "user" if "user" in ra else "group" if "group" in ra else None
        if kind is None:
            continue
        actor = ra[kind]
        name = ids[did]
        key = domain_grant_key(name, kind, str(actor.get("name")), role)
        out.setdefault(
            key,
            Resource(
                key,
                PLATFORM_TENANT,
                {
                    "domain": domain_key(name),
                    "principalType": kind,
                    "principal": actor.get("name"),
                    "role": role,
                },
                (domain_key(name),),
                True,  # the manager role on an agency's domain is berth's to give and take (cloud.yml)
                f"{did}/{kind}s/{actor['id']}/{ra['role']['id']}",
            ),
        )
    return list(out.values())
