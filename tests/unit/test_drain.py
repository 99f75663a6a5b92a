"""Capacity admission for a host leaving (berth_core.drain): guests fit whole on the hosts that stay, or the
drain is refused naming the guest that cannot move."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from berth_core.capacity import Inventory, ProviderCapacity
from berth_core.drain import Guest, admit_drain, guests_from_allocations


def host(
    name: str, vcpu: int, ram: int, disk: int, used: tuple[int, int, int] = (0, 0, 0)
) -> ProviderCapacity:
    return ProviderCapacity(
        name,
        "nova",
        {
            "VCPU": Inventory(vcpu, used=used[0]),
            "MEMORY_MB": Inventory(ram, used=used[1]),
            "DISK_GB": Inventory(disk, used=used[2]),
        },
    )


def guest(name: str, vcpu: int, ram: int, disk: int) -> Guest:
    return Guest(f"uuid-{name}", name, {"VCPU": vcpu, "MEMORY_MB": ram, "DISK_GB": disk})


def test_guests_that_fit_are_placed_largest_first_where_memory_is_freest():
    verdict = admit_drain(
        "c2",
        [guest("small", 1, 512, 1), guest("big", 4, 8192, 80)],
        [host("c1", 8, 16384, 100), host("c2", 64, 65536, 1000), host("c3", 8, 9000, 100)],
    )
    assert verdict.fits and verdict.guests == 2
    assert verdict.placements == (("big", "c1"), ("small", "c3"))


def test_a_guest_that_fits_only_split_across_hosts_is_refused():
    verdict = admit_drain(
        "c2", [guest("db", 8, 12000, 10)], [host("c1", 8, 8192, 100), host("c3", 8, 8192, 100)]
    )
    assert not verdict.fits
    assert (
        verdict.refusal
        == "db (VCPU 8, MEMORY_MB 12000, DISK_GB 10) cannot move: no remaining host has room for it whole"
    )


def test_the_last_host_cannot_be_drained():
    verdict = admit_drain("c1", [guest("web", 1, 512, 1)], [host("c1", 8, 8192, 100)])
    assert verdict.refusal.endswith("no other host takes new guests")


def test_an_empty_host_always_drains():
    assert admit_drain("c1", [], []).fits


def test_used_capacity_counts():
    verdict = admit_drain("c2", [guest("web", 2, 1024, 10)], [host("c1", 4, 4096, 100, used=(3, 0, 0))])
    assert not verdict.fits and "web" in verdict.refusal


def test_allocations_become_guests_named_by_their_server():
    body = {
        "i-1": {"resources": {"VCPU": 2, "MEMORY_MB": 2048, "DISK_GB": 20}, "generation": 3},
        "m-9": {"resources": {"VCPU": 1, "MEMORY_MB": 512}},
        "other": {"resources": {"CUSTOM_GPU": 1}},
    }
    guests = guests_from_allocations(body, {"i-1": "web-1"})
    assert [(g.consumer, g.name, dict(g.needs)) for g in guests] == [
        ("i-1", "web-1", {"VCPU": 2, "MEMORY_MB": 2048, "DISK_GB": 20}),
        ("m-9", "m-9", {"VCPU": 1, "MEMORY_MB": 512}),
    ]


sizes = st.tuples(st.integers(0, 16), st.integers(0, 32768), st.integers(0, 500))


@given(st.lists(sizes, max_size=12), st.lists(sizes, min_size=1, max_size=5))
def test_a_placement_never_overfills_a_host(guest_sizes, host_sizes):
    guests = [guest(f"g{i}", *s) for i, s in enumerate(guest_sizes)]
    hosts = [host(f"h{i}", *s) for i, s in enumerate(host_sizes)]
    verdict = admit_drain("leaving", guests, hosts)
    load: dict[str, list[int]] = {h.name: [0, 0, 0] for h in hosts}
    by_name = {g.name: g for g in guests}
    for name, target in verdict.placements:
        for i, rc in enumerate(("VCPU", "MEMORY_MB", "DISK_GB")):
            load[target][i] += by_name[name].needs[rc]
    for h in hosts:
        free = [h.free("VCPU"), h.free("MEMORY_MB"), h.free("DISK_GB")]
        assert all(used <= room for used, room in zip(load[h.name], free, strict=True)), (h.name, load, free)
    assert verdict.fits == (len(verdict.placements) == len(guests))
