"""The direct engine: apply a Plan to OpenStack through openstacksdk's proxies.

Order: the platform before any tenant; then every change as soon as what it waits for is done
(berth_cloud.schedule: dependencies first, a tenant's deletes after its creates, in reverse
dependency order), on a bounded pool, so one tenant's nova and cinder quotas are written while its
networks are made and tenants go side by side. Every change is re-checked against the observed state given to apply, so
re-applying an applied plan changes nothing and an interrupted apply converges on a re-run: a create
whose resource already exists becomes a no-op (or an update), a delete of something gone is skipped.
A failing change skips only what waits for it; apply then raises ApplyFailed naming the resource key.
Before the first write, every name the changes refer to is checked (berth_cloud.references).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Literal

from berth_cloud import executors_domains as dom
from berth_cloud import executors_identity as ident
from berth_cloud import executors_network as net
from berth_cloud import executors_platform as plat
from berth_cloud.connection import Cloud
from berth_cloud.context import ApplyContext
from berth_cloud.http import DEFAULT_RETRY, RetryPolicy
from berth_cloud.references import UnmetReferences, unmet_references
from berth_cloud.schedule import dependency_graph, dependents_of, downstream
from berth_core.convergence import rule
from berth_core.diff import Change, diff
from berth_core.errors import BerthError, OpenStackError
from berth_core.plan import Plan
from berth_core.platform import PLATFORM_TENANT
from berth_core.state import DesiredState, ObservedState, Resource, State

Create = Callable[[ApplyContext, Change], str]
Update = Callable[[ApplyContext, Change, str], None]
Delete = Callable[[ApplyContext, Change, str], None]


def _nothing(ctx: ApplyContext, change: Change, ref: str) -> None:
    """Quota classes are never deleted (the cloud always has a default class)."""


HANDLERS: dict[str, tuple[Create, Update, Delete]] = {
    "project": (ident.project_create, ident.project_update, ident.project_delete),
    "quota": (ident.quota_create, ident.quota_update, ident.quota_delete),
    "network": (net.network_create, net.network_update, net.network_delete),
    "subnet": (net.subnet_create, net.subnet_update, net.subnet_delete),
    "router": (net.router_create, net.router_update, net.router_delete),
    "router-interface": (net.interface_create, lambda c, ch, r: None, net.interface_delete),
    "secgroup": (net.secgroup_create, net.secgroup_update, net.secgroup_delete),
    "secgroup-rule": (net.rule_create, lambda c, ch, r: None, net.rule_delete),
    "role-assignment": (ident.role_create, lambda c, ch, r: None, ident.role_delete),
    "flavor-access": (ident.flavor_access_create, lambda c, ch, r: None, ident.flavor_access_delete),
    "external-network": (plat.external_network_create, plat.external_network_update, net.network_delete),
    "external-subnet": (plat.external_subnet_create, plat.external_subnet_update, net.subnet_delete),
    "subnet-pool": (plat.subnet_pool_create, plat.subnet_pool_update, plat.subnet_pool_delete),
    "flavor": (plat.flavor_create, plat.flavor_update, plat.flavor_delete),
    "quota-class": (plat.quota_class_write, plat.quota_class_update, _nothing),
    "domain": (dom.domain_create, dom.domain_update, dom.domain_keep),
    "domain-grant": (dom.grant_create, lambda c, ch, r: None, dom.grant_delete),
}

Status = Literal["start", "done", "failed", "skipped"]


@dataclass(frozen=True)
class ProgressEvent:
    """Sent to the progress callback (from worker threads) before and after each change."""

    key: str
    tenant: str
    action: str
    status: Status
    done: int
    total: int
    message: str = ""


ProgressCallback = Callable[[ProgressEvent], None]


@dataclass(frozen=True)
class Applied:
    key: str
    action: str
    ref: str | None


@dataclass(frozen=True)
class Failed:
    key: str
    tenant: str
    message: str


@dataclass
class ApplyResult:
    applied: list[Applied] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # keys not attempted after their tenant failed
    requests: int = 0  # HTTP requests sent during apply

    @property
    def ok(self) -> bool:
        return not self.failed

    def counts(self) -> dict[str, int]:
        out = {"create": 0, "update": 0, "delete": 0}
        for a in self.applied:
            out[a.action] = out.get(a.action, 0) + 1
        return out


class ApplyFailed(OpenStackError):
    """Some changes failed (exit 5); `result` says what was applied, what failed, what was skipped."""

    def __init__(self, result: ApplyResult) -> None:
        first = result.failed[0]
        more = f" (and {len(result.failed) - 1} more)" if len(result.failed) > 1 else ""
        super().__init__(
            f"{first.message}{more}",
            hint="fix the cause and re-run: berth converges from where it stopped, without duplicates",
        )
        self.result = result


def effective_change(change: Change, observed: State) -> Change | None:
    """The change still needed given what the cloud holds now (None: nothing to do)."""
    have = observed.resources.get(change.key)
    if change.action == "no-op":
        return None
    if change.action == "delete":
        return change if have is not None else None
    want = Resource(change.key, change.tenant, dict(change.after or {}), change.depends_on)
    fresh = diff(State.of([want], [change.tenant]), ObservedState.of([have] if have else [], [change.tenant]))
    needed = [c for c in fresh if c.key == change.key and c.action != "no-op"]
    return needed[0] if needed else None


def _with_interface_replacements(changes: list[Change], plan: Plan, observed: State) -> list[Change]:
    """A replaced subnet loses its router interface: re-attach it right after (when not planned)."""
    planned = {c.key for c in changes}
    by_key = {c.key: c for c in plan.changes}
    out: list[Change] = []
    for change in changes:
        out.append(change)
        if change.kind != "subnet" or not change.replace:
            continue
        _, slug, name = change.key.split("/", 2)
        ri_key = f"router-interface/{slug}/{name}"
        ri = by_key.get(ri_key)
        have = observed.resources.get(ri_key)
        if ri_key in planned or ri is None or ri.after is None or have is None:
            continue
        out.append(
            Change("update", ri_key, ri.tenant, have.attrs, ri.after, ("subnet",), True, ri.depends_on)
        )
    return out


class _Runner:
    def __init__(self, ctx: ApplyContext, total: int, progress: ProgressCallback | None) -> None:
        self.ctx = ctx
        self.total = total
        self.progress = progress
        self.result = ApplyResult()
        self._done = 0
        self._lock = threading.Lock()

    def _emit(self, change: Change, status: Status, message: str = "") -> None:
        if self.progress is not None:
            self.progress(
                ProgressEvent(
                    change.key, change.tenant, change.action, status, self._done, self.total, message
                )
            )

    def _execute(self, change: Change) -> str | None:
        create, update, delete = HANDLERS[change.kind]
        ctx = self.ctx
        if change.action == "create":
            ref = create(ctx, change)
            ctx.remember(change.key, ref)
            return ref
        ref = ctx.ref(change.key)
        if change.action == "delete":
            delete(ctx, change, ref)
            return ref
        if change.replace and rule(change.kind).never_replaced:  # refused at plan time already
            update(ctx, change, ref)  # raises with the reason
        if change.replace and change.kind != "flavor":
            delete(ctx, change, ref)
            ref = create(ctx, change)
            ctx.remember(change.key, ref)
            return ref
        update(ctx, change, ref)
        return ctx.refs.get(change.key, ref)

    def _one(self, change: Change) -> bool:
        """Execute one change; False when it failed (recorded, with OpenStack's message)."""
        self._emit(change, "start")
        try:
            ref = self._execute(change)
        except BerthError as error:
            message = error.message if change.key in error.message else f"{change.key}: {error.message}"
            self._fail(change, message)
            return False
        except (KeyError, ValueError, TypeError) as error:  # an answer not shaped as documented
            self._fail(change, f"{change.key}: unexpected answer ({type(error).__name__}: {error})")
            return False
        with self._lock:
            self._done += 1
            self.result.applied.append(Applied(change.key, change.action, ref))
        self._emit(change, "done")
        return True

    def _fail(self, change: Change, message: str) -> None:
        with self._lock:
            self._done += 1
            self.result.failed.append(Failed(change.key, change.tenant, message))
        self._emit(change, "failed", message)

    def skip(self, changes: Iterable[Change]) -> None:
        for change in changes:
            with self._lock:
                self.result.skipped.append(change.key)
            self._emit(change, "skipped")

    def run(self, changes: Sequence[Change], workers: int) -> None:
        """Each change as soon as what it waits for is done; dependents of a failure are skipped."""
        if not changes:
            return
        by_key = {c.key: c for c in changes}
        position = {c.key: i for i, c in enumerate(changes)}
        waits = dependency_graph(changes)
        dependents = dependents_of(waits)
        ready = sorted((k for k, deps in waits.items() if not deps), key=position.__getitem__)
        finished: set[str] = set()
        with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="berth-apply") as pool:
            running: dict[Future[bool], str] = {}
            try:
                while ready or running:
                    while ready and len(running) < workers:
                        key = ready.pop(0)
                        running[pool.submit(self._one, by_key[key])] = key
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        key = running.pop(future)
                        finished.add(key)
                        if not future.result():
                            doomed = downstream([key], dependents) - finished
                            self.skip(by_key[k] for k in sorted(doomed, key=position.__getitem__))
                            finished |= doomed
                            continue
                        for child in dependents[key]:
                            waits[child].discard(key)
                            if not waits[child] and child not in finished:
                                ready.append(child)
                        ready.sort(key=position.__getitem__)
            except BaseException:  # Ctrl-C or a failing progress callback: no new change starts
                for future in running:
                    future.cancel()
                raise


