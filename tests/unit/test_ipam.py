"""IPAM: first fit, explicit CIDRs, stable allocations, located problems; hypothesis properties."""

from __future__ import annotations

from ipaddress import IPv4Network

from hypothesis import given, settings
from hypothesis import strategies as st

from berth_core.errors import Location
from berth_core.ipam import Ledger, NetworkRequest, allocate, allocation_range, gateway
from berth_core.site import AddressPool

POOL_A = AddressPool(name="a", cidr=IPv4Network("10.64.0.0/22"), minPrefixLength=22, maxPrefixLength=28)
POOL_B = AddressPool(name="b", cidr=IPv4Network("10.65.0.0/23"), minPrefixLength=23, maxPrefixLength=28)
POOLS = (POOL_A, POOL_B)


def sized(slug: str, net: str, prefix: int) -> NetworkRequest:
    return NetworkRequest(
        slug, net, prefix_length=prefix, location=Location(f"{slug}.yaml", 3, 5, "spec.networks[0]")
    )


def explicit(slug: str, net: str, cidr: str) -> NetworkRequest:
    return NetworkRequest(
        slug, net, cidr=IPv4Network(cidr), location=Location(f"{slug}.yaml", 4, 5, "spec.networks[1].cidr")
    )


def test_first_fit_in_slug_then_network_order() -> None:
    result = allocate(POOLS, [sized("b", "x", 24), sized("a", "z", 24), sized("a", "y", 25)])
    assert result.problems == ()
    assert {k: str(v) for k, v in result.allocations.items()} == {
        ("a", "y"): "10.64.0.0/25",
        ("a", "z"): "10.64.1.0/24",  # aligned: skips the half /24 after a/y
        ("b", "x"): "10.64.2.0/24",
    }


def test_small_blocks_fill_gaps_left_by_alignment() -> None:
    result = allocate(POOLS, [sized("a", "n1", 25), sized("b", "n1", 24), sized("c", "n1", 25)])
    assert str(result.allocations[("c", "n1")]) == "10.64.0.128/25"


def test_next_pool_when_the_first_is_full_then_exhausted() -> None:
    reqs = [sized(f"t{i}", "n", 24) for i in range(7)]
    result = allocate(POOLS, reqs)
    assert str(result.allocations[("t4", "n")]) == "10.65.0.0/24"
    assert ("t6", "n") not in result.allocations
    (problem,) = result.problems
    assert problem.code == "ipam.pool_exhausted"
    assert problem.location.file == "t6.yaml"


def test_prefix_outside_every_pools_limits() -> None:
    result = allocate(POOLS, [sized("a", "n", 29)])
    assert [p.code for p in result.problems] == ["site.prefix_length_unavailable"]


def test_explicit_cidr_checked_against_pools_taken_and_each_other() -> None:
    result = allocate(
        POOLS,
        [
            explicit("a", "db", "10.64.3.0/25"),
            explicit("b", "db", "10.64.3.64/26"),  # overlaps a/db
            explicit("c", "db", "192.168.0.0/24"),  # outside every pool
            explicit("d", "db", "10.64.2.128/25"),  # overlaps the reserved prefix
        ],
        external={"public": IPv4Network("10.64.2.0/24")},
        site="plantest",
    )
    codes = {p.location.file: (p.code, p.params) for p in result.problems}
    assert codes["b.yaml"][0] == "site.cidr_overlap"
    assert codes["b.yaml"][1] == {
        "cidr": "10.64.3.64/26",
        "other": "10.64.3.0/25",
        "network": "db",
        "tenant": "a",
    }
    assert codes["c.yaml"][0] == "site.cidr_outside_pool"
    assert codes["d.yaml"] == (
        "site.external_overlap",
        {"cidr": "10.64.2.128/25", "name": "public", "external": "10.64.2.0/24"},
    )
    assert codes["c.yaml"][1]["site"] == "plantest"
    assert str(result.allocations[("a", "db")]) == "10.64.3.0/25"


