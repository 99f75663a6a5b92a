"""The pre-write check: everything the pending changes name that the cloud must already hold.

An apply that fails on input must fail before its first write, or it leaves a half-made tenant (a
project without its members, say). So before anything is written, every name the changes refer to is
looked up: the identity domain, the member and reader roles, every member's user or group, the flavors
of access grants, the external network of gateways, the subnet pools of subnets (each unless the same
plan creates it: the platform goes first), and no project the plan creates may already exist unmanaged
under the tenant's name. The lookups fill the Resolver's cache, so the executors ask nothing twice.

The refusal is exit 3, as an invalid manifest: the input names what this cloud does not have, and
re-running the same input can only fail the same way (exit 5 is for the cloud failing a valid request).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from berth_cloud.connection import Cloud
from berth_cloud.resolver import Resolver
from berth_core.diff import Change
from berth_core.errors import Location, ManifestInvalid, Problem
from berth_core.state import State

SITE = "cloud.yml"  # `tenant` of an unmet reference the site file states, not a manifest


@dataclass(frozen=True)
class Unmet:
    """One name the cloud lacks: which tenant's manifest (or SITE) states it, at which field, and why
    (a catalogue code of berth_core.i18n and its parameters, so it reads in Vietnamese or English)."""

    tenant: str
    field: str  # dotted path in the manifest (or cloud.yml), without list indices
    item: str  # what the field names ("user:an", "db.large"), to find its list index
    code: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def problem(self, location: Location | None = None) -> Problem:
        """As a problem located where the input states it (else named by its tenant and field)."""
        where = location or Location(field=f"{self.tenant}: {self.field}")
        return Problem(where, self.code, {"item": self.item, **self.params})


class UnmetReferences(ManifestInvalid):
    """The changes name what the cloud lacks; nothing was written. Exit 3 like an invalid manifest: the
    input names what this cloud does not have, and every problem is located where the input says it."""

    def __init__(self, unmet: list[Unmet], problems: list[Problem] | None = None) -> None:
        self.unmet = unmet
        super().__init__(problems or [u.problem() for u in unmet])


Check = tuple[Callable[[Resolver], object], Unmet]  # (lookup answering None when missing, its Unmet)


def _ask(lookup: str, *args: str) -> Callable[[Resolver], object]:
    """`Resolver.<lookup>(*args)`, asked later from a worker thread."""
    return lambda resolver: getattr(resolver, lookup)(*args)


def _project_unmet(change: Change, observed: State) -> Unmet | None:
    have = observed.resources.get(change.key)
    if have is None or have.managed:
        return None
    domain = str((change.after or {}).get("domain", ""))
    return Unmet(change.tenant, "metadata.name", change.tenant, "cloud.project_unmanaged", {"domain": domain})


def _member_checks(change: Change, desired: State, observed: State, site_domain: str) -> list[Check]:
    after = change.after or {}
    project_key = str(after.get("project"))
    project = desired.resources.get(project_key) or observed.resources.get(project_key)
    domain = str(project.attrs.get("domain", site_domain)) if project is not None else site_domain
    kind, name, role = str(after["principalType"]), str(after["principal"]), str(after["role"])
    missing = Unmet(
        change.tenant,
        "spec.members",
        f"{kind}:{name}",
        "cloud.group_missing" if kind == "group" else "cloud.user_missing",
        {"name": name, "domain": domain},
    )

    def principal(r: Resolver) -> object:
        return r.find_principal(kind, name, domain) if r.find_domain(domain) else True  # no domain: said once

    return [
        (principal, missing),
        (
            lambda r: r.find_role(role),
            Unmet(SITE, "spec.identity", role, "cloud.role_missing"),
        ),
    ]


def _grant_checks(change: Change) -> list[Check]:
    """A domain manager must exist in the agency's domain; a domain this very apply creates holds no one
    yet, so its managers are looked up when the grant is made (the executor says what is missing)."""
    after = change.after or {}
    domain = str(after["domain"]).removeprefix("domain/")
    kind, name, role = str(after["principalType"]), str(after["principal"]), str(after["role"])
    field = "spec.identity.agencyDomains"
    missing = Unmet(
        SITE,
        field,
        f"{kind}:{name}",
        "cloud.domain_grant_principal_missing",
        {"kind": kind, "name": name, "domain": domain},
    )

    def principal(r: Resolver) -> object:
        return r.find_principal(kind, name, domain) if r.find_domain(domain) else True

    return [
        (principal, missing),
        (_ask("find_role", role), Unmet(SITE, "spec.identity", role, "cloud.role_missing")),
    ]


def _checks(
    plan_changes: Iterable[Change], pending: list[Change], desired: State, observed: State, site_domain: str
) -> tuple[list[Unmet], list[Check]]:
    """What is already known to be unmet, and the lookups the rest needs."""
    planned = {c.key for c in plan_changes if c.action in ("create", "update")}
    known: list[Unmet] = []
    checks: list[Check] = []
    domains: set[str] = set()
    for change in pending:
        after = change.after or {}
        slug = change.tenant
        if change.action == "delete":
            continue
        if change.kind == "project":
            collision = _project_unmet(change, observed)
            known.extend([collision] if collision else [])
            if change.action == "create":
                domains.add(str(after.get("domain", site_domain)))
        elif change.kind in ("role-assignment", "domain-grant"):
            member = change.kind == "role-assignment"
            checks.extend(
                _member_checks(change, desired, observed, site_domain) if member else _grant_checks(change)
            )
        elif change.kind == "flavor-access" and f"flavor/{after.get('flavor')}" not in planned:
            flavor = str(after["flavor"])
            unmet = Unmet(slug, "spec.flavors", flavor, "cloud.flavor_missing")
            checks.append((_ask("find_flavor", flavor), unmet))
        elif change.kind == "router" and after.get("externalNetwork"):
            ext = str(after["externalNetwork"])
            if f"external-network/{ext}" not in planned:
                unmet = Unmet(slug, "spec.router.external", ext, "cloud.external_network_missing")
                checks.append((_ask("find_external_network", ext), unmet))
        elif change.kind == "subnet" and after.get("subnetPool"):
            pool = str(after["subnetPool"])
            if f"subnet-pool/{pool}" not in planned:
                unmet = Unmet(slug, "spec.networks", pool, "cloud.subnet_pool_missing")
                checks.append((_ask("find_subnet_pool", pool), unmet))
    checks.extend(_domain_checks(domains, planned))
    return known, checks


def _domain_checks(domains: set[str], planned: set[str]) -> list[Check]:
    """The domains new projects go to, unless this plan creates them (an agency's: the platform goes first)."""
    return [
        (_ask("find_domain", domain), Unmet(SITE, "spec.identity.domain", domain, "cloud.domain_missing"))
        for domain in sorted(domains)
        if f"domain/{domain}" not in planned
    ]


def unmet_references(
    cloud: Cloud,
    plan_changes: Iterable[Change],
    pending: list[Change],
    desired: State,
    observed: State,
    *,
    site_domain: str = "Default",
    workers: int = 6,
) -> list[Unmet]:
    """Every reference of `pending` (the changes apply will execute) that the cloud cannot satisfy."""
    known, checks = _checks(plan_changes, pending, desired, observed, site_domain)
    resolver = Resolver(cloud)
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="berth-refs") as pool:
        answers = list(pool.map(lambda check: check[0](resolver), checks))
    unmet: dict[tuple[str, str, str], Unmet] = {(u.tenant, u.field, u.item): u for u in known}
    for (_, missing), answer in zip(checks, answers, strict=True):
        if answer is None:
            unmet.setdefault((missing.tenant, missing.field, missing.item), missing)
    return sorted(unmet.values(), key=lambda u: (u.tenant, u.field, u.item))
