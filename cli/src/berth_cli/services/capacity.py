"""`berth capacity` as a service: allocatable, committed and headroom per class and agency, and fits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from berth_cli.context import SiteContext
    from berth_core.admission import AdmissionReport
    from berth_core.capacity import FlavorFit


@dataclass(frozen=True)
class CapacityView:
    site: str
    tenants: int
    report: AdmissionReport
    fits: list[FlavorFit]

    def to_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "tenants": self.tenants,
            **self.report.to_dict(),
            "flavors": [f.to_dict() for f in self.fits],
        }


def site_capacity(
    ctx: SiteContext, paths: list[Path] | None, *, offline: bool, flavors: list[str] | None
) -> CapacityView:
    """Live: placement's inventories and usages and the quotas the cloud holds, plus the given manifests
    (what-if). Offline: the capacity cloud.yml declares."""
    from berth_cli.services.inputs import load_inputs
    from berth_core.capacity import flavor_fits, snapshot_from_site
    from berth_core.errors import UsageError
    from berth_core.planning import PlanInputs, capacity_status, resolve_quotas
    from berth_core.state import ObservedState

    site, loaded, locate_site = load_inputs(ctx, paths)
    known = {f.name for f in site.spec.flavors}
    unknown = sorted(set(flavors or ()) - known)
    if unknown:
        raise UsageError(
            f"flavor(s) {', '.join(unknown)} not in site {site.name}",
            hint=f"known: {', '.join(sorted(known))}",
        )
    if offline:
        observed, snapshot = ObservedState(), snapshot_from_site(site)
    else:
        from berth_cli.services.planning import observe_site, open_cloud
        from berth_cloud import live_capacity

        cloud = open_cloud(ctx)
        observed, snapshot = observe_site(cloud, site), live_capacity(cloud, site)
    inputs = PlanInputs(site, loaded, locate_site=locate_site, observed=observed, snapshot=snapshot)
    report = capacity_status(inputs, resolve_quotas(loaded, site, locate_site))
    chosen = tuple(f for f in site.spec.flavors if not flavors or f.name in flavors)
    return CapacityView(site.name, len(loaded), report, flavor_fits(snapshot, chosen))
