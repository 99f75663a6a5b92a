"""AgencyTenant under Pulumi's mock runtime: types, inputs, parents, dependency edges, lookups."""

from __future__ import annotations

from dataclasses import replace

import pulumi
import pytest

from berth_core.errors import ExitCode, PulumiFailed
from berth_core.quota_fields import QUOTA_FIELDS, UNLIMITED
from berth_core.state import DesiredState, Resource
from berth_stacks.tenant import AgencyTenant
from berth_stacks.types import TENANT_COMPONENT
from tests.stacks.expectations import (
    EXAMPLE_SLUGS,
    QUOTA_TYPE_BY_SERVICE,
    expected_registrations,
    referenced_keys,
    wire_name,
)
from tests.stacks.mocks import invoke_id, resource_id


def register(run_program, desired: DesiredState, slug: str):
    return run_program(lambda: AgencyTenant(slug, desired).urn)


def test_every_resource_is_a_child_of_the_component(run_program, example_desired) -> None:
    monitor = register(run_program, example_desired, "so-y-te")
    (component,) = monitor.of_type(TENANT_COMPONENT)
    assert component.name == "so-y-te"
    children = monitor.custom()
    assert len(children) > 10
    assert {c.parent for c in children} == {component.urn}


@pytest.mark.parametrize("slug", EXAMPLE_SLUGS)
def test_every_quota_field_is_set_in_native_names_and_units(run_program, example_desired, slug) -> None:
    monitor = register(run_program, example_desired, slug)
    values = example_desired.resources[f"quota/{slug}"].attrs["values"]
    by_name = monitor.by_name()
    project_id = resource_id(f"project/{slug}")
    for service, type_ in QUOTA_TYPE_BY_SERVICE.items():
        reg = by_name[f"quota/{slug}/{service}"]
        assert reg.type == type_
        fields = [f for f in QUOTA_FIELDS if f.service == service]
        expected = {
            wire_name(f.native): values[f.name] if values[f.name] == UNLIMITED else values[f.name] * f.scale
            for f in fields
        }
        # exactly berth's fields, none left for the provider to fill, none invented
        assert reg.inputs == {**expected, "projectId": project_id}


def test_ram_is_written_in_mib(run_program, example_desired) -> None:
    monitor = register(run_program, example_desired, "so-y-te")
    ram_gib = example_desired.resources["quota/so-y-te"].attrs["values"]["ramGiB"]
    assert monitor.by_name()["quota/so-y-te/compute"].inputs["ram"] == ram_gib * 1024


def test_unlimited_stays_minus_one_in_every_unit(run_program, example_desired) -> None:
    quota = example_desired.resources["quota/so-y-te"]
    unlimited = replace(quota, attrs={**quota.attrs, "values": {**quota.attrs["values"], "ramGiB": -1}})
    mine = example_desired.for_tenants(["so-y-te"]).resources.values()
    desired = DesiredState.of([unlimited if r.key == quota.key else r for r in mine])
    monitor = register(run_program, desired, "so-y-te")
    assert monitor.by_name()["quota/so-y-te/compute"].inputs["ram"] == -1


@pytest.mark.parametrize("slug", EXAMPLE_SLUGS)
def test_dependencies_follow_the_desired_edges(run_program, example_desired, slug) -> None:
    monitor = register(run_program, example_desired, slug)
    urn_to_name = {r.urn: r.name for r in monitor.custom()}
    mine = example_desired.for_tenants([slug]).resources
    keys = set(mine)
    for reg in monitor.custom():
        key = reg.name.rsplit("/", 1)[0] if reg.name.startswith("quota/") else reg.name
        res = mine[key]
        deps = {urn_to_name[u] for u in reg.dependencies}
        assert set(res.depends_on) <= deps, reg.name  # every desired edge is an explicit one
        # and nothing else: the rest are the resources its inputs take ids from
        assert deps == set(res.depends_on) | referenced_keys(res, keys), reg.name


