"""Fixtures for the Pulumi mock tests: a clean mock runtime per test and the example desired state."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime import settings

from berth_core.loader import load_manifests, load_site
from berth_core.planning import PlanInputs, plan_tenants
from berth_core.platform import PLATFORM_TENANT
from berth_core.state import DesiredState
from tests.stacks.mocks import OpenStackMocks, RecordingMonitor

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "manifests"
AIO = ROOT / "inventory" / "aio" / "cloud.yml"

Program = Callable[[], Any]

with warnings.catch_warnings():
    # pulumi-openstack warns, at import, about its own deprecated top-level aliases (bgpvpn, lb, fw...)
    warnings.simplefilter("ignore", DeprecationWarning)
    import pulumi_openstack  # noqa: F401


@pytest.fixture(scope="session")
def example_desired() -> DesiredState:
    """The desired state of every example manifest on the aio site exactly as `berth apply` hands it to an
    engine: the platform included (a plan made without it once hid a `tenant-platform` stack)."""
    inputs = PlanInputs(load_site(AIO), load_manifests([MANIFESTS]), include_platform=True)
    return plan_tenants(inputs).desired


@pytest.fixture(scope="session")
def example_slugs(example_desired: DesiredState) -> tuple[str, ...]:
    """The agency tenants (without the platform)."""
    return tuple(slug for slug in example_desired.tenants if slug != PLATFORM_TENANT)


@pytest.fixture
def mocks() -> Iterator[tuple[OpenStackMocks, RecordingMonitor]]:
    """A fresh mock runtime, and afterwards no root stack or settings left for the next test."""
    mock = OpenStackMocks()
    monitor = RecordingMonitor(mock)
    pulumi.runtime.set_mocks(mock, project="berth-test", stack="test", preview=False, monitor=monitor)
    yield mock, monitor
    settings.reset_options()


@pytest.fixture
def run_program(mocks: tuple[OpenStackMocks, RecordingMonitor]) -> Callable[[Program], RecordingMonitor]:
    """Run a Pulumi program under the mocks until every registration and invoke has finished."""

    def run(program: Program) -> RecordingMonitor:
        @pulumi.runtime.test
        def body() -> Any:
            return program()

        body()
        return mocks[1]

    return run
