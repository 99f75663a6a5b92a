"""The two engines behind berth's one apply workflow (berth_cli.services.apply_site).

An engine makes the cloud hold a plan's desired state and says what it did; everything around it (plan or
saved plan, stale check, confirmation, lock, IPAM ledger, audit) is the workflow's, so both engines get
exactly the same. Composed here because only the CLI may join berth_cloud and berth_stacks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

    from berth_cli.context import SiteContext
    from berth_cloud import ApplyResult, Cloud, ProgressEvent
    from berth_core.plan import Plan
    from berth_core.site import Site
    from berth_core.state import DesiredState, ObservedState
    from berth_stacks.runner import StackSummary

    Progress = Callable[[ProgressEvent], None]


class Engine(Protocol):
    """Makes the cloud hold `desired` (the plan's), raising ApplyFailed or PulumiFailed on failure."""

    name: str

    def apply(
        self, plan: Plan, desired: DesiredState, observed: ObservedState, progress: Progress | None
    ) -> ApplyResult: ...


class StackRunner(Protocol):
    """What the Pulumi engine needs of the Automation API (berth_stacks.runner.PulumiRunner)."""

    def apply_site(self, site: Site, desired: DesiredState) -> list[StackSummary]: ...


@dataclass
class DirectEngine:
    """berth's own openstacksdk engine (berth_cloud): bulk, concurrent, ownership-tagged."""

    cloud: Cloud
    name: str = "direct"

    def apply(
        self, plan: Plan, desired: DesiredState, observed: ObservedState, progress: Progress | None
    ) -> ApplyResult:
        from berth_cloud import apply as engine_apply

        return engine_apply(self.cloud, plan, desired, observed, progress=progress)


@dataclass
class PulumiEngine:
    """One Pulumi stack per agency plus the platform stack, then the direct engine for exactly what
    pulumi-openstack cannot write (the default quota class, keystone's extra project attributes), on a
    fresh observation, so both engines leave the same cloud."""

    cloud: Cloud
    site: Site
    runner: StackRunner
    observe: Callable[[], ObservedState]
    name: str = "pulumi"
    stacks: list[StackSummary] = field(default_factory=list)

    def apply(
        self, plan: Plan, desired: DesiredState, observed: ObservedState, progress: Progress | None
    ) -> ApplyResult:
        from berth_cloud import ApplyResult
        from berth_cloud.engine import Applied
        from berth_stacks.types import beyond_pulumi

        self.stacks = self.runner.apply_site(self.site, desired)
        left = {c.key for c in beyond_pulumi(plan.changes)}
        by_pulumi = [Applied(c.key, c.action, None) for c in plan.changes if c.action != "no-op"]
        result = ApplyResult(applied=[a for a in by_pulumi if a.key not in left])
        rest = self.finish_beyond_pulumi(desired, progress)
        if rest is not None:
            result.applied += rest.applied
            result.requests += rest.requests
        return result

    def finish_beyond_pulumi(self, desired: DesiredState, progress: Progress | None) -> ApplyResult | None:
        from berth_cloud import apply as engine_apply
        from berth_core.plan import make_plan
        from berth_stacks.types import beyond_pulumi

        observed = self.observe()
        plan = make_plan(self.site.name, desired, observed)
        rest = replace(plan, changes=beyond_pulumi(plan.changes))
        if not rest.has_changes:
            return None
        return engine_apply(self.cloud, rest, desired, observed, progress=progress)


def engine_factory(ctx: SiteContext, chosen: str, cloud: Cloud) -> Callable[[Site], Engine]:
    """The engine `--engine` chose, built for the site once the workflow has loaded it."""

    def direct(site: Site) -> Engine:
        return DirectEngine(cloud)

    def pulumi(site: Site) -> Engine:
        from berth_cli.services.planning import observe_site
        from berth_stacks.runner import PulumiRunner

        runner = PulumiRunner(
            ctx.site,
            ctx.state_dir / "pulumi",
            cloud=cloud.name,
            region=site.spec.region,
            clouds_yaml=ctx.clouds_yaml,
        )
        return PulumiEngine(cloud, site, runner, observe=lambda: observe_site(cloud, site))

    return pulumi if chosen == "pulumi" else direct