def test_project_subnet_and_router_inputs_come_from_the_desired_state(run_program, example_desired) -> None:
    monitor = register(run_program, example_desired, "so-y-te")
    by_name = monitor.by_name()
    project = example_desired.resources["project/so-y-te"].attrs
    assert by_name["project/so-y-te"].inputs == {
        "name": "so-y-te",
        "description": project["description"],
        "domainId": invoke_id("openstack:identity/getProject:getProject", "Default"),
        "enabled": True,
        # the agency rides on a tag: identity.Project cannot write keystone's extra attributes
        "tags": ["berth:agency=SYT", "berth:managed", "berth:tenant=so-y-te"],
    }
    assert project["description"] == "Sở Y tế Hải Phòng"  # Vietnamese reaches Keystone intact

    for net in ("app", "db"):
        subnet = example_desired.resources[f"subnet/so-y-te/{net}"].attrs
        inputs = by_name[f"subnet/so-y-te/{net}"].inputs
        assert inputs["cidr"] == subnet["cidr"]
        assert inputs["gatewayIp"] == subnet["gatewayIp"]
        assert inputs["allocationPools"] == subnet["allocationPools"]
        assert inputs["networkId"] == resource_id(f"network/so-y-te/{net}")
        assert inputs["tenantId"] == resource_id("project/so-y-te")
        assert inputs["subnetpoolId"] == invoke_id(
            "openstack:networking/getSubnetPool:getSubnetPool", "tenant-v4"
        )
    assert by_name["subnet/so-y-te/db"].inputs["cidr"] == "10.79.9.0/25"  # the manifest's explicit CIDR

    router = by_name["router/so-y-te"].inputs
    assert router["externalNetworkId"] == invoke_id("openstack:networking/getNetwork:getNetwork", "public")
    assert router["enableSnat"] is True
    interface = by_name["router-interface/so-y-te/app"].inputs
    assert interface == {
        "routerId": resource_id("router/so-y-te"),
        "subnetId": resource_id("subnet/so-y-te/app"),
    }


def test_internal_router_has_no_gateway(run_program, example_desired) -> None:
    internal = [
        r.tenant
        for r in example_desired.resources.values()
        if r.kind == "router" and r.attrs["externalNetwork"] is None
    ]
    assert internal, "the examples include a tenant with an internal-only router"
    monitor = register(run_program, example_desired, internal[0])
    inputs = monitor.by_name()[f"router/{internal[0]}"].inputs
    assert "externalNetworkId" not in inputs
    assert "enableSnat" not in inputs


def test_security_groups_hold_exactly_the_manifest_rules(run_program, example_desired) -> None:
    monitor = register(run_program, example_desired, "so-y-te")
    by_name = monitor.by_name()
    for name in ("web", "db"):  # no egress rules stated: Neutron's default egress stays
        assert by_name[f"secgroup/so-y-te/{name}"].inputs["deleteDefaultRules"] is False
    rules = {k: r for k, r in example_desired.resources.items() if k.startswith("secgroup-rule/so-y-te/")}
    assert len(rules) == 3
    for key, rule in rules.items():
        inputs = by_name[key].inputs
        a = rule.attrs
        assert inputs["direction"] == a["direction"]
        assert inputs["ethertype"] == "IPv4"
        assert inputs.get("protocol") == a["protocol"]
        assert inputs.get("portRangeMin") == a["portRangeMin"]
        assert inputs.get("portRangeMax") == a["portRangeMax"]
        assert inputs.get("remoteIpPrefix") == a["remoteIpPrefix"]
        assert inputs["securityGroupId"] == resource_id(a["secgroup"])
        if a["remoteGroup"] is None:
            assert "remoteGroupId" not in inputs
        else:
            assert inputs["remoteGroupId"] == resource_id(a["remoteGroup"])
    # the db group admits postgres from the web group only
    (postgres,) = [by_name[k].inputs for k, r in rules.items() if r.attrs["portRangeMin"] == 5432]
    assert postgres["remoteGroupId"] == resource_id("secgroup/so-y-te/web")


def test_members_and_private_flavors_are_looked_up_by_name(run_program, mocks, example_desired) -> None:
    monitor = register(run_program, example_desired, "so-y-te")
    by_name = monitor.by_name()
    user = by_name["role-assignment/so-y-te/user:nguyen.van.an/member"].inputs
    assert user == {
        "projectId": resource_id("project/so-y-te"),
        "roleId": invoke_id("openstack:identity/getRole:getRole", "member"),
        "userId": invoke_id("openstack:identity/getUser:getUser", "nguyen.van.an"),
    }
    group = by_name["role-assignment/so-y-te/group:syt-auditors/reader"].inputs
    assert group["groupId"] == invoke_id("openstack:identity/getGroup:getGroup", "syt-auditors")
    assert group["roleId"] == invoke_id("openstack:identity/getRole:getRole", "reader")
    access = by_name["flavor-access/so-y-te/db.large"].inputs
    assert access == {
        "flavorId": invoke_id("openstack:compute/getFlavor:getFlavor", "db.large"),
        "tenantId": resource_id("project/so-y-te"),
    }
    calls = mocks[0].calls
    users = [c for c in calls if c.token == "openstack:identity/getUser:getUser"]
    assert users[0].args["domainId"] == invoke_id("openstack:identity/getProject:getProject", "Default")
    flavors = [c for c in calls if c.token == "openstack:compute/getFlavor:getFlavor"]
    assert flavors[0].args == {"name": "db.large", "isPublic": False}


