"""Site-aware manifest checks: what a manifest asks for must exist in, and fit, the site's cloud.yml.

Pure: manifests and site in, located Problems out. Capacity and agency caps are admission's business
(berth_core.capacity); allocation of prefix lengths is IPAM's (berth_core.ipam). Here we refuse what no
allocation could fix: unknown quota classes and flavors, explicit CIDRs outside the pools or overlapping.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from berth_core.errors import ManifestInvalid, Problem
from berth_core.loader import LoadedManifest, ManifestReport, check_manifests, load_site
from berth_core.site import AddressPool, Site


@dataclass(frozen=True)
class _Claim:
    """An explicit CIDR a manifest asks for, with where it was asked."""

    cidr: ipaddress.IPv4Network
    loaded: LoadedManifest
    index: int

    @property
    def field(self) -> str:
        return f"spec.networks[{self.index}].cidr"


def _placement_problems(claim: _Claim, site: Site) -> list[Problem]:
    """The external network first (the most specific mistake), then pool membership and prefix limits."""
    pools: tuple[AddressPool, ...] = site.spec.address_pools
    pool = next((p for p in pools if claim.cidr.subnet_of(p.cidr)), None)
    where = claim.loaded.locate(claim.field)
    external = site.spec.external_network
    if claim.cidr.overlaps(external.cidr):
        found = {"cidr": str(claim.cidr), "name": external.name, "external": str(external.cidr)}
        return [Problem(where, "site.external_overlap", found)]
    if pool is None:
        described = ", ".join(str(p.cidr) for p in pools)
        return [
            Problem(
                where,
                "site.cidr_outside_pool",
                {"cidr": str(claim.cidr), "site": site.name, "pools": described},
            )
        ]
    prefix = claim.cidr.prefixlen
    if not pool.min_prefix_length <= prefix <= pool.max_prefix_length:
        params: dict[str, object] = {
            "prefix": prefix,
            "min": pool.min_prefix_length,
            "max": pool.max_prefix_length,
            "pool": pool.name,
        }
        return [Problem(where, "site.prefix_outside_pool_limits", params)]
    return []


def _overlaps(claims: list[_Claim], site: Site) -> list[Problem]:
    """Explicit CIDRs against each other, within and across manifests."""
    problems: list[Problem] = []
    ordered = sorted(claims, key=lambda c: (c.cidr.network_address, c.cidr.prefixlen))
    # sorted by address, two CIDRs overlap only if the later starts inside an earlier one still open
    open_claims: list[_Claim] = []
    for claim in ordered:
        open_claims = [c for c in open_claims if c.cidr.broadcast_address >= claim.cidr.network_address]
        for earlier in open_claims:
            first, second = sorted((earlier, claim), key=_claim_order)
            params: dict[str, object] = {
                "cidr": str(second.cidr),
                "other": str(first.cidr),
                "network": first.loaded.manifest.spec.networks[first.index].name,
                "tenant": first.loaded.manifest.slug,
            }
            problems.append(Problem(second.loaded.locate(second.field), "site.cidr_overlap", params))
        open_claims.append(claim)
    return problems


def _claim_order(claim: _Claim) -> tuple[str, int, int]:
    """Report an overlap at the claim that comes later in reading order (file, document, network)."""
    return (claim.loaded.file, claim.loaded.document_index, claim.index)


def _prefix_length_problems(loaded: LoadedManifest, site: Site) -> list[Problem]:
    problems: list[Problem] = []
    pools = site.spec.address_pools
    for index, network in enumerate(loaded.manifest.spec.networks):
        prefix = network.prefix_length
        if prefix is None or any(p.min_prefix_length <= prefix <= p.max_prefix_length for p in pools):
            continue
        limits = ", ".join(f"{p.name}: /{p.min_prefix_length}../{p.max_prefix_length}" for p in pools)
        params = {"prefix": prefix, "site": site.name, "limits": limits}
        problems.append(
            Problem(
                loaded.locate(f"spec.networks[{index}].prefixLength"),
                "site.prefix_length_unavailable",
                params,
            )
        )
    return problems


def _catalogue_problems(loaded: LoadedManifest, site: Site) -> list[Problem]:
    problems: list[Problem] = []
    spec = loaded.manifest.spec
    classes = site.spec.quota_classes
    if spec.quota.class_name not in classes:
        params = {"name": spec.quota.class_name, "site": site.name, "known": ", ".join(sorted(classes))}
        problems.append(Problem(loaded.locate("spec.quota.class"), "site.quota_class_unknown", params))
    flavors = {f.name for f in site.spec.flavors}
    for index, flavor in enumerate(spec.flavors):
        if flavor not in flavors:
            params = {"name": flavor, "site": site.name, "known": ", ".join(sorted(flavors))}
            problems.append(Problem(loaded.locate(f"spec.flavors[{index}]"), "site.flavor_unknown", params))
    return problems


def check_against_site(loaded: list[LoadedManifest], site: Site) -> list[Problem]:
    """Every problem of `loaded` manifests with respect to `site`, sorted by location."""
    problems: list[Problem] = []
    claims: list[_Claim] = []
    for item in loaded:
        problems += _catalogue_problems(item, site)
        problems += _prefix_length_problems(item, site)
        for index, network in enumerate(item.manifest.spec.networks):
            if network.cidr is not None:
                claim = _Claim(network.cidr, item, index)
                found = _placement_problems(claim, site)
                problems += found
                if not found:
                    claims.append(claim)
    problems += _overlaps(claims, site)
    return sorted(problems, key=Problem.sort_key)


def validate_paths(paths: Iterable[Path], site_file: Path | None = None) -> ManifestReport:
    """What `berth manifest validate` reports: every manifest problem, plus site checks when a site is given.

    A site file that is itself invalid adds its own problems (and skips the site checks).
    """
    report = check_manifests(paths)
    if site_file is None:
        return report
    try:
        site = load_site(site_file)
    except ManifestInvalid as error:
        report.add(error.problems)
        return report
    report.add(check_against_site(report.manifests, site))
    return report
