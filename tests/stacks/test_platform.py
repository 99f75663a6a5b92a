"""Platform under the mock runtime, from berth_core.platform.build_platform: conformance with the platform's
desired state, inputs, parents and edges."""

from __future__ import annotations

import pytest

from berth_core.loader import load_site
from berth_core.platform import build_platform
from berth_core.state import Resource
from berth_stacks.platform import Platform
from berth_stacks.programs import platform_target
from berth_stacks.types import PLATFORM_COMPONENT, PLATFORM_STACK
from tests.stacks.conftest import AIO, ROOT
from tests.stacks.mocks import resource_id

HAIPHONG = ROOT / "inventory" / "haiphong" / "cloud.yml"

# platform kind -> Pulumi type, written apart from berth_stacks; None: no pulumi-openstack resource exists
PLATFORM_KIND_TYPES: dict[str, str | None] = {
    "external-network": "openstack:networking/network:Network",
    "external-subnet": "openstack:networking/subnet:Subnet",
    "subnet-pool": "openstack:networking/subnetPool:SubnetPool",
    "flavor": "openstack:compute/flavor:Flavor",
    "quota-class": None,
    "domain": "openstack:identity/project:Project",
    "domain-grant": "openstack:identity/roleAssignment:RoleAssignment",
}


def register(run_program, site_file):
    site = load_site(site_file)
    desired = build_platform(site)
    holder: dict[str, Platform] = {}

    def program():
        holder["platform"] = Platform(site.name, desired)
        return holder["platform"].urn

    return run_program(program), desired, holder["platform"]


@pytest.mark.parametrize("site_file", [AIO, HAIPHONG], ids=["aio", "haiphong"])
def test_platform_registers_exactly_its_desired_resources(run_program, site_file) -> None:
    monitor, desired, platform = register(run_program, site_file)
    kinds = {r.kind for r in desired.resources.values()}
    assert kinds <= set(PLATFORM_KIND_TYPES), f"unmapped platform kinds: {kinds - set(PLATFORM_KIND_TYPES)}"
    expected = {
        (PLATFORM_KIND_TYPES[r.kind], r.key)
        for r in desired.resources.values()
        if PLATFORM_KIND_TYPES[r.kind]
    }
    registered = [(r.type, r.name) for r in monitor.custom()]
    assert len(registered) == len(set(registered))
    assert set(registered) == expected
    # what Pulumi cannot hold is said, not silently dropped
    assert platform.not_realised == sorted(k for k, r in desired.resources.items() if r.kind == "quota-class")
    assert platform.not_realised == ["quota-class/default"]

    (component,) = monitor.of_type(PLATFORM_COMPONENT)
    assert {r.parent for r in monitor.custom()} == {component.urn}


def test_platform_inputs_on_the_devcloud(run_program) -> None:
    monitor, desired, _ = register(run_program, AIO)
    by_name = monitor.by_name()
    tags = ["berth:managed", "berth:tenant=platform"]

    net = by_name["external-network/public"]
    assert net.inputs == {
        "name": "public",
        "external": True,
        "shared": False,
        "adminStateUp": True,
        "tags": tags,
    }
    subnet = by_name["external-subnet/public"]
    assert subnet.inputs == {
        "name": "public",
        "networkId": resource_id("external-network/public"),
        "ipVersion": 4,
        "cidr": "172.24.4.0/24",
        "gatewayIp": "172.24.4.1",
        "enableDhcp": False,
        "tags": tags,
    }
    assert subnet.dependencies == {net.urn}

    pool = by_name["subnet-pool/tenant-v4"].inputs
    assert pool["prefixes"] == ["10.64.0.0/12"]
    assert (pool["minPrefixlen"], pool["defaultPrefixlen"], pool["maxPrefixlen"]) == (20, 24, 28)
    assert pool["shared"] is True
    assert pool["isDefault"] is False

    flavor = by_name["flavor/db.large"].inputs
    assert flavor == {"name": "db.large", "vcpus": 8, "ram": 32768, "disk": 200, "isPublic": False}
    assert by_name["flavor/m1.small"].inputs["isPublic"] is True
    flavors = [r for r in desired.resources.values() if r.kind == "flavor"]
    assert len(monitor.of_type("openstack:compute/flavor:Flavor")) == len(flavors)


def test_a_production_site_maps_its_physical_network(run_program) -> None:
    monitor, desired, _ = register(run_program, HAIPHONG)
    (net,) = [r for r in desired.resources.values() if r.kind == "external-network"]
    inputs = monitor.by_name()[net.key].inputs
    physical = net.attrs["physicalNetwork"]
    if physical is None:
        assert "segments" not in inputs
    else:
        assert inputs["segments"] == [{"networkType": "flat", "physicalNetwork": physical}]


def test_an_unknown_platform_kind_is_refused(mocks) -> None:
    from berth_core.errors import PulumiFailed
    from berth_core.state import DesiredState

    desired = DesiredState.of([Resource("load-balancer/x", "platform", {})], ["platform"])
    with pytest.raises(PulumiFailed, match="load-balancer"):
        Platform("aio", desired)


def test_platform_stack_program(run_program) -> None:
    target = platform_target(load_site(AIO))
    assert target.name == PLATFORM_STACK
    monitor = run_program(target.program)
    assert len(monitor.of_type(PLATFORM_COMPONENT)) == 1
    assert len(monitor.custom()) == len(build_platform(load_site(AIO)).resources) - 1  # minus quota-class
