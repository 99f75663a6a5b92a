"""The direct engine's own logic (no cloud): which changes still need executing, in which order."""

from __future__ import annotations

from berth_cloud.engine import HANDLERS, effective_change, pending_changes
from berth_core.diff import Change
from berth_core.plan import make_plan
from berth_core.state import DesiredState, ObservedState, Resource

PROJECT = Resource("project/t-1", "t-1", {"name": "t-1", "enabled": True})
NET = Resource("network/t-1/app", "t-1", {"name": "app", "project": "project/t-1"}, ("project/t-1",))


def _subnet(cidr: str) -> Resource:
    return Resource(
        "subnet/t-1/app",
        "t-1",
        {"name": "app", "cidr": cidr, "network": "network/t-1/app"},
        ("network/t-1/app",),
    )


ROUTER = Resource("router/t-1", "t-1", {"name": "t-1-router", "project": "project/t-1"}, ("project/t-1",))
IFACE = Resource(
    "router-interface/t-1/app",
    "t-1",
    {"router": "router/t-1", "subnet": "subnet/t-1/app"},
    ("router/t-1", "subnet/t-1/app"),
)


def _observed(*resources: Resource) -> ObservedState:
    return ObservedState.of(
        (Resource(r.key, r.tenant, r.attrs, r.depends_on, True, "id-" + r.key) for r in resources), ["t-1"]
    )


def test_every_kind_of_both_states_has_an_executor():
    from berth_core.platform import PLATFORM_KINDS
    from berth_core.state import KINDS

    assert set(KINDS) | set(PLATFORM_KINDS) == set(HANDLERS)


def test_a_create_of_something_that_now_exists_unchanged_is_skipped():
    change = Change("create", NET.key, "t-1", None, NET.attrs, (), False, NET.depends_on)
    assert effective_change(change, _observed(NET)) is None


def test_a_create_of_something_that_exists_differently_becomes_an_update():
    change = Change("create", NET.key, "t-1", None, {**NET.attrs, "name": "app2"}, (), False, NET.depends_on)
    needed = effective_change(change, _observed(NET))
    assert needed is not None and needed.action == "update" and needed.changed == ("name",)


def test_a_delete_of_something_gone_is_skipped_and_an_update_of_something_gone_creates():
    assert effective_change(Change("delete", NET.key, "t-1", NET.attrs, None), _observed()) is None
    update = Change("update", NET.key, "t-1", NET.attrs, {**NET.attrs, "name": "x"}, ("name",))
    assert effective_change(update, _observed()).action == "create"


def test_re_applying_an_applied_plan_executes_nothing():
    desired = DesiredState.of([PROJECT, NET, _subnet("10.64.0.0/24"), ROUTER, IFACE], ["t-1"])
    plan = make_plan("aio", desired, ObservedState.of([], ["t-1"]))
    assert sum(len(cs) for cs in pending_changes(plan, ObservedState.of([], ["t-1"])).values()) == 5
    after = _observed(*desired.resources.values())
    assert pending_changes(plan, after) == {}


def test_a_replaced_subnet_gets_its_router_interface_back():
    observed = _observed(PROJECT, NET, _subnet("10.64.0.0/24"), ROUTER, IFACE)
    desired = DesiredState.of([PROJECT, NET, _subnet("10.64.1.0/24"), ROUTER, IFACE], ["t-1"])
    plan = make_plan("aio", desired, observed)
    order = [(c.key, c.action, c.replace) for c in pending_changes(plan, observed)["t-1"]]
    assert order == [
        ("subnet/t-1/app", "update", True),
        ("router-interface/t-1/app", "update", True),
    ]


def test_changes_are_grouped_per_tenant_in_plan_order():
    other = Resource("project/t-2", "t-2", {"name": "t-2"})
    desired = DesiredState.of([PROJECT, NET, other], ["t-1", "t-2"])
    plan = make_plan("aio", desired, ObservedState.of([], ["t-1", "t-2"]))
    pending = pending_changes(plan, ObservedState.of([], ["t-1", "t-2"]))
    assert [c.key for c in pending["t-1"]] == ["project/t-1", "network/t-1/app"]
    assert [c.key for c in pending["t-2"]] == ["project/t-2"]


