"""The operator's tenant workflow through the real `berth` CLI against the devcloud.

plan -> apply -> re-plan shows nothing -> change one manifest -> exactly that update; saved plans and
stale ones; over-capacity refused with nothing changed; a second apply meets the lock; tenant list/show;
the audit chain; staged destroy. Each test works in its own berth root (a copy of the aio site, its own
manifests and state directory) with tenants named berth-it-<random>, and destroys what it created.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from berth_core.errors import ExitCode
from tests.integration.conftest import Berth

pytestmark = [pytest.mark.openstack, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _changes(plan: dict[str, Any], tenant: str) -> list[tuple[str, str]]:
    return sorted(
        (c["action"], c["key"]) for c in plan["changes"] if c["tenant"] == tenant and c["action"] != "no-op"
    )


def _kinds_pending(berth: Berth) -> set[tuple[str, str]]:
    """(action, kind) of every change a live plan of the site still holds, platform included."""
    return {
        (c["action"], c["key"].split("/", 1)[0])
        for c in berth.plan_json()["changes"]
        if c["action"] != "no-op"
    }


def test_apply_replan_change_and_destroy(berth: Berth, slug: str) -> None:
    berth.manifest(slug, 1)
    code, _, err = berth("plan", "--detailed-exitcode")
    assert code == ExitCode.CHANGES_PRESENT, err

    code, out, err = berth("apply", "--yes")
    assert code == 0, err
    assert "engine: direct" in err
    assert "Applied:" in out

    code, _, err = berth("plan", "--detailed-exitcode")
    assert code == 0, f"a re-plan right after apply must show no changes:\n{err}"

    # one more rule in one manifest: exactly one create, nothing else moves
    path = berth.root / "manifests" / f"{slug}.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            '        - {direction: ingress, protocol: tcp, ports: "443", remote: 10.64.0.0/12}',
            '        - {direction: ingress, protocol: tcp, ports: "443", remote: 10.64.0.0/12}\n'
            '        - {direction: ingress, protocol: tcp, ports: "8443", remote: 10.64.0.0/12}',
        ),
        encoding="utf-8",
    )
    changes = _changes(berth.plan_json(), slug)
    assert (
        len(changes) == 1
        and changes[0][0] == "create"
        and changes[0][1].startswith(f"secgroup-rule/{slug}/web/")
    )
    # and a quota override is exactly one update of the quota
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "{class: default}", "{class: default, overrides: {cores: 3}}"
        )
    )
    changes = _changes(berth.plan_json(), slug)
    assert ("update", f"quota/{slug}") in changes and len(changes) == 2
    code, out, err = berth("-o", "json", "apply", "--yes")
    assert code == 0, err
    applied = json.loads(out)  # JSON on stdout alone: the progress goes to stderr
    assert applied["applied"] is True and applied["counts"]["update"] >= 1 and applied["requests"] > 0
    assert applied["engine"] == "direct"
    assert berth("plan", "--detailed-exitcode")[0] == 0
    code, out, err = berth("-o", "json", "apply", "--yes")  # nothing left: said in JSON too
    assert code == 0 and json.loads(out) == {
        "applied": False,
        "counts": None,
        "requests": 0,
        "engine": "direct",
    }, out

    # the tenant moves to another agency: one project update (attribute and tag), then nothing pending
    path.write_text(path.read_text(encoding="utf-8").replace("agency: ITEST", "agency: ITEST-B"))
    assert _changes(berth.plan_json(), slug) == [("update", f"project/{slug}")]
    assert berth("apply", "--yes")[0] == 0
    assert berth("plan", "--detailed-exitcode")[0] == 0, "the old agency tag must be gone"

    code, out, _ = berth("-o", "json", "tenant", "show", slug)
    assert code == 0
    shown = json.loads(out)
    assert shown["displayName"].startswith("Phòng thử nghiệm")
    assert shown["agency"] == "ITEST-B"
    assert shown["usage"]["cores"]["limit"] == 3
    assert list(shown["networks"]) == ["app"]
    code, out, _ = berth("-o", "json", "tenant", "list")
    assert slug in {row["slug"] for row in json.loads(out)}

    code, out, err = berth("tenant", "destroy", slug, "--yes", "--reason", "test: staged destroy")
    assert code == 0, err
    code, out, _ = berth("-o", "json", "tenant", "list")
    assert slug not in {row["slug"] for row in json.loads(out)}, "nothing tagged for the tenant may remain"
    code, out, err = berth("audit", "verify")
    assert code == 0 and "intact" in out, err
    code, out, _ = berth("-o", "json", "audit", "list")
    actions = [r["entry"]["action"] for r in json.loads(out)]
    assert actions == ["apply", "apply", "apply", "destroy"]
    (berth.root / "manifests" / f"{slug}.yaml").unlink()


def test_saved_plan_applies_and_a_stale_one_is_refused(berth: Berth, slug: str, tmp_path: Path) -> None:
    berth.manifest(slug, 2)
    saved = tmp_path / "plan.json"
    assert berth("plan", "--out", str(saved))[0] == 0
    code, _, err = berth("apply", str(saved))
    assert code == 0, err

    # plan again, then change the cloud behind the saved plan's back: the plan is stale
    path = berth.manifest(slug, 2, overrides="instances: 3")
    assert berth("plan", "--out", str(saved))[0] == 0
    path.write_text(
        path.read_text(encoding="utf-8").replace("instances: 3", "instances: 2"), encoding="utf-8"
    )
    assert berth("apply", "--yes")[0] == 0
    code, _, err = berth("apply", str(saved))
    assert code == ExitCode.STALE_OR_LOCKED, err
    assert "stale" in err


def test_over_capacity_is_refused_and_nothing_changes(berth: Berth, slug: str) -> None:
    berth.manifest(slug, 3, overrides="cores: 100000")
    code, out, err = berth("apply", "--yes")
    assert code == ExitCode.CAPACITY_REFUSED, err
    assert "refused" in err and "VCPU" in err
    code, out, _ = berth("-o", "json", "tenant", "list")
    assert slug not in {row["slug"] for row in json.loads(out)}
    code, out, _ = berth("-o", "json", "audit", "list")
    assert [r["entry"]["result"] for r in json.loads(out)] == ["refused"]


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from berth_cli.state.lock import site_lock
    with site_lock(Path(sys.argv[1]), "berth apply --site aio (the other operator)"):
        print("held", flush=True)
        time.sleep(60)
    """
)


