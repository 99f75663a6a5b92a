"""Platform under the mock runtime: external network, subnet pools backing the address pools, flavors."""

from __future__ import annotations

from berth_core.loader import load_site
from berth_stacks.platform import Platform, platform_keys
from berth_stacks.programs import platform_target
from berth_stacks.types import PLATFORM_COMPONENT, PLATFORM_STACK
from tests.stacks.conftest import AIO, ROOT
from tests.stacks.mocks import resource_id


def test_platform_resources_inputs_and_parents(run_program) -> None:
    site = load_site(AIO)
    monitor = run_program(lambda: Platform(site).urn)
    (component,) = monitor.of_type(PLATFORM_COMPONENT)
    assert component.name == "aio"
    assert {r.parent for r in monitor.custom()} == {component.urn}
    by_name = monitor.by_name()
    assert sorted(by_name) == sorted(platform_keys(site))

    net = by_name["external-network/public"]
    assert net.type == "openstack:networking/network:Network"
    assert net.inputs["external"] is True
    assert "segments" not in net.inputs  # the devcloud has no physical network mapping
    subnet = by_name["external-subnet/public"]
    assert subnet.inputs["cidr"] == "172.24.4.0/24"
    assert subnet.inputs["gatewayIp"] == "172.24.4.1"
    assert subnet.inputs["enableDhcp"] is False
    assert subnet.inputs["networkId"] == resource_id("external-network/public")
    assert subnet.dependencies == {net.urn}

    pool = by_name["subnet-pool/tenant-v4"]
    assert pool.type == "openstack:networking/subnetPool:SubnetPool"
    assert pool.inputs["prefixes"] == ["10.64.0.0/12"]
    assert (pool.inputs["minPrefixlen"], pool.inputs["defaultPrefixlen"], pool.inputs["maxPrefixlen"]) == (
        20,
        24,
        28,
    )
    assert pool.inputs["shared"] is True

    flavors = {r.name: r.inputs for r in monitor.of_type("openstack:compute/flavor:Flavor")}
    assert len(flavors) == len(site.spec.flavors)
    assert flavors["flavor/db.large"] == {
        "name": "db.large",
        "vcpus": 8,
        "ram": 32768,  # MiB, as nova counts
        "disk": 200,
        "isPublic": False,
    }
    assert flavors["flavor/m1.small"]["isPublic"] is True


def test_a_production_site_maps_its_physical_network(run_program) -> None:
    site = load_site(ROOT / "inventory" / "haiphong" / "cloud.yml")
    monitor = run_program(lambda: Platform(site).urn)
    ext = site.spec.external_network
    net = monitor.by_name()[f"external-network/{ext.name}"]
    if ext.physical_network is None:
        assert "segments" not in net.inputs
    else:
        assert net.inputs["segments"] == [{"networkType": "flat", "physicalNetwork": ext.physical_network}]
    assert len(monitor.of_type("openstack:networking/subnetPool:SubnetPool")) == len(site.spec.address_pools)


def test_platform_stack_program(run_program) -> None:
    target = platform_target(load_site(AIO))
    assert target.name == PLATFORM_STACK
    monitor = run_program(target.program)
    assert len(monitor.of_type(PLATFORM_COMPONENT)) == 1
