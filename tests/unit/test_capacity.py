"""Physical capacity: placement's formula per host, snapshots, flavor fit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from berth_core.capacity import (
    CapacitySnapshot,
    Inventory,
    ProviderCapacity,
    flavor_fit,
    flavor_fits,
    snapshot_from_site,
)
from berth_core.site import Flavor
from tests.fixtures.plan.builders import site


def test_placement_formula() -> None:
    inv = Inventory(total=16, reserved=2, allocation_ratio=4.0, used=10)
    assert inv.allocatable == 56
    assert inv.free == 46
    assert Inventory(total=1, reserved=4).allocatable == 0  # never negative


def test_site_snapshot_applies_ratio_and_reservation_per_host() -> None:
    snap = snapshot_from_site(site())
    assert snap.source == "site"
    assert snap.allocatable("VCPU") == (16 + 8) * 2
    assert snap.allocatable("MEMORY_MB") == (65536 - 512) + (32768 - 512)  # reserved on each host
    assert snap.allocatable("DISK_GB") == 750
    assert snap.allocatable("VOLUME_GB") == 1000
    assert snap.used("VCPU") == 0  # offline: no usage known


def test_flavor_fit_counts_per_host_not_from_the_sum() -> None:
    # 3 + 3 free VCPUs: the sum (6) would claim one 4-VCPU instance fits; no host can hold it
    hosts = tuple(
        ProviderCapacity(f"h{i}", "nova", {"VCPU": Inventory(3), "MEMORY_MB": Inventory(100000)})
        for i in (1, 2)
    )
    fit = flavor_fit(CapacitySnapshot("placement", hosts), Flavor(name="x", vcpus=4, ramMiB=1024))
    assert fit.total == 0
    assert fit.limited_by == {"h1": "VCPU", "h2": "VCPU"}


def test_flavor_fit_on_the_test_site() -> None:
    fits = {f.flavor: f for f in flavor_fits(snapshot_from_site(site()), site().spec.flavors)}
    large = fits["m1.large"]
    # c1: 32 VCPU -> 8, 65024 MiB -> 7, 500 GiB -> 6 (disk runs out first); c2: 16 -> 4, 32256 -> 3, 250 -> 3
    assert large.per_host == {"c1": 6, "c2": 3}
    assert large.limited_by == {"c1": "DISK_GB", "c2": "MEMORY_MB"}
    assert large.to_dict()["total"] == 9


def test_zero_disk_flavor_is_not_limited_by_disk() -> None:
    hosts = (
        ProviderCapacity(
            "h", "nova", {"VCPU": Inventory(8), "MEMORY_MB": Inventory(8192), "DISK_GB": Inventory(0)}
        ),
    )
    fit = flavor_fit(
        CapacitySnapshot("site", hosts), Flavor(name="boot-from-volume", vcpus=1, ramMiB=1024, diskGiB=0)
    )
    assert fit.total == 8


@given(
    st.lists(
        st.tuples(st.integers(0, 256), st.integers(0, 10**6), st.integers(0, 4000), st.integers(0, 200)),
        min_size=1,
        max_size=6,
    ),
    st.integers(1, 64),
    st.integers(64, 10**5),
    st.integers(0, 500),
)
def test_fit_never_exceeds_any_hosts_free_capacity(
    hosts: list[tuple[int, int, int, int]], vcpus: int, ram: int, disk: int
) -> None:
    providers = tuple(
        ProviderCapacity(
            f"h{i}",
            "nova",
            {
                "VCPU": Inventory(v, allocation_ratio=2.0, used=used),
                "MEMORY_MB": Inventory(m),
                "DISK_GB": Inventory(d),
            },
        )
        for i, (v, m, d, used) in enumerate(hosts)
    )
    flavor = Flavor(name="f", vcpus=vcpus, ramMiB=ram, diskGiB=disk)
    fit = flavor_fit(CapacitySnapshot("placement", providers), flavor)
    for host in providers:
        n = fit.per_host[host.name]
        assert n * vcpus <= host.free("VCPU")
        assert n * ram <= host.free("MEMORY_MB")
        assert n * disk <= host.free("DISK_GB")
        # and one more would not fit
        assert (
            (n + 1) * vcpus > host.free("VCPU")
            or (n + 1) * ram > host.free("MEMORY_MB")
            or (disk > 0 and (n + 1) * disk > host.free("DISK_GB"))
        )