def test_a_second_apply_meets_the_lock_and_changes_nothing(berth: Berth, slug: str, tmp_path: Path) -> None:
    berth.manifest(slug, 4)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "state" / "aio")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        code, _, err = berth("apply", "--yes", "--wait", "1")
        assert code == ExitCode.STALE_OR_LOCKED
        assert f"pid {holder.pid}" in err and "the other operator" in err
    finally:
        holder.kill()
        holder.wait()
    code, out, _ = berth("-o", "json", "tenant", "list")
    assert slug not in {row["slug"] for row in json.loads(out)}
    assert berth("apply", "--yes")[0] == 0  # the lock died with its holder


def test_after_pulumi_the_direct_engine_finishes_what_pulumi_cannot_write(
    berth: Berth, slug: str, conn: Any
) -> None:
    """A Pulumi apply leaves a project without keystone's extra attributes and the default quota class as it
    was: the Pulumi engine's direct pass writes exactly those, and nothing Pulumi is meant to converge."""
    from berth_cli.context import site_context
    from berth_cli.services.engines import PulumiEngine
    from berth_cli.services.planning import observe_site, open_cloud, plan_site
    from tests.stacks.mock_runner import MockStackRunner

    berth.manifest(slug, 7)
    assert berth("apply", "--yes")[0] == 0
    try:
        project = conn.identity.find_project(slug, domain_id="default")
        # what identity.Project leaves: no extra attributes (the agency tag it does write stays)
        conn.identity.patch(
            f"/projects/{project.id}", json={"project": {"berth_display_name": None, "berth_agency": None}}
        )
        classes = conn.compute.get("/os-quota-class-sets/default", microversion="2.57").json()[
            "quota_class_set"
        ]
        conn.compute.put(
            "/os-quota-class-sets/default",
            json={"quota_class_set": {"cores": classes["cores"] + 1}},
            microversion="2.57",
        )
        # and something that is Pulumi's to converge, which the direct pass must leave alone
        web = conn.network.find_security_group("web", project_id=project.id)
        rule = next(iter(conn.network.security_group_rules(security_group_id=web.id, direction="ingress")))
        conn.network.delete_security_group_rule(rule)

        assert _kinds_pending(berth) == {
            ("update", "project"),
            ("update", "quota-class"),
            ("create", "secgroup-rule"),
        }

        ctx = site_context()
        cloud = open_cloud(ctx)
        planned = plan_site(ctx, None, offline=False, override_reason=None, cloud=cloud)
        site = planned.site
        engine = PulumiEngine(cloud, site, MockStackRunner(), observe=lambda: observe_site(cloud, site))
        result = engine.finish_beyond_pulumi(planned.outcome.desired, None)
        assert result is not None
        left = _kinds_pending(berth)
        assert left == {("create", "secgroup-rule")}, "extras and quota class written; the rule is Pulumi's"
    finally:
        assert berth("apply", "--yes")[0] == 0  # converge the rest (the rule, or all of it after a failure)
