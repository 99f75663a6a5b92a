"""Quota sanity checks (pure): does a tenant's quota make sense for what its manifest declares?

A quota that allows more instances than cores, RAM per core outside the site's band, floating IPs without
a router to reach them, or fewer networks, routers, security groups or rules than the manifest itself
needs: each is an error (the manifest is refused, exit 3: Neutron would refuse the resource half-way
through an apply) or a warning (shown in `berth review`), as the site's review policy decides.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from berth_core.desired import rule_identity, rule_key
from berth_core.errors import Location, Problem
from berth_core.manifest import TenantManifest
from berth_core.quota_fields import UNLIMITED
from berth_core.review_policy import ReviewPolicy, Severity

# Neutron's own rules: every project's "default" group holds 4 (ingress from itself and egress, IPv4
# and IPv6), and every new group an allow-all egress pair, which berth removes only from groups that
# state egress rules of their own (berth_cloud.executors_network).
DEFAULT_GROUP_RULES = 4
DEFAULT_EGRESS_PAIR = 2


@dataclass(frozen=True)
class Finding:
    severity: Severity  # "error" or "warning" ("off" checks find nothing)
    problem: Problem


def _bounded(value: int) -> bool:
    return value != UNLIMITED


def _quota_field(manifest: TenantManifest, name: str) -> str:
    """Where a quota value comes from: the override when the manifest writes one, else the class."""
    written = manifest.spec.quota.overrides.as_dict()
    return f"spec.quota.overrides.{name}" if name in written else "spec.quota.class"


def _rule_counts(manifest: TenantManifest) -> tuple[int, int]:
    """(rules the manifest states, rules Neutron adds) for the tenant's project."""
    slug = manifest.slug
    declared = 0
    implicit = DEFAULT_GROUP_RULES
    for group in manifest.spec.security_groups:
        keys = {rule_key(slug, group.name, rule_identity(r, slug, group.name)) for r in group.rules}
        declared += len(keys)  # the same rule twice is stated once (berth_core.desired)
        if not any(r.direction == "egress" for r in group.rules):
            implicit += DEFAULT_EGRESS_PAIR
    return declared, implicit


def sanity_findings(
    manifest: TenantManifest,
    quota: Mapping[str, int],
    policy: ReviewPolicy,
    locate: Callable[[str], Location],
) -> list[Finding]:
    """Every check the policy does not turn off, as errors and warnings located in the manifest."""
    checks = policy.checks
    spec = manifest.spec
    found: list[Finding] = []

    def add(severity: Severity, field: str, code: str, **params: object) -> None:
        if severity != "off":
            found.append(Finding(severity, Problem(locate(_quota_field(manifest, field)), code, params)))

    cores, instances, ram = quota["cores"], quota["instances"], quota["ramGiB"]
    if _bounded(cores) and (not _bounded(instances) or instances > cores):
        add(
            checks.instances_within_cores,
            "instances",
            "sanity.instances_above_cores",
            instances=instances,
            cores=cores,
        )
    if _bounded(cores) and _bounded(ram) and cores > 0:
        band = policy.ram_per_core
        ratio = ram / cores
        if not band.min_gib <= ratio <= band.max_gib:
            add(
                checks.ram_per_core,
                "ramGiB",
                "sanity.ram_per_core",
                ratio=f"{ratio:g}",
                ram=ram,
                cores=cores,
                min=f"{band.min_gib:g}",
                max=f"{band.max_gib:g}",
            )
    has_gateway = spec.router is not None and spec.router.external
    if quota["floatingIps"] != 0 and not has_gateway:
        add(
            checks.floating_ips_need_router,
            "floatingIps",
            "sanity.floating_ips_without_router",
            count=quota["floatingIps"],
        )
    networks = len(spec.networks)
    for field, severity, code in (
        ("networks", checks.networks_within_quota, "sanity.networks_over_quota"),
        ("subnets", checks.subnets_within_quota, "sanity.subnets_over_quota"),  # one subnet per network
    ):
        if _bounded(quota[field]) and networks > quota[field]:
            add(severity, field, code, count=networks, limit=quota[field])
    if spec.router is not None and _bounded(quota["routers"]) and quota["routers"] < 1:
        add(checks.routers_within_quota, "routers", "sanity.routers_over_quota", limit=quota["routers"])
    groups = len(spec.security_groups) + 1  # Neutron's "default" group counts against the quota too
    if _bounded(quota["securityGroups"]) and groups > quota["securityGroups"]:
        add(
            checks.security_groups_within_quota,
            "securityGroups",
            "sanity.security_groups_over_quota",
            count=groups,
            declared=groups - 1,
            limit=quota["securityGroups"],
        )
    declared, implicit = _rule_counts(manifest)
    if _bounded(quota["securityGroupRules"]) and declared + implicit > quota["securityGroupRules"]:
        add(
            checks.security_group_rules_within_quota,
            "securityGroupRules",
            "sanity.security_group_rules_over_quota",
            count=declared + implicit,
            declared=declared,
            implicit=implicit,
            limit=quota["securityGroupRules"],
        )
    return found
