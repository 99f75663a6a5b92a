"""Applies that never stop half-way and purges that leave nothing, through the real CLI on the devcloud
(issue 15, items 2-4).

- a manifest naming a user keystone lacks is refused at plan time and, with a saved plan, before apply's
  first write (exit 3, located at the member's field): no project is left behind;
- a project made underneath under a planned tenant's name makes the saved plan stale (exit 8), and a
  fresh plan refuses to adopt it silently (exit 3);
- `tenant destroy --delete-project` leaves nothing owned by the project's id (neutron's `default`
  security group included), no quota row and no role assignment.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from berth_core.errors import ExitCode
from tests.integration.conftest import Berth

pytestmark = [pytest.mark.openstack, pytest.mark.slow]

MEMBERS = """\
  members:
    - {{user: {user}, role: member}}
"""


def _project(conn: Any, name: str) -> Any:
    return conn.identity.find_project(name, domain_id="default")


def _with_member(berth: Berth, slug: str, user: str) -> Path:
    path = berth.manifest(slug, 11)
    path.write_text(path.read_text(encoding="utf-8") + MEMBERS.format(user=user), encoding="utf-8")
    return path


def test_a_member_keystone_lacks_is_refused_before_anything_is_written(
    berth: Berth,
    slug: str,
    conn: Any,
    tmp_path: Path,
) -> None:
    ghost = f"ghost-{uuid.uuid4().hex[:8]}"
    path = _with_member(berth, slug, ghost)
    code, _, err = berth("apply", "--yes")
    assert code == ExitCode.MANIFEST_INVALID, err
    assert f"{path.name}:" in err and "spec.members[0].user" in err and ghost in err
    assert "nothing was changed" in err
    assert _project(conn, slug) is None, "a refused apply leaves no project"

    # a saved plan whose member was deleted since: the engine's own check, before the first write
    user = conn.identity.create_user(name=ghost, domain_id="default", password=uuid.uuid4().hex)
    try:
        saved = tmp_path / "plan.json"
        code, _, err = berth("plan", "--out", str(saved))
        assert code == 0, err
    finally:
        conn.identity.delete_user(user)
    code, _, err = berth("apply", str(saved))
    assert code == ExitCode.MANIFEST_INVALID, err
    assert f"user {ghost!r} does not exist" in err
    assert _project(conn, slug) is None, "a refused saved plan leaves no project"
    code, out, _ = berth("-o", "json", "audit", "list")
    assert code == 0 and [r["entry"]["result"] for r in json.loads(out)] == ["refused"]


def test_a_project_made_underneath_makes_the_saved_plan_stale(
    berth: Berth,
    slug: str,
    conn: Any,
    tmp_path: Path,
) -> None:
    berth.manifest(slug, 12)
    saved = tmp_path / "plan.json"
    assert berth("plan", "--out", str(saved))[0] == 0
    intruder = conn.identity.create_project(name=slug, domain_id="default", description="made underneath")
    try:
        code, _, err = berth("apply", str(saved))
        assert code == ExitCode.STALE_OR_LOCKED, err
        assert "stale" in err and f"--out {saved}" in err
        # a fresh plan sees it and refuses to take it over: it is not berth's
        code, _, err = berth("apply", "--yes")
        assert code == ExitCode.MANIFEST_INVALID, err
        assert "metadata.name" in err and "not berth's" in err
        left = conn.identity.get_project(intruder.id)
        assert not [t for t in (left.tags or []) if t.startswith("berth:")], "the project is left as it was"
        assert list(conn.network.networks(project_id=intruder.id)) == []
    finally:
        conn.identity.delete_project(intruder)


def _owned_by(conn: Any, project_id: str) -> dict[str, list[str]]:
    """Everything neutron, keystone and the quota tables still hold for the project id."""
    net = conn.network
    # unfiltered: a security group list filtered by project id makes neutron create the `default` group
    groups = [g for g in net.security_groups() if g.project_id == project_id]
    rules = [r for r in net.security_group_rules() if r.project_id == project_id]
    found = {
        "security groups": [f"{g.name} {g.id}" for g in groups],
        "security group rules": [r.id for r in rules],
        "ports": [p.id for p in net.ports(project_id=project_id)],
        "networks": [n.id for n in net.networks(project_id=project_id)],
        "subnets": [s.id for s in net.subnets(project_id=project_id)],
        "routers": [r.id for r in net.routers(project_id=project_id)],
        "floating ips": [f.id for f in net.ips(project_id=project_id)],
        "rbac policies": [r.id for r in net.rbac_policies(project_id=project_id)],
    }
    quotas = net.get("/quotas").json()["quotas"]
    found["neutron quota rows"] = [q["project_id"] for q in quotas if q.get("project_id") == project_id]
    assignments = conn.identity.get(f"/role_assignments?scope.project.id={project_id}").json()
    found["role assignments"] = [str(a["role"]["id"]) for a in assignments["role_assignments"]]
    return {kind: items for kind, items in found.items() if items}


def test_destroy_with_delete_project_leaves_nothing_owned_by_the_project(
    berth: Berth,
    slug: str,
    conn: Any,
) -> None:
    path = berth.manifest(slug, 13)
    path.write_text(
        path.read_text(encoding="utf-8").replace("router: {external: false}", "router: {external: true}"),
        encoding="utf-8",
    )
    code, _, err = berth("apply", "--yes")
    assert code == 0, err
    project = _project(conn, slug)
    assert project is not None
    assert any(g.name == "default" for g in conn.network.security_groups(project_id=project.id))
    code, _, err = berth("tenant", "destroy", slug, "--yes", "--reason", "test: purge", "--delete-project")
    assert code == 0, err
    path.unlink()
    assert _project(conn, slug) is None
    assert _owned_by(conn, project.id) == {}