def desired_from_plan(plan: Plan) -> DesiredState:
    """The desired resources a saved plan carries (its creates, updates and no-ops), for `apply`."""
    kept = [
        Resource(c.key, c.tenant, dict(c.after), c.depends_on) for c in plan.changes if c.after is not None
    ]
    return DesiredState.of(kept, plan.tenants)


def pending_changes(plan: Plan, observed: State) -> dict[str, list[Change]]:
    """Per tenant, in plan order, the changes apply would still execute against `observed`."""
    by_tenant: dict[str, list[Change]] = {}
    for change in plan.changes:
        needed = effective_change(change, observed)
        if needed is not None:
            by_tenant.setdefault(needed.tenant, []).append(needed)
    return {t: _with_interface_replacements(cs, plan, observed) for t, cs in by_tenant.items()}


def apply(
    cloud: Cloud,
    plan: Plan,
    desired: State,
    observed: State,
    *,
    progress: ProgressCallback | None = None,
    workers: int = 6,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> ApplyResult:
    """Apply `plan` (made from `desired` and `observed`); raises ApplyFailed if any change failed."""
    if PLATFORM_TENANT not in observed.tenants and any(c.tenant == PLATFORM_TENANT for c in plan.changes):
        raise OpenStackError(
            "the plan changes the platform but the observed state does not cover it",
            hint="observe with with_platform=True (or 'platform' among the tenants) before planning and applying",
        )
    by_tenant = pending_changes(plan, observed)
    pending = [c for cs in by_tenant.values() for c in cs]
    unmet = unmet_references(cloud, plan.changes, pending, desired, observed)
    if unmet:  # before the first write: an input the cloud cannot satisfy never leaves a half-made tenant
        raise UnmetReferences(unmet)
    total = len(pending)
    ctx = ApplyContext(cloud, desired, observed, retry)
    runner = _Runner(ctx, total, progress)
    with cloud.counter.measure() as tally:
        platform = [c for cs in by_tenant.values() for c in cs if c.tenant == PLATFORM_TENANT]
        tenants = [c for t, cs in by_tenant.items() if t != PLATFORM_TENANT for c in cs]
        runner.run(platform, workers)  # tenants rely on the platform's flavors, networks and pools
        if runner.result.ok:
            runner.run(tenants, workers)
        else:
            runner.skip(tenants)
    runner.result.requests = tally.count
    if not runner.result.ok:
        raise ApplyFailed(runner.result)
    return runner.result
