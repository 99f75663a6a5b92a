"""Convergence rules as data (berth_core.convergence): what the diff replaces, and the replacements the
planner refuses before anything is written, located at the field of cloud.yml that asked for them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from berth_core.convergence import RULES, forbidden_replacements, replaces
from berth_core.diff import diff
from berth_core.errors import ManifestInvalid
from berth_core.loader import load_documents, load_manifests, load_site
from berth_core.planning import PlanInputs, plan_tenants
from berth_core.state import KINDS, ObservedState, Resource

ROOT = Path(__file__).resolve().parents[2]
AIO = ROOT / "inventory" / "aio" / "cloud.yml"


def test_every_kind_has_a_rule() -> None:
    from berth_core.platform import PLATFORM_KINDS

    assert set(RULES) == {*KINDS, *PLATFORM_KINDS}


def test_immutable_kinds_are_replaced_by_any_change_others_only_by_their_fixed_attributes() -> None:
    assert replaces("secgroup-rule", ["description"])
    assert replaces("subnet", ["cidr"])
    assert not replaces("subnet", ["dnsNameservers"])
    assert not replaces("quota", ["values"])


def _planned(observed: ObservedState | None = None):  # type: ignore[no-untyped-def]
    site = load_site(AIO)
    manifests = load_manifests([ROOT / "manifests" / "so-y-te.yaml"])
    locate_site = load_documents(AIO)[0].locate
    inputs = PlanInputs(
        site, manifests, locate_site=locate_site, include_platform=True, observed=observed or ObservedState()
    )
    return plan_tenants(inputs)


def _as_observed(resources: list[Resource]) -> ObservedState:
    return ObservedState.of(resources, {r.tenant for r in resources})


def test_an_unchanged_cloud_plans_no_replacement() -> None:
    desired = _planned().desired
    plan = _planned(_as_observed(list(desired.resources.values()))).plan
    assert not plan.has_changes
    assert forbidden_replacements(plan.changes) == []


def test_a_new_external_cidr_is_refused_at_plan_time_located_in_cloud_yml() -> None:
    """Re-creating the external subnet would take every router gateway and floating IP of the site."""
    desired = _planned().desired
    have = [
        replace(r, attrs={**r.attrs, "cidr": "198.51.100.0/24"}) if r.kind == "external-subnet" else r
        for r in desired.resources.values()
    ]
    changes = diff(desired, _as_observed(have))
    assert [c.key for c in forbidden_replacements(changes)] == ["external-subnet/public"]
    with pytest.raises(ManifestInvalid) as caught:
        _planned(_as_observed(have))
    (problem,) = caught.value.problems
    assert problem.code == "plan.replace_forbidden"
    assert problem.location.field == "spec.externalNetwork.cidr"
    assert problem.location.file.endswith("cloud.yml") and problem.location.line > 0
    assert problem.params == {"key": "external-subnet/public", "fields": "cidr"}


def test_a_project_moved_to_another_domain_is_refused_at_the_sites_identity_domain() -> None:
    desired = _planned().desired
    have = [
        replace(r, attrs={**r.attrs, "domain": "Other"}) if r.kind == "project" else r
        for r in desired.resources.values()
    ]
    with pytest.raises(ManifestInvalid) as caught:
        _planned(_as_observed(have))
    assert [p.location.field for p in caught.value.problems] == ["spec.identity.domain"]
