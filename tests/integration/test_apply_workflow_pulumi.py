"""berth's one apply workflow with the Pulumi engine, against the devcloud: plans, observations, the
stale check and the direct pass are real; `pulumi up` is berth's real stack programs under Pulumi's mock
runtime (tests/stacks/mock_runner.py), the one sanctioned substitute, because the Pulumi CLI cannot be
installed here. The Pulumi side must get what the direct side gets: the saved plan, the confirmation,
the IPAM ledger, the engine record and an audit record for every outcome.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from berth_cli.context import site_context
from berth_cli.services.apply_site import ApplyDeclined, ApplyRequest, Interaction, apply_site
from berth_cli.services.engines import PulumiEngine
from berth_cli.services.planning import observe_site, open_cloud
from berth_cli.state.audit_log import AuditLog
from berth_cli.state.engine_record import recorded_engine
from berth_cli.state.ledger import read_ledger
from berth_cloud import desired_from_plan
from berth_core.errors import CapacityRefused, ExitCode, PulumiFailed
from berth_core.plan import Plan
from tests.integration.conftest import Berth
from tests.stacks.expectations import expected_registrations
from tests.stacks.mock_runner import MockStackRunner

pytestmark = [pytest.mark.openstack, pytest.mark.slow]


def _never(*_: Any) -> Any:
    raise AssertionError("a saved plan is applied as it was reviewed: nothing is shown or asked")


class Workflow:
    """apply_site with a Pulumi engine over a mock-runtime runner, in the test's own berth root."""

    def __init__(self, runner: MockStackRunner) -> None:
        self.ctx = site_context()
        self.cloud = open_cloud(self.ctx)
        self.runner = runner
        self.shown: list[Any] = []

    def engine(self, site: Any) -> PulumiEngine:
        return PulumiEngine(self.cloud, site, self.runner, observe=lambda: observe_site(self.cloud, site))

    def apply(self, request: ApplyRequest, *, confirm: bool | None = None) -> Any:
        ui = (
            Interaction(show=_never, confirm=_never)
            if confirm is None
            else Interaction(show=self.shown.append, confirm=lambda: confirm)
        )
        return apply_site(self.ctx, self.cloud, self.engine, request, ui)

    def last_audit(self) -> Any:
        return AuditLog(self.ctx.state_dir).records()[-1].entry


def _saved_plan(berth: Berth, slug: str, tmp_path: Path) -> tuple[Path, Plan]:
    manifest = berth.manifest(slug, 41)
    out = tmp_path / "plan.json"
    code, _, err = berth("plan", "--out", str(out), str(manifest))
    assert code == 0, err
    return out, Plan.from_json(out.read_text(encoding="utf-8"))


def test_the_pulumi_engine_gets_the_saved_plan_and_the_workflow_keeps_ledger_and_audit(
    berth: Berth, slug: str, tmp_path: Path
) -> None:
    plan_file, plan = _saved_plan(berth, slug, tmp_path)
    workflow = Workflow(MockStackRunner())

    outcome = workflow.apply(ApplyRequest(plan_file=plan_file, reason="pulumi engine, mock runtime"))

    assert (outcome.engine, outcome.plan.sha256) == ("pulumi", plan.sha256)
    mine = desired_from_plan(plan).for_tenants([slug]).resources.values()
    expected = set().union(*(expected_registrations(r) for r in mine))
    assert workflow.runner.registered[f"tenant-{slug}"] == expected  # exactly the saved plan's tenant
    assert "tenant-platform" not in workflow.runner.registered
    assert (slug, "app") in read_ledger(workflow.ctx.state_dir).entries
    assert recorded_engine(workflow.ctx.state_dir) == "pulumi"
    entry = workflow.last_audit()
    assert (entry.result, entry.summary["engine"], entry.plan_sha256) == ("ok", "pulumi", plan.sha256)
    assert entry.reason == "pulumi engine, mock runtime"


def test_a_live_plan_is_shown_and_nothing_runs_until_it_is_confirmed(berth: Berth, slug: str) -> None:
    manifest = berth.manifest(slug, 42)
    workflow = Workflow(MockStackRunner())
    request = ApplyRequest(paths=[manifest], reason="confirmation")

    with pytest.raises(ApplyDeclined):
        workflow.apply(request, confirm=False)
    assert workflow.runner.runs == 0
    assert [slug in p.outcome.plan.tenants for p in workflow.shown] == [True]
    assert not (workflow.ctx.state_dir / "ipam.json").exists()

    outcome = workflow.apply(request, confirm=True)
    assert workflow.runner.runs == 1
    assert f"tenant-{slug}" in workflow.runner.registered
    assert outcome.result is not None and outcome.result.counts()["create"] > 0


def test_a_pulumi_failure_is_audited_as_failed_and_leaves_the_ledger(
    berth: Berth, slug: str, tmp_path: Path
) -> None:
    plan_file, plan = _saved_plan(berth, slug, tmp_path)
    workflow = Workflow(MockStackRunner(fail_on=f"tenant-{slug}"))

    with pytest.raises(PulumiFailed) as caught:
        workflow.apply(ApplyRequest(plan_file=plan_file))
    assert caught.value.exit_code == ExitCode.PULUMI_FAILED
    entry = workflow.last_audit()
    assert (entry.result, entry.summary["engine"], entry.plan_sha256) == ("failed", "pulumi", plan.sha256)
    assert (slug, "app") not in read_ledger(workflow.ctx.state_dir).entries


def test_a_capacity_refusal_is_audited_before_any_engine_runs(berth: Berth, slug: str) -> None:
    manifest = berth.manifest(slug, 43, "cores: 100000")
    workflow = Workflow(MockStackRunner())

    with pytest.raises(CapacityRefused):
        workflow.apply(ApplyRequest(paths=[manifest], assume_yes=True))
    assert workflow.runner.runs == 0
    assert workflow.last_audit().result == "refused"
