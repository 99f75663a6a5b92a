"""berth_core.kinds: every kind's attributes typed once, and what both sides of a diff hold."""

from __future__ import annotations

from pathlib import Path

import yaml

from berth_cloud.mapping import map_tenants
from berth_core.kinds import ATTRIBUTES
from berth_core.loader import load_manifests
from berth_core.planning import PlanInputs, plan_tenants
from berth_core.platform import PLATFORM_KINDS
from berth_core.site import Site
from berth_core.state import KINDS
from tests.unit.test_cloud_mapping import SITE, _desired, render

ROOT = Path(__file__).resolve().parents[2]


def test_every_kind_is_typed() -> None:
    assert set(ATTRIBUTES) == {*KINDS, *PLATFORM_KINDS}


def test_desired_state_holds_exactly_the_typed_attributes_of_each_kind() -> None:
    # the aio site plus one agency with its own keystone domain and a manager (berth_core.identity)
    data = yaml.safe_load((ROOT / "inventory" / "aio" / "cloud.yml").read_text(encoding="utf-8"))
    data["spec"]["identity"]["agencyDomains"] = {
        "SYT": {"domain": "hp-syt", "managers": [{"user": "syt.it"}]}
    }
    site = Site.model_validate(data)
    inputs = PlanInputs(site, load_manifests([ROOT / "manifests"]), include_platform=True)
    desired = plan_tenants(inputs).desired
    seen = set()
    for resource in desired.resources.values():
        assert set(resource.attrs) == ATTRIBUTES[resource.kind], resource.key
        seen.add(resource.kind)
    assert seen == set(ATTRIBUTES)  # the examples exercise every kind


def test_what_observe_maps_from_openstack_uses_the_same_names() -> None:
    observed = map_tenants(render(_desired()), SITE)
    assert observed
    for resource in observed:
        assert set(resource.attrs) <= ATTRIBUTES[resource.kind], resource.key
