"""A StackRunner (berth_cli.services.engines) that runs berth's real stack programs under Pulumi's mock
runtime instead of the Pulumi CLI, which cannot be installed on these machines. It records what each stack
registered, so a test can check that the engine was handed exactly the plan's desired state."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime import settings

from berth_core.errors import PulumiFailed
from berth_core.site import Site
from berth_core.state import DesiredState
from berth_stacks.programs import site_targets
from berth_stacks.runner import StackSummary
from tests.stacks.mocks import OpenStackMocks, RecordingMonitor


class MockStackRunner:
    def __init__(self, fail_on: str | None = None) -> None:
        self.fail_on = fail_on  # a stack whose `up` fails, as Pulumi's would
        self.registered: dict[str, set[tuple[str, str]]] = {}  # stack -> (type, name) of its resources
        self.runs = 0

    def apply_site(self, site: Site, desired: DesiredState) -> list[StackSummary]:
        self.runs += 1
        summaries = []
        for target in site_targets(site, desired):
            if target.name == self.fail_on:
                raise PulumiFailed(f"pulumi up of stack {target.name} failed", hint="(mock runtime)")
            mocks = OpenStackMocks()
            monitor = RecordingMonitor(mocks)
            pulumi.runtime.set_mocks(mocks, project=f"berth-{site.name}", stack=target.name, monitor=monitor)
            try:

                @pulumi.runtime.test
                def up() -> Any:
                    return target.program()  # noqa: B023 - run right here, in this iteration

                up()
            finally:
                settings.reset_options()
            self.registered[target.name] = {(r.type, r.name) for r in monitor.custom()}
            summaries.append(StackSummary(target.name, "up", {"create": len(self.registered[target.name])}))
        return summaries
