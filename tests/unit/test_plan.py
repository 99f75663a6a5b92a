"""Plan: canonical JSON with sha256, round trip, tamper detection; the planning pipeline end to end."""

from __future__ import annotations

import json

import pytest

from berth_core.errors import ManifestInvalid, UsageError
from berth_core.ipam import Ledger
from berth_core.plan import FORMAT_VERSION, Plan, make_plan, simulate
from berth_core.planning import PlanInputs, plan_tenants
from berth_core.state import ObservedState
from tests.fixtures.plan.builders import located, site

SITE = site()
APP = [{"name": "app", "prefixLength": 24}]


def plan_of(*tenants, **kw):  # type: ignore[no-untyped-def]
    return plan_tenants(PlanInputs(SITE, list(tenants), **kw))


def test_offline_plan_creates_everything_and_records_its_inputs() -> None:
    outcome = plan_of(
        located("so-y-te", networks=APP, router={"external": True}), located("so-tttt", "STTTT")
    )
    plan = outcome.plan
    assert plan.site == "plantest"
    assert plan.tenants == ("so-tttt", "so-y-te")
    assert plan.has_changes
    assert plan.counts() == {"create": len(plan.changes), "update": 0, "delete": 0, "no-op": 0}
    assert plan.observed_sha256 == ObservedState().sha256()
    assert plan.ipam.to_dict() == {"so-y-te/app": "10.64.0.0/24"}
    assert plan.admission is not None and plan.admission.refused is False
    assert outcome.desired.resources["subnet/so-y-te/app"].attrs["cidr"] == "10.64.0.0/24"


def test_json_round_trip_is_exact_and_hash_covers_content() -> None:
    plan = plan_of(located("so-y-te", networks=APP)).plan
    text = plan.to_json()
    again = Plan.from_json(text)
    assert again == plan
    assert again.to_json() == text
    data = json.loads(text)
    assert data["formatVersion"] == FORMAT_VERSION
    assert data["sha256"] == plan.sha256 and len(plan.sha256) == 64
    assert "Đơn vị so-y-te" in text  # Vietnamese stays readable, not \\u-escaped


def test_edited_plan_is_refused() -> None:
    data = json.loads(plan_of(located("so-y-te", networks=APP)).plan.to_json())
    data["ipam"]["so-y-te/app"] = "10.64.3.0/24"
    with pytest.raises(UsageError, match="does not match its sha256"):
        Plan.from_json(json.dumps(data), source="p.json")


@pytest.mark.parametrize(
    ("text", "message"),
    [("[]", "not a berth plan"), ('{"formatVersion": 99}', "format version 99"), ("{", "not a berth plan")],
)
def test_broken_plan_files_are_usage_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Plan.from_json(text)


def test_replanning_the_simulated_result_changes_nothing() -> None:
    first = plan_of(located("so-y-te", networks=APP, router={"external": True}))
    cloud = simulate(first.plan, ObservedState())
    ledger = Ledger.from_json(json.dumps({"version": 1, "allocations": first.plan.ipam.to_dict()}))
    second = plan_of(
        located("so-y-te", networks=APP, router={"external": True}), ledger=ledger, observed=cloud
    )
    assert not second.plan.has_changes
    assert second.plan.observed_sha256 == cloud.sha256() != first.plan.observed_sha256


def test_observed_subnets_keep_their_cidr_without_a_ledger() -> None:
    first = plan_of(located("b-tenant", networks=APP))
    cloud = simulate(first.plan, ObservedState())
    second = plan_of(located("a-tenant", networks=APP), located("b-tenant", networks=APP), observed=cloud)
    assert second.plan.ipam.to_dict()["b-tenant/app"] == "10.64.0.0/24"
    assert second.plan.ipam.to_dict()["a-tenant/app"] == "10.64.1.0/24"


def test_committed_quota_before_comes_from_the_observed_quotas() -> None:
    first = plan_of(located("so-y-te", quota={"class": "medium"}))
    cloud = simulate(first.plan, ObservedState())
    again = plan_of(located("so-y-te", quota={"class": "medium"}), observed=cloud)
    vcpu = next(c for c in again.admission.classes if c.resource_class == "VCPU")
    assert vcpu.before is not None and vcpu.after is not None
    assert vcpu.before.amount == vcpu.after.amount == 16


def test_capacity_refusal_is_reported_not_raised() -> None:
    outcome = plan_of(located("qua-tai", quota={"class": "medium", "overrides": {"cores": 64}}))
    assert outcome.admission.refused
    assert outcome.plan.admission is not None and outcome.plan.admission.refused is True
    overridden = plan_of(
        located("qua-tai", quota={"class": "medium", "overrides": {"cores": 64}}), override_reason="khẩn cấp"
    )
    assert not overridden.admission.refused
    assert overridden.plan.admission is not None
    assert overridden.plan.admission.override_reason == "khẩn cấp"


def test_all_quota_and_address_problems_of_all_tenants_at_once() -> None:
    with pytest.raises(ManifestInvalid) as caught:
        plan_of(located("a-tenant", quota={"class": "nope"}), located("b-tenant", quota={"class": "gone"}))
    assert [p.location.file for p in caught.value.problems] == ["a-tenant.yaml", "b-tenant.yaml"]
    with pytest.raises(ManifestInvalid) as caught:
        plan_of(
            located("a-tenant", networks=[{"name": "x", "cidr": "10.64.0.0/24"}]),
            located(
                "b-tenant",
                networks=[{"name": "y", "cidr": "10.64.0.0/25"}, {"name": "z", "cidr": "172.24.4.0/25"}],
            ),
        )
    problems = caught.value.problems
    assert [(p.code, p.location.field) for p in problems] == [
        ("site.cidr_overlap", "spec.networks[0].cidr"),
        ("site.cidr_outside_pool", "spec.networks[1].cidr"),
    ]


def test_make_plan_without_changes() -> None:
    plan = make_plan("s", ObservedState(), ObservedState())
    assert not plan.has_changes and plan.changes == ()


def test_a_plans_ledger_and_admission_are_typed_and_round_trip_exactly() -> None:
    plan = plan_of(located("so-y-te", networks=APP), override_reason=None).plan
    again = Plan.from_json(plan.to_json())
    assert isinstance(again.ipam, Ledger) and again.ipam == plan.ipam
    assert again.admission == plan.admission  # every class and agency line, typed
    assert again.sha256 == plan.sha256
