"""Demo and test accounts for manifest members (the devcloud has no city identity backend).

Real sites take users and groups from the city's identity backend: berth never creates them there.
On the devcloud, `ensure_principals` creates the users and groups that manifests name, in the site's
domain or their agency's own (`accounts_by_domain` adds each agency's domain managers from cloud.yml;
an agency domain that does not exist yet is made too, untagged, and berth's next apply adopts it).
Each new user's password comes from `secrets`, is written once to a 0600 file the operator
hands over, and is never printed, logged or returned.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from berth_cloud.connection import Cloud
from berth_cloud.http import call
from berth_cloud.observe import domain_id
from berth_core.manifest import TenantManifest
from berth_core.site import Site


@dataclass(frozen=True)
class PrincipalsResult:
    created_users: tuple[str, ...]
    created_groups: tuple[str, ...]
    secrets_file: Path
    domain: str | None = None  # None: the site's domain


def principals_of(manifests: Iterable[TenantManifest]) -> set[tuple[str, str]]:
    return {m.principal for tm in manifests for m in tm.spec.members}


def accounts_by_domain(site: Site, manifests: Iterable[TenantManifest]) -> dict[str, set[tuple[str, str]]]:
    """domain -> the (kind, name) principals the manifests' members and the agencies' managers are."""
    identity = site.spec.identity
    out: dict[str, set[tuple[str, str]]] = {}
    for tm in manifests:
        out.setdefault(identity.domain_of(tm.metadata.agency), set()).update(
            m.principal for m in tm.spec.members
        )
    for own in identity.agency_domains.values():
        out.setdefault(own.domain, set()).update(m.principal for m in own.managers)
    return out


def ensure_domain(cloud: Cloud, name: str) -> str:
    """The domain's id; made (enabled, untagged) when missing, as an operator would before berth adopts it."""
    found = (
        call(cloud.conn.identity, "GET", "/domains", params={"name": name}, what=f"domain {name}") or {}
    ).get("domains")
    if found:
        return str(found[0]["id"])
    body = {"domain": {"name": name, "enabled": True, "description": "made for the devcloud's accounts"}}
    made = call(cloud.conn.identity, "POST", "/domains", json=body, what=f"domain {name}", idempotent=False)
    cloud.cache.pop(f"domain:{name}", None)
    return str(made["domain"]["id"])


def _append_secret(path: Path, user: str, password: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (json.dumps({"user": user, "password": password}) + "\n").encode("utf-8"))
    finally:
        os.close(fd)


def ensure_principals(
    cloud: Cloud,
    site: Site,
    principals: Iterable[tuple[str, str]],
    secrets_file: Path,
    domain: str | None = None,
) -> PrincipalsResult:
    """Create the missing users/groups of `principals` ((kind, name) pairs) in `domain` (default: the
    site's; an agency's own domain is made when missing); existing ones are kept."""
    own = domain is not None and domain != site.spec.identity.domain
    did = ensure_domain(cloud, str(domain)) if own else domain_id(cloud, site.spec.identity.domain)
    identity = cloud.conn.identity
    users = {
        u["name"]
        for u in (call(identity, "GET", "/users", params={"domain_id": did}, what="list users") or {}).get(
            "users", []
        )
    }
    groups = {
        g["name"]
        for g in (call(identity, "GET", "/groups", params={"domain_id": did}, what="list groups") or {}).get(
            "groups", []
        )
    }
    made_users: list[str] = []
    made_groups: list[str] = []
    for kind, name in sorted(set(principals)):
        if kind == "user" and name not in users:
            password = secrets.token_urlsafe(24)
            # written before the user exists: a crash never leaves an account whose password is lost
            _append_secret(secrets_file, name, password)
            body = {"user": {"name": name, "domain_id": did, "password": password, "enabled": True}}
            call(identity, "POST", "/users", json=body, what=f"user {name}", idempotent=False)
            made_users.append(name)
        elif kind == "group" and name not in groups:
            body = {"group": {"name": name, "domain_id": did, "description": "berth demo group"}}
            call(identity, "POST", "/groups", json=body, what=f"group {name}", idempotent=False)
            made_groups.append(name)
    return PrincipalsResult(tuple(made_users), tuple(made_groups), secrets_file, domain if own else None)


def read_password(secrets_file: Path, user: str) -> str | None:
    """The last password written for `user` (tests log in as an agency member with it)."""
    found = None
    if secrets_file.is_file():
        for line in secrets_file.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            if entry.get("user") == user:
                found = str(entry["password"])
    return found


def remove_principals(cloud: Cloud, site: Site, created: PrincipalsResult) -> None:
    """Delete the users and groups `ensure_principals` created (tests and demo teardown)."""
    did = domain_id(cloud, created.domain or site.spec.identity.domain)
    identity = cloud.conn.identity
    for kind, names in (("users", created.created_users), ("groups", created.created_groups)):
        for name in names:
            found = (
                call(identity, "GET", f"/{kind}", params={"name": name, "domain_id": did}, what=name) or {}
            ).get(kind)
            for item in found or ():
                call(identity, "DELETE", f"/{kind}/{item['id']}", ok=(204, 404), what=f"{kind[:-1]} {name}")
