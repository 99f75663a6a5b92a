"""Conformance: the resources a tenant stack registers are exactly the desired state's, for every example.

The map kind -> Pulumi type lives in tests/stacks/expectations.py, written apart from berth_stacks, so a
resource the component forgets, invents or types wrongly fails here.
"""

from __future__ import annotations

import pytest

from berth_core.loader import load_site
from berth_core.platform import PLATFORM_TENANT
from berth_core.state import KINDS
from berth_stacks.programs import site_targets, tenant_targets
from berth_stacks.tenant import AgencyTenant
from berth_stacks.types import PLATFORM_STACK, PULUMI_UNSUPPORTED_KINDS, TENANT_COMPONENT, tenant_stack_name
from tests.stacks.conftest import AIO
from tests.stacks.expectations import EXAMPLE_SLUGS, KIND_TYPES, expected_registrations


def test_the_examples_are_the_tenants_of_the_desired_state(example_desired, example_slugs) -> None:
    assert example_slugs == EXAMPLE_SLUGS
    assert len(EXAMPLE_SLUGS) >= 10
    assert PLATFORM_TENANT in example_desired.tenants  # as `berth apply` passes it


def test_every_desired_kind_has_a_pulumi_type() -> None:
    assert set(KIND_TYPES) == set(KINDS)


@pytest.mark.parametrize("slug", EXAMPLE_SLUGS)
def test_stack_registers_exactly_the_desired_resources(run_program, example_desired, slug) -> None:
    mine = example_desired.for_tenants([slug])
    monitor = run_program(lambda: AgencyTenant(slug, example_desired).urn)

    expected = set().union(*(expected_registrations(r) for r in mine.resources.values()))
    registered = [(r.type, r.name) for r in monitor.custom()]
    assert len(registered) == len(set(registered)), "a resource was registered twice"
    missing = expected - set(registered)
    extra = set(registered) - expected
    assert not missing, f"desired but not in the stack: {sorted(missing)}"
    assert not extra, f"in the stack but not desired: {sorted(extra)}"

    components = [r for r in monitor.registrations.values() if not r.custom]
    assert [(c.type, c.name) for c in components] == [(TENANT_COMPONENT, slug)]


def test_examples_cover_every_kind(example_desired) -> None:
    """So the conformance test above exercises every builder, not just the common ones."""
    kinds = {r.kind for r in example_desired.resources.values() if r.tenant != PLATFORM_TENANT}
    assert kinds == set(KINDS)


def test_one_stack_per_tenant_each_with_only_its_own_state(example_desired) -> None:
    targets = tenant_targets(example_desired)
    assert [t.name for t in targets] == [tenant_stack_name(s) for s in EXAMPLE_SLUGS]


def test_the_site_stacks_are_the_platform_then_each_agency_never_a_tenant_platform(example_desired) -> None:
    names = [t.name for t in site_targets(load_site(AIO), example_desired)]
    assert names == [PLATFORM_STACK, *(tenant_stack_name(s) for s in EXAMPLE_SLUGS)]
    assert tenant_stack_name(PLATFORM_TENANT) not in names


def test_the_platform_stack_realises_the_plans_own_platform(run_program, example_desired) -> None:
    (platform, *_) = site_targets(load_site(AIO), example_desired)
    monitor = run_program(platform.program)
    planned = example_desired.for_tenants([PLATFORM_TENANT]).resources
    realised = {name for _, name in ((r.type, r.name) for r in monitor.custom())}
    assert realised == {key for key, res in planned.items() if res.kind not in PULUMI_UNSUPPORTED_KINDS}


@pytest.mark.parametrize("slug", ["so-y-te", "cong-du-lieu-mo"])
def test_the_runner_program_registers_the_same_resources(run_program, example_desired, slug) -> None:
    (target,) = [t for t in tenant_targets(example_desired) if t.name == tenant_stack_name(slug)]
    monitor = run_program(target.program)
    mine = example_desired.for_tenants([slug])
    expected = set().union(*(expected_registrations(r) for r in mine.resources.values()))
    assert {(r.type, r.name) for r in monitor.custom()} == expected
