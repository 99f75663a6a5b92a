"""`berth apply`'s --reason and --allow-overbooking, and the stale plan's hint, through the CLI entry point
(issue 15, item 9). No cloud: the commands stop at "no cloud selected" (exit 5) once their options pass."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from berth_cli.main import main
from berth_cli.services.apply_site import replan_command
from berth_cli.services.inputs import shown
from berth_cli.services.planning import apply_reasons
from berth_core.errors import ExitCode, UsageError
from berth_core.plan import Plan
from tests.unit.test_cli_plan import root as plan_root  # noqa: F401 - the fixture

OVER = Path(__file__).resolve().parents[1] / "fixtures" / "plan" / "over"


@pytest.fixture
def root(plan_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: F811 - pytest injects it
    """test_cli_plan's miniature checkout, with no cloud to log in to."""
    monkeypatch.delenv("OS_CLOUD", raising=False)
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(plan_root / "no-clouds.yaml"))
    return plan_root


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_reason_alone_is_the_audit_reason_of_any_apply(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "apply", "--site", "plantest", "--yes", "--reason", "HP-2026-7: new agency")
    assert code == ExitCode.OPENSTACK_API and "no cloud selected" in err, err


def test_overbooking_needs_a_reason(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "apply", "--site", "plantest", "--yes", "--allow-overbooking")
    assert code == ExitCode.USAGE and "--allow-overbooking needs --reason" in err
    code, _, err = run(capsys, "apply", "--site", "plantest", "--yes", "--reason", "   ")
    assert code == ExitCode.USAGE and "blank" in err
    code, _, err = run(
        capsys, "apply", "--site", "plantest", "--yes", "--allow-overbooking", "--reason", "mùa tuyển sinh"
    )
    assert code == ExitCode.OPENSTACK_API, err


def test_a_saved_plan_takes_a_reason_but_not_an_overbooking(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = root / "plan.json"
    assert run(capsys, "plan", "--site", "plantest", "--offline", "--out", str(saved))[0] == 0
    code, _, err = run(capsys, "apply", "--site", "plantest", str(saved), "--reason", "HP-2026-8")
    assert code == ExitCode.OPENSTACK_API, err
    code, _, err = run(
        capsys, "apply", "--site", "plantest", str(saved), "--allow-overbooking", "--reason", "x"
    )
    assert code == ExitCode.USAGE and "belong to `berth plan`" in err


def test_apply_reasons() -> None:
    assert apply_reasons(False, None) == (None, None)
    assert apply_reasons(False, " ticket ") == ("ticket", None)
    assert apply_reasons(True, " đợt tiêm chủng ") == ("đợt tiêm chủng", "đợt tiêm chủng")
    with pytest.raises(UsageError):
        apply_reasons(True, None)


def test_the_stale_hint_is_a_command_that_re_makes_the_plan(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = root / "plan.json"
    args = [str(root / "manifests" / "so-y-te.yaml"), str(OVER)]
    code, _, err = run(
        capsys, "plan", "--site", "plantest", "--offline", "--out", str(saved),
        "--allow-overbooking", "--reason", "mùa tuyển sinh", *args,
    )  # fmt: skip
    assert code == 0, err
    plan = Plan.from_json(saved.read_text(encoding="utf-8"))
    assert plan.manifests == tuple(str(shown(Path(a))) for a in args)  # as errors show them
    hint = replan_command(plan, saved)
    words = shlex.split(hint)
    assert words[:2] == ["berth", "plan"] and set(plan.manifests) <= set(words) and "mùa tuyển sinh" in words
    saved.unlink()
    assert run(capsys, *words[1:], "--offline")[0] == 0, "the hint must run as it is"
    again = Plan.from_json(saved.read_text(encoding="utf-8"))
    assert (again.tenants, again.changes, again.manifests) == (plan.tenants, plan.changes, plan.manifests)
    assert again.admission == plan.admission


def test_a_plan_of_the_default_folder_keeps_the_format_of_older_plans(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "-o", "json", "plan", "--site", "plantest", "--offline")
    assert code == 0
    assert "manifests" not in json.loads(out)  # plans saved before the field still match their sha256
    plan = Plan.from_json(out)
    assert plan.manifests == ()
    assert replan_command(plan, Path("p.json")) == "berth plan --site plantest --out p.json"