def test_a_saved_plan_carries_the_desired_state_apply_needs():
    from berth_cloud.engine import desired_from_plan
    from berth_core.plan import Plan

    desired = DesiredState.of([PROJECT, NET], ["t-1"])
    stale = Resource("network/t-1/old", "t-1", {"name": "old"}, ("project/t-1",))
    plan = make_plan("aio", desired, _observed(PROJECT, stale))
    rebuilt = desired_from_plan(Plan.from_json(plan.to_json()))
    assert {k: dict(r.attrs) for k, r in rebuilt.resources.items()} == {
        k: dict(r.attrs) for k, r in desired.resources.items()
    }
    assert rebuilt.tenants == ("t-1",)


def test_the_graph_runs_independent_work_side_by_side():
    from berth_cloud.schedule import dependency_graph

    quota = Resource("quota/t-1", "t-1", {"project": "project/t-1"}, ("project/t-1",))
    desired = DesiredState.of([PROJECT, quota, NET, _subnet("10.64.0.0/24"), ROUTER, IFACE], ["t-1"])
    plan = make_plan("aio", desired, ObservedState.of([], ["t-1"]))
    waits = dependency_graph(pending_changes(plan, ObservedState.of([], ["t-1"]))["t-1"])
    assert waits["project/t-1"] == set()
    assert waits["quota/t-1"] == {"project/t-1"}
    # limits first (neutron counts in-flight creations as used), then network and router side by side
    assert waits["network/t-1/app"] == waits["router/t-1"] == {"project/t-1", "quota/t-1"}
    assert waits["router-interface/t-1/app"] == {"router/t-1", "subnet/t-1/app", "quota/t-1"}


def test_deletes_wait_for_the_tenants_creates_and_for_what_depends_on_them():
    from berth_cloud.schedule import dependency_graph, dependents_of, downstream

    observed = _observed(PROJECT, NET, _subnet("10.64.0.0/24"), ROUTER, IFACE)
    other = Resource("network/t-1/web", "t-1", {"name": "web", "project": "project/t-1"}, ("project/t-1",))
    desired = DesiredState.of([PROJECT, other], ["t-1"])  # app network, its subnet, router, interface go
    plan = make_plan("aio", desired, observed)
    waits = dependency_graph(pending_changes(plan, observed)["t-1"])
    assert waits["router-interface/t-1/app"] == {"network/t-1/web"}
    assert waits["subnet/t-1/app"] == {"network/t-1/web", "router-interface/t-1/app"}
    assert waits["router/t-1"] == {"network/t-1/web", "router-interface/t-1/app"}
    assert waits["network/t-1/app"] == {"network/t-1/web", "subnet/t-1/app"}
    # a failed interface removal holds back the subnet, router and network deletes, nothing else
    assert downstream(["router-interface/t-1/app"], dependents_of(waits)) == {
        "subnet/t-1/app",
        "router/t-1",
        "network/t-1/app",
    }


def test_importing_berth_cloud_leaves_openstacksdk_unloaded():
    import subprocess
    import sys

    code = "import sys, berth_cloud; print(sorted(m for m in ('openstack', 'keystoneauth1') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_platform_plan_needs_an_observation_that_covers_the_platform():
    import pytest

    from berth_cloud.engine import apply
    from berth_core.errors import OpenStackError
    from berth_core.platform import PLATFORM_TENANT

    flavor = Resource("flavor/m1.tiny", PLATFORM_TENANT, {"name": "m1.tiny", "vcpus": 1})
    desired = DesiredState.of([flavor], [PLATFORM_TENANT])
    blind = ObservedState.of([], ["t-1"])  # observed without the platform: every platform key looks absent
    plan = make_plan("aio", desired, blind)
    with pytest.raises(OpenStackError, match="does not cover it"):
        apply(None, plan, desired, blind)  # refused before any request