def test_each_name_is_looked_up_once(run_program, mocks, example_desired) -> None:
    register(run_program, example_desired, "kho-du-lieu-dung-chung")
    asked = [(c.token, c.args["name"]) for c in mocks[0].calls]
    assert asked, "the tenant looks something up"
    assert len(asked) == len(set(asked))


def test_a_tenant_registers_only_its_own_resources(run_program, example_desired) -> None:
    monitor = register(run_program, example_desired, "so-tai-chinh")
    assert all("/so-tai-chinh" in r.name for r in monitor.custom())


def test_a_tenant_without_project_is_refused(example_desired) -> None:
    with pytest.raises(PulumiFailed) as caught:
        AgencyTenant("khong-co", example_desired)
    assert caught.value.exit_code == ExitCode.PULUMI_FAILED
    assert "khong-co" in str(caught.value)


def test_an_unknown_kind_is_refused_not_dropped(mocks, example_desired) -> None:
    extra = Resource(
        "load-balancer/so-y-te/web", "so-y-te", {"project": "project/so-y-te"}, ("project/so-y-te",)
    )
    desired = DesiredState.of([*example_desired.for_tenants(["so-y-te"]).resources.values(), extra])
    with pytest.raises(PulumiFailed, match="load-balancer"):
        AgencyTenant("so-y-te", desired)


def test_berth_stacks_names_a_quota_as_the_independent_expectation_does(example_desired) -> None:
    """berth_stacks' own naming (pulumi_names) against the table written apart from it, for every kind."""
    from berth_stacks.types import pulumi_names

    for res in example_desired.resources.values():
        if res.tenant != "platform":
            assert set(pulumi_names(res.key)) == {name for _, name in expected_registrations(res)}, res.key


@pytest.mark.parametrize("slug", ["so-y-te", "kho-du-lieu-dung-chung"])
def test_explicit_depends_on_are_the_desired_edges(run_program, example_desired, slug) -> None:
    """The engine's dependencies above also hold implicit ones (ids passed as inputs); the explicit
    depends_on each child is given must be the desired edges themselves, seen by a transformation."""
    explicit: dict[str, set[str]] = {}

    def record(args: pulumi.ResourceTransformationArgs) -> None:
        deps = args.opts.depends_on or []
        explicit[args.name] = {d._name for d in deps}
        return None

    opts = pulumi.ResourceOptions(transformations=[record])
    run_program(lambda: AgencyTenant(slug, example_desired, opts=opts).urn)
    mine = example_desired.for_tenants([slug]).resources
    assert explicit.pop(slug) == set()  # the component itself
    assert len(explicit) > len(mine)  # quotas: three per desired resource
    for name, deps in explicit.items():
        key = name.rsplit("/", 1)[0] if name.startswith("quota/") else name
        assert deps == set(mine[key].depends_on), name


@pytest.mark.parametrize("slug", EXAMPLE_SLUGS)
def test_default_egress_goes_only_where_the_manifest_states_egress(
    run_program, example_desired, slug
) -> None:
    monitor = register(run_program, example_desired, slug)
    mine = example_desired.for_tenants([slug]).resources.values()
    for group in (r for r in mine if r.kind == "secgroup"):
        egress = any(
            r.kind == "secgroup-rule"
            and r.attrs["secgroup"] == group.key
            and r.attrs["direction"] == "egress"
            for r in mine
        )
        assert monitor.by_name()[group.key].inputs["deleteDefaultRules"] is egress, group.key


def test_examples_include_a_group_with_egress_rules(example_desired) -> None:
    assert any(
        r.kind == "secgroup-rule" and r.attrs["direction"] == "egress"
        for r in example_desired.resources.values()
    )
