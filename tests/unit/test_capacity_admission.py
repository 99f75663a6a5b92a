"""Capacity admission: committed quota against allocatable x overbooking, agency caps, overrides."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from berth_core.admission import Commitment, admit, merge
from berth_core.capacity import snapshot_from_site
from berth_core.quota_fields import QUOTA_FIELD_NAMES
from tests.fixtures.plan.builders import site

SITE = site()
SNAP = snapshot_from_site(SITE)
POLICY = SITE.spec.capacity


def tenant(slug: str, agency: str = "SYT", **quota: int) -> Commitment:
    values = dict.fromkeys(QUOTA_FIELD_NAMES, 0)
    values.update(quota)
    return Commitment(slug, agency, values)


def line(report, rc):  # type: ignore[no-untyped-def]
    return next(c for c in report.classes if c.resource_class == rc)


def test_within_capacity_is_ok_and_headroom_is_what_is_left() -> None:
    report = admit(SNAP, POLICY, [], [tenant("a", cores=40, ramGiB=64, volumeGiB=100)])
    assert not report.refused
    vcpu = line(report, "VCPU")
    assert (vcpu.allocatable, vcpu.limit, vcpu.after.amount, vcpu.headroom) == (48, 48, 40, 8)
    mem = line(report, "MEMORY_MB")
    assert mem.after.amount == 64 * 1024  # ramGiB counted in placement's MiB
    assert line(report, "DISK_GB").verdict == "not-governed"  # no quota governs root disks


def test_past_allocatable_is_refused_and_explained() -> None:
    report = admit(SNAP, POLICY, [], [tenant("a", cores=40), tenant("b", cores=9)])
    assert report.refused
    assert line(report, "VCPU").verdict == "refused"
    assert report.refusals() == ["VCPU: committed 49 would exceed the limit 48"]


def test_overbooking_factor_raises_the_limit() -> None:
    report = admit(SNAP, POLICY, [], [tenant("a", volumeGiB=1500)])
    assert line(report, "VOLUME_GB").limit == 1500  # 1000 GiB x 1.5
    assert not report.refused
    assert admit(SNAP, POLICY, [], [tenant("a", volumeGiB=1501)]).refused


def test_unlimited_quota_is_unbounded_and_refused() -> None:
    report = admit(SNAP, POLICY, [], [tenant("a", cores=-1)])
    vcpu = line(report, "VCPU")
    assert vcpu.verdict == "refused"
    assert vcpu.after.unbounded == ("a",)
    assert vcpu.headroom is None
    assert "unlimited (-1) quota for a" in report.refusals()[0]


def test_override_with_reason_accepts_and_is_recorded() -> None:
    report = admit(SNAP, POLICY, [], [tenant("a", cores=100)], override_reason="  đợt tiêm chủng khẩn cấp ")
    assert not report.refused
    assert report.overridden
    assert line(report, "VCPU").verdict == "overridden"
    assert report.to_dict()["overrideReason"] == "đợt tiêm chủng khẩn cấp"


def test_blank_reason_is_no_override() -> None:
    assert admit(SNAP, POLICY, [], [tenant("a", cores=100)], override_reason="  ").refused


def test_already_over_but_not_growing_is_not_refused() -> None:
    before = [tenant("a", cores=60)]
    report = admit(SNAP, POLICY, before, merge(before, [tenant("b", cores=0)]))
    assert line(report, "VCPU").verdict == "over"
    assert not report.refused
    shrinking = admit(SNAP, POLICY, before, [tenant("a", cores=50)])
    assert not shrinking.refused
    growing = admit(SNAP, POLICY, before, [tenant("a", cores=61)])
    assert growing.refused


def test_agency_cap_sums_the_agencys_tenants() -> None:
    after = [tenant("x", "STTTT", cores=16, ramGiB=32), tenant("y", "STTTT", cores=8, ramGiB=16)]
    ok = admit(SNAP, POLICY, [], after)
    assert not ok.refused
    caps = {(a.agency, a.field): a for a in ok.agencies}
    assert caps[("STTTT", "cores")].cap == 24
    assert caps[("STTTT", "cores")].after.amount == 24
    assert caps[("STTTT", "volumeGiB")].cap is None
    over = admit(SNAP, POLICY, [], [*after, tenant("z", "STTTT", cores=1)])
    assert over.refused
    assert over.refusals() == ["agency STTTT cores: committed 25 would exceed the limit 24"]
    assert all(c.verdict == "ok" for c in over.classes if c.resource_class == "VCPU")


def test_other_agencies_are_listed_without_cap() -> None:
    report = admit(SNAP, POLICY, [], [tenant("a", "SYT", cores=2)])
    syt = [a for a in report.agencies if a.agency == "SYT"]
    assert [a.field for a in syt] == ["cores", "ramGiB", "volumeGiB"]
    assert all(a.cap is None and a.verdict == "ok" for a in syt)


def test_merge_replaces_a_tenants_previous_quota() -> None:
    merged = merge([tenant("a", cores=4), tenant("b", cores=4)], [tenant("a", cores=8)])
    assert [(c.slug, c.quota["cores"]) for c in merged] == [("a", 8), ("b", 4)]


@given(st.lists(st.integers(-1, 30), max_size=8), st.lists(st.integers(-1, 30), max_size=8))
def test_refused_exactly_when_a_total_grows_past_its_limit(
    before_cores: list[int], after_cores: list[int]
) -> None:
    before = [tenant(f"t{i}", "SKHDT", cores=c) for i, c in enumerate(before_cores)]
    after = [tenant(f"t{i}", "SKHDT", cores=c) for i, c in enumerate(after_cores)]
    vcpu = line(admit(SNAP, POLICY, before, after), "VCPU")
    bounded_after = sum(c for c in after_cores if c >= 0)
    bounded_before = sum(c for c in before_cores if c >= 0)
    unbounded_after = {i for i, c in enumerate(after_cores) if c == -1}
    unbounded_before = {i for i, c in enumerate(before_cores) if c == -1}
    over = bounded_after > 48 or bool(unbounded_after)
    grows = bounded_after > bounded_before or bool(unbounded_after - unbounded_before)
    expected = "ok" if not over else ("refused" if grows else "over")
    assert vcpu.verdict == expected
