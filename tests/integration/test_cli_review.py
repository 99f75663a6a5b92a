"""`berth review` against the devcloud: planned live (placement's capacity, every berth tenant's committed
quota, keystone's users), on a git repository made here. Review only reads: the test checks that nothing
it reviewed was created, and leaves no manifest for the fixture's cleanup to destroy."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from berth_core.errors import ExitCode
from tests.integration.conftest import Berth

pytestmark = [
    pytest.mark.openstack,
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
]


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=Kiểm Thử", "-c", "user.email=t@berth.invalid", *args],
        capture_output=True,
        check=True,
    )


@pytest.fixture
def repo(berth: Berth, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The isolated berth root as a repository of manifests; its manifests go before the fixture's cleanup
    (which would destroy tenants by those names: review made none)."""
    root = berth.root
    (root / "manifests" / "README.md").write_text("agencies' manifests\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "request")
    monkeypatch.chdir(root)
    yield root
    for path in (root / "manifests").glob("*.yaml"):
        path.unlink()


def live_review(berth: Berth, *args: str) -> tuple[int, Any, str]:
    code, out, err = berth("review", "--base", "main", "-o", "json", *args)
    return code, (json.loads(out) if out.strip() else None), err


def test_a_new_tenant_is_reviewed_against_the_live_cloud(
    berth: Berth, repo: Path, slug: str, conn: Any
) -> None:
    berth.manifest(slug, 1)
    code, data, err = live_review(berth)
    assert code == ExitCode.OK, err
    assert data["offline"] is False
    assert data["admission"]["source"] == "placement"  # the cloud's capacity, not cloud.yml's
    (tenant,) = data["tenants"]
    assert (tenant["slug"], tenant["status"], tenant["needsApproval"]) == (slug, "added", False)
    codes = [r["code"] for r in tenant["reasons"]]
    assert codes == [
        "review.reason.tenant_added",
        "review.reason.class_pre_approved",
    ]  # default: every agency
    keys = {c["key"] for c in data["plan"]["changes"]}
    assert f"project/{slug}" in keys and f"quota/{slug}" in keys
    # the committed quota counts what the cloud holds already, not only this change
    vcpu = next(c for c in data["admission"]["classes"] if c["resourceClass"] == "VCPU")
    assert vcpu["committedAfter"]["amount"] >= 4
    assert conn.identity.find_project(slug) is None  # reviewed, not applied


def test_a_member_keystone_lacks_is_refused_live_but_not_offline(berth: Berth, repo: Path, slug: str) -> None:
    path = berth.manifest(slug, 2)
    path.write_text(
        path.read_text(encoding="utf-8") + "  members:\n    - {user: no-such-user-here, role: reader}\n",
        encoding="utf-8",
    )
    code, _, err = live_review(berth)
    assert code == ExitCode.MANIFEST_INVALID
    assert f"manifests/{slug}.yaml:" in err and "spec.members[0].user" in err
    code, data, err = live_review(berth, "--offline")
    assert code == ExitCode.OK, err
    assert data["tenants"][0]["slug"] == slug


def test_markdown_review_of_a_change_that_needs_approval(berth: Berth, repo: Path, slug: str) -> None:
    berth.manifest(slug, 3)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "new tenant")
    git(repo, "branch", "-f", "main", "HEAD")  # merged (not applied: the cloud does not hold it)
    berth.manifest(slug, 3, overrides="cores: 64")
    code, out, err = berth("review", "--base", "main", "-o", "markdown")
    assert code == ExitCode.CHANGES_PRESENT, err
    assert "1 tenant changed, 1 needs approval" in out
    assert "| cores | 4 | 64 |" in out
    assert "⚠ cores 4 → 64 by an override above quota class default" in out
    assert "(placement)" in out
