"""Every quota value is one nova, neutron and cinder accept (32-bit signed), after conversion to their units."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from berth_core.errors import ManifestInvalid
from berth_core.loader import load_site
from berth_core.manifest import QuotaRequest
from berth_core.quota import ResolvedQuota, resolve_quota, to_native
from berth_core.quota_fields import QUOTA_FIELD_BY_NAME, QUOTA_FIELDS, SERVICE_MAX, out_of_bounds
from berth_core.site import QuotaClass
from tests.fixtures.plan.builders import SITE_FILE, site


def _issues(error: ValidationError) -> list[tuple[tuple[object, ...], str]]:
    (item,) = error.errors()
    return [((*item["loc"], *path), code) for path, code, _ in item["ctx"]["issues"]]


def test_the_services_limit_is_2_to_the_31_minus_1_in_their_own_units() -> None:
    assert SERVICE_MAX == 2_147_483_647
    assert QUOTA_FIELD_BY_NAME["serverGroups"].maximum == SERVICE_MAX
    assert QUOTA_FIELD_BY_NAME["ramGiB"].maximum == SERVICE_MAX // 1024  # nova counts MiB
    assert QUOTA_FIELD_BY_NAME["volumeGiB"].maximum == SERVICE_MAX  # cinder counts GiB


@pytest.mark.parametrize(("field", "limit"), [(f.name, f.maximum) for f in QUOTA_FIELDS])
def test_manifest_overrides_are_bounded(field: str, limit: int) -> None:
    assert QuotaRequest.model_validate({"class": "small", "overrides": {field: limit}})
    with pytest.raises(ValidationError) as caught:
        QuotaRequest.model_validate({"class": "small", "overrides": {field: limit + 1}})
    assert _issues(caught.value) == [(("overrides", field), "quota.above_service_max")]


def test_site_quota_classes_are_bounded_and_located(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        QuotaClass.model_validate({"serverGroups": 2**31})
    data = yaml.safe_load(SITE_FILE.read_text(encoding="utf-8"))
    data["spec"]["quotaClasses"]["small"]["ramGiB"] = 2_097_152
    path = tmp_path / "cloud.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ManifestInvalid) as caught:
        load_site(path)
    (problem,) = caught.value.problems
    assert problem.code == "quota.above_service_max"
    assert problem.location.field == "spec.quotaClasses.small.ramGiB" and problem.location.line > 0


def test_a_resolved_quota_out_of_bounds_is_refused_even_when_built_past_the_models() -> None:
    lax = QuotaRequest.model_construct(
        class_name="small", overrides=QuotaRequest.model_fields["overrides"].default
    )
    broken = site()
    classes = dict(broken.spec.quota_classes)
    classes["small"] = QuotaClass.model_construct(**{**classes["small"].__dict__, "cores": 2**31})
    broken = broken.model_copy(update={"spec": broken.spec.model_copy(update={"quota_classes": classes})})
    with pytest.raises(ManifestInvalid) as caught:
        resolve_quota(lax, broken)
    assert [p.code for p in caught.value.problems] == ["quota.above_service_max"]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.dictionaries(st.sampled_from([f.name for f in QUOTA_FIELDS]), st.integers(-1, 2**40)))
def test_whatever_validates_fits_the_services_after_conversion(overrides: dict[str, int]) -> None:
    try:
        quota = resolve_quota(QuotaRequest.model_validate({"class": "small", "overrides": overrides}), site())
    except ValidationError:
        assert out_of_bounds(overrides)
        return
    assert not out_of_bounds(overrides)
    for values in to_native(ResolvedQuota(quota.as_dict()).values).values():
        assert all(-1 <= v <= SERVICE_MAX for v in values.values())
