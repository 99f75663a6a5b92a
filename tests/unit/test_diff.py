"""Diff: create/update/delete/no-op, ownership rules for deletes, dependency order; properties."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from berth_core.diff import diff
from berth_core.plan import make_plan, simulate
from berth_core.state import DesiredState, ObservedState, Resource


def res(
    key: str, tenant: str = "t", deps: tuple[str, ...] = (), managed: bool = True, **attrs: object
) -> Resource:
    return Resource(key, tenant, attrs, deps, managed)


DESIRED = DesiredState.of(
    [
        res("project/t", name="t"),
        res("network/t/app", deps=("project/t",), name="app"),
        res("subnet/t/app", deps=("network/t/app",), cidr="10.64.0.0/24", gatewayIp="10.64.0.1"),
        res("secgroup/t/web", deps=("project/t",), name="web", description=""),
    ],
    ["t"],
)


def observed(*resources: Resource) -> ObservedState:
    return ObservedState.of(resources, {r.tenant for r in resources})


def test_everything_is_created_against_an_empty_cloud_dependencies_first() -> None:
    changes = diff(DESIRED, ObservedState())
    assert [c.action for c in changes] == ["create"] * 4
    order = [c.key for c in changes]
    assert order.index("project/t") < order.index("network/t/app") < order.index("subnet/t/app")


def test_no_changes_against_itself() -> None:
    assert {c.action for c in diff(DESIRED, ObservedState.of(DESIRED.resources.values(), ["t"]))} == {"no-op"}


def test_extra_observed_attributes_are_ignored_changed_ones_update() -> None:
    have = observed(
        *[r for k, r in DESIRED.resources.items() if k != "secgroup/t/web"],
        res("secgroup/t/web", deps=("project/t",), name="web", description="old", id="abc"),
    )
    (change,) = [c for c in diff(DESIRED, have) if c.action != "no-op"]
    assert (change.action, change.key, change.changed, change.replace) == (
        "update",
        "secgroup/t/web",
        ("description",),
        False,
    )


def test_immutable_attribute_change_is_a_replacement() -> None:
    have = observed(
        *[r for k, r in DESIRED.resources.items() if k != "subnet/t/app"],
        res("subnet/t/app", deps=("network/t/app",), cidr="10.64.9.0/24", gatewayIp="10.64.9.1"),
    )
    (change,) = [c for c in diff(DESIRED, have) if c.action != "no-op"]
    assert change.replace and change.changed == ("cidr", "gatewayIp")


def test_delete_only_managed_resources_of_present_tenants_children_first() -> None:
    have = observed(
        *DESIRED.resources.values(),
        res("network/t/old", deps=("project/t",), name="old"),
        res("subnet/t/old", deps=("network/t/old",), cidr="10.64.5.0/24"),
        res("network/t/handmade", managed=False, name="handmade"),  # not berth's: never deleted
        res("project/other", tenant="other", name="other"),  # no manifest in this run: kept
    )
    deletes = [c.key for c in diff(DESIRED, have) if c.action == "delete"]
    assert deletes == ["subnet/t/old", "network/t/old"]


keys = st.sampled_from(["project/t", "network/t/a", "network/t/b", "subnet/t/a", "project/u", "secgroup/u/x"])
resources = st.builds(
    lambda key, value, managed: Resource(key, key.split("/")[1], {"v": value}, (), managed),
    keys,
    st.integers(0, 3),
    st.booleans(),
)
states = st.lists(resources, max_size=6, unique_by=lambda r: r.key)


@settings(max_examples=300)
@given(states, states, st.sampled_from([["t"], ["u"], ["t", "u"]]))
def test_applying_the_plan_yields_the_desired_state(
    want: list[Resource], have: list[Resource], tenants: list[str]
) -> None:
    desired = DesiredState.of(
        [Resource(r.key, r.tenant, r.attrs) for r in want if r.tenant in tenants], tenants
    )
    before = ObservedState.of(have, {r.tenant for r in have})
    after = simulate(make_plan("s", desired, before), before)
    assert not any(c.action != "no-op" for c in diff(desired, after))
    for key, r in after.resources.items():
        if key in desired.resources:
            assert dict(r.attrs) == dict(desired.resources[key].attrs)
        else:  # what survives is exactly what the plan may not delete
            assert not r.managed or r.tenant not in tenants
            assert before.resources[key] == r
    for key, r in before.resources.items():  # nothing unowned, nothing of an absent tenant, is ever deleted
        if not r.managed or r.tenant not in tenants:
            assert key in after.resources


@given(states)
def test_diff_of_a_state_with_itself_has_no_changes(rs: list[Resource]) -> None:
    desired = DesiredState.of(
        [Resource(r.key, r.tenant, r.attrs, r.depends_on) for r in rs], {r.tenant for r in rs}
    )
    assert all(
        c.action == "no-op"
        for c in diff(desired, ObservedState.of(desired.resources.values(), desired.tenants))
    )
