"""Quota resolution: class chains, overrides, every field explicit, site errors located."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from berth_core.errors import Location, ManifestInvalid
from berth_core.manifest import QuotaRequest
from berth_core.quota import check_quota_classes, from_native, resolve_quota, to_native
from berth_core.quota_fields import QUOTA_FIELD_NAMES
from tests.fixtures.plan.builders import site


def request(cls: str, **overrides: int) -> QuotaRequest:
    return QuotaRequest.model_validate({"class": cls, "overrides": overrides})


def test_child_overrides_parent_and_every_field_is_explicit() -> None:
    quota = resolve_quota(request("medium"), site())
    assert list(quota.as_dict()) == list(QUOTA_FIELD_NAMES)
    assert quota["cores"] == 16  # medium
    assert quota["volumeGiB"] == 200  # medium
    assert quota["instances"] == 4  # inherited from default through small
    assert quota["backupGiB"] == 0  # an explicit zero is a value, not a gap


def test_tenant_overrides_win_over_the_class() -> None:
    quota = resolve_quota(request("small", cores=12, floatingIps=-1), site())
    assert quota["cores"] == 12
    assert quota["floatingIps"] == -1
    assert quota["ramGiB"] == 16


def test_unknown_class_is_located_in_the_manifest() -> None:
    with pytest.raises(ManifestInvalid) as caught:
        resolve_quota(request("huge"), site())
    (problem,) = caught.value.problems
    assert problem.code == "site.quota_class_unknown"
    assert problem.location.field == "spec.quota.class"
    assert problem.params["name"] == "huge"
    assert "medium" in problem.params["known"]


def test_cycle_in_the_site_is_reported_for_each_class_in_it() -> None:
    broken = site(
        quotaClasses={
            "default": {"cores": 1, "parent": "b"},
            "b": {"parent": "default"},
        }
    )
    problems = check_quota_classes(broken)
    assert {p.code for p in problems} == {"quota.class_cycle"}
    assert {p.location.field for p in problems} == {
        "spec.quotaClasses.b.parent",
        "spec.quotaClasses.default.parent",
    }
    with pytest.raises(ManifestInvalid) as caught:
        resolve_quota(request("b"), broken)
    assert caught.value.problems[0].params["chain"] in ("b -> default -> b", "default -> b -> default")


def test_field_unset_through_the_whole_chain_is_a_site_error() -> None:
    broken = site(quotaClasses={"default": {"cores": 1}, "small": {"parent": "default", "ramGiB": 2}})
    problems = check_quota_classes(broken)
    assert [p.location.field for p in problems] == ["spec.quotaClasses.default", "spec.quotaClasses.small"]
    assert "instances" in problems[1].params["fields"]
    assert "ramGiB" not in problems[1].params["fields"]
    with pytest.raises(ManifestInvalid):
        resolve_quota(request("small"), broken)


def test_site_problems_use_the_site_locator() -> None:
    broken = site(quotaClasses={"default": {"cores": 1}})
    with pytest.raises(ManifestInvalid) as caught:
        resolve_quota(
            request("default"),
            broken,
            locate_site=lambda f: Location("cloud.yml", 7, 3, f),
        )
    assert caught.value.problems[0].location.prefix() == "cloud.yml:7:3: spec.quotaClasses.default"


def test_native_units_and_names() -> None:
    quota = resolve_quota(request("small", ramGiB=16, volumeGiB=-1), site())
    native = to_native(quota.values)
    assert native["compute"]["ram"] == 16 * 1024
    assert native["compute"]["cores"] == 8
    assert native["network"]["floatingip"] == 0
    assert native["volume"]["gigabytes"] == -1  # unlimited is never scaled
    assert sum(len(v) for v in native.values()) == len(QUOTA_FIELD_NAMES)


@given(st.dictionaries(st.sampled_from(QUOTA_FIELD_NAMES), st.integers(min_value=-1, max_value=10**6)))
def test_overrides_always_win_and_native_round_trips(overrides: dict[str, int]) -> None:
    quota = resolve_quota(request("medium", **overrides), SITE)
    assert set(quota.as_dict()) == set(QUOTA_FIELD_NAMES)
    for name, value in overrides.items():
        assert quota[name] == value
    assert from_native(to_native(quota.values)) == quota.as_dict()


SITE = site()