def test_explicit_cidrs_are_placed_before_sized_ones() -> None:
    result = allocate(POOLS, [sized("a", "app", 24), explicit("z", "db", "10.64.0.0/24")])
    assert result.problems == ()
    assert str(result.allocations[("a", "app")]) == "10.64.1.0/24"


def test_existing_allocations_stay_when_tenants_are_added() -> None:
    first = allocate(POOLS, [sized("m", "app", 24)])
    second = allocate(POOLS, [sized("a", "app", 24), sized("m", "app", 24)], first.ledger)
    assert second.allocations[("m", "app")] == first.allocations[("m", "app")] == IPv4Network("10.64.0.0/24")
    assert str(second.allocations[("a", "app")]) == "10.64.1.0/24"


def test_absent_tenants_keep_their_space_and_removed_networks_are_released() -> None:
    ledger = Ledger({("gone", "app"): IPv4Network("10.64.0.0/24"), ("m", "old"): IPv4Network("10.64.1.0/24")})
    result = allocate(POOLS, [sized("m", "app", 24)], ledger)
    # "gone" has no manifest in this run: its block stays taken; m/old is no longer requested: released
    assert str(result.allocations[("m", "app")]) == "10.64.1.0/24"
    assert ("gone", "app") in result.ledger.entries
    assert ("m", "old") not in result.ledger.entries


def test_changed_prefix_length_reallocates() -> None:
    first = allocate(POOLS, [sized("m", "app", 24)])
    again = allocate(POOLS, [sized("m", "app", 25)], first.ledger)
    assert again.allocations[("m", "app")].prefixlen == 25


def test_ledger_json_round_trip_and_errors() -> None:
    ledger = allocate(POOLS, [sized("a", "x", 24), sized("b", "y", 26)]).ledger
    assert Ledger.from_json(ledger.to_json()) == ledger
    for bad in ('{"version": 2}', "[]", '{"version": 1, "allocations": {"nokey": "10.0.0.0/24"}}'):
        try:
            Ledger.from_json(bad)
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad}")


def test_gateway_and_allocation_range() -> None:
    net = IPv4Network("10.64.3.0/25")
    assert str(gateway(net)) == "10.64.3.1"
    assert [str(a) for a in allocation_range(net)] == ["10.64.3.2", "10.64.3.126"]


slugs = st.sampled_from(["a", "b", "c", "d", "e", "f"])
nets = st.sampled_from(["app", "db", "web"])
sized_requests = st.builds(sized, slugs, nets, st.integers(22, 28))
explicit_requests = st.builds(
    lambda s, n, base, p: explicit(s, n, str(IPv4Network((base & ~(2 ** (32 - p) - 1), p)))),
    slugs,
    nets,
    st.integers(
        int(IPv4Network("10.63.255.0/24").network_address), int(IPv4Network("10.65.3.255/32").network_address)
    ),
    st.integers(22, 28),
)
request_lists = st.lists(st.one_of(sized_requests, explicit_requests), max_size=20, unique_by=lambda r: r.key)


@settings(max_examples=200)
@given(request_lists)
def test_never_overlaps_stays_in_pools_and_is_deterministic(reqs: list[NetworkRequest]) -> None:
    result = allocate(POOLS, reqs)
    got = list(result.allocations.values())
    for i, a in enumerate(got):
        assert any(a.subnet_of(p.cidr) for p in POOLS)
        for b in got[i + 1 :]:
            assert not a.overlaps(b)
    assert allocate(POOLS, list(reversed(reqs))) == result  # order of input does not matter
    served = set(result.allocations)
    assert len(served) + len(result.problems) == len(reqs)  # every request served or explained


@settings(max_examples=200)
@given(request_lists, request_lists)
def test_existing_allocations_never_move(first: list[NetworkRequest], extra: list[NetworkRequest]) -> None:
    before = allocate(POOLS, first)
    keys = {r.key for r in first}
    more = [r for r in extra if r.key not in keys]
    after = allocate(POOLS, [*first, *more], before.ledger)
    for key, cidr in before.allocations.items():
        assert after.allocations[key] == cidr
