"""`berth review --offline` on real git repositories made here: added, changed, renamed, deleted manifests,
a base that does not exist, a binary file; exit codes, text, json and markdown, both languages."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from berth_cli.main import main

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

TENANT = """\
apiVersion: berth/v1
kind: Tenant
metadata:
  name: {slug}
  displayName: Phòng thử {slug}
  agency: {agency}
  contact: {{name: Kiểm Thử, email: test@berth.invalid}}
spec:
  quota: {{class: {cls}}}
  networks: [{{name: app, prefixLength: 26}}]
  router: {{external: true}}
  members: [{members}]
"""


def tenant(slug: str, agency: str = "SYT", cls: str = "small", members: str = "") -> str:
    return TENANT.format(slug=slug, agency=agency, cls=cls, members=members)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=Kiểm Thử", "-c", "user.email=t@berth.invalid", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository of manifests with the aio site, one commit: so-a (SYT small), so-b and so-c (STC)."""
    root = tmp_path / "repo"
    (root / "inventory" / "aio").mkdir(parents=True)
    shutil.copy(ROOT / "inventory" / "aio" / "cloud.yml", root / "inventory" / "aio" / "cloud.yml")
    manifests = root / "manifests"
    manifests.mkdir()
    (manifests / "so-a.yaml").write_text(tenant("so-a"), encoding="utf-8")
    (manifests / "so-b.yaml").write_text(tenant("so-b", "STC"), encoding="utf-8")
    (manifests / "so-c.yaml").write_text(tenant("so-c", "STC"), encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "request")  # the agency's branch; main stays the base
    monkeypatch.setenv("BERTH_ROOT", str(root))
    monkeypatch.setenv("BERTH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.chdir(root)
    for name in ("BERTH_SITE", "BERTH_OUTPUT", "BERTH_LANG"):
        monkeypatch.delenv(name, raising=False)
    return root


def review(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["review", "--site", "aio", "--base", "main", "--offline", *args])
    out, err = capsys.readouterr()
    return code, out, err


def as_json(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    code, out, err = review(capsys, "-o", "json")
    assert code in (0, 10), err
    return code, json.loads(out)


def tenants(data: dict[str, object]) -> dict[str, dict[str, object]]:
    return {t["slug"]: t for t in data["tenants"]}  # type: ignore[index, union-attr]


def test_no_change_is_exit_0_and_says_so(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = review(capsys)
    assert code == 0, err
    assert out.startswith("site aio, base main: no manifest changes")


def test_a_pre_approved_step_up_is_auto(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "manifests" / "so-a.yaml").write_text(tenant("so-a", cls="medium"), encoding="utf-8")
    code, data = as_json(capsys)
    assert code == 0
    so_a = tenants(data)["so-a"]
    assert so_a["status"] == "changed" and so_a["needsApproval"] is False
    assert {"field": "class", "before": "small", "after": "medium"} in so_a["quota"]  # type: ignore[operator]
    assert {"field": "cores", "before": "8", "after": "16"} in so_a["quota"]  # type: ignore[operator]
    keys = [c["key"] for c in data["plan"]["changes"]]  # type: ignore[index]
    assert "quota/so-a" in keys and all("/so-a" in k for k in keys)  # the reviewed tenant's changes only


def test_added_changed_renamed_and_deleted(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifests = repo / "manifests"
    (manifests / "so-a.yaml").write_text(
        tenant("so-a", cls="large", members="{user: le.van.cuong, role: member}"), encoding="utf-8"
    )
    git(repo, "mv", "manifests/so-b.yaml", "manifests/tai-chinh.yaml")  # renamed, content unchanged
    git(repo, "rm", "-q", "manifests/so-c.yaml")
    (manifests / "so-d.yaml").write_text(tenant("so-d", "STC"), encoding="utf-8")  # untracked: added
    git(repo, "commit", "-q", "-am", "agency requests")
    (manifests / "so-e.yaml").write_text(tenant("so-e", "STC", members="{group: stc-doc, role: reader}"))
    code, data = as_json(capsys)
    assert code == 10
    found = tenants(data)
    assert {slug: (t["status"], t["needsApproval"]) for slug, t in found.items()} == {
        "so-a": ("changed", True),
        "so-b": ("unchanged", False),
        "so-c": ("deleted", True),
        "so-d": ("added", False),
        "so-e": ("added", False),
    }
    reasons = {r["code"]: r["params"] for r in found["so-a"]["reasons"]}  # type: ignore[union-attr, index]
    assert "review.reason.class_not_pre_approved" in reasons  # large is not pre-approved for SYT
    assert reasons["review.reason.member_added"] == {
        "principal": "user le.van.cuong",
        "role": "member",
        "agency": "SYT",
    }
    assert found["so-b"]["files"] == ["main:manifests/so-b.yaml", "manifests/tai-chinh.yaml"]
    assert found["so-c"]["reasons"][0]["code"] == "review.reason.tenant_deleted"  # type: ignore[index]


def test_markdown_is_a_merge_request_comment_in_both_languages(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "manifests" / "so-a.yaml").write_text(tenant("so-a", cls="large"), encoding="utf-8")
    code, out, _ = review(capsys, "-o", "markdown")
    assert code == 10
    assert out.startswith("**berth review** · site aio, base main: 1 tenant changed, 1 needs approval\n")
    assert "### `so-a` (SYT) · changed · **needs approval**" in out
    assert "| field | before | after |" in out and "| class | small | large |" in out
    assert "| cores | 8 | 32 |" in out
    assert "- ⚠ quota class small → large jumps 2 size(s); the policy allows 1 without approval" in out
    assert "| VCPU |" in out and "<details><summary>" in out and "+ quota/so-a" in out
    assert "Approvers: group dc-capacity-board, user tran.thi.binh" in out
    code, out, _ = review(capsys, "-o", "markdown", "--lang", "vi")
    assert code == 10
    assert "1 tenant thay đổi, 1 cần phê duyệt" in out
    assert "· thay đổi · **cần phê duyệt**" in out
    assert "| mục | trước thay đổi | sau thay đổi |" in out
    assert "lớp hạn mức small → large tăng 2 cỡ" in out


def test_a_base_that_does_not_exist_is_a_usage_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    code = main(["review", "--base", "no-such-branch", "--offline"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--base 'no-such-branch' names no commit" in err
    code = main(["review", "--base", "--all", "--offline"])  # never read as an option of git
    assert code == 2
    assert "--base '--all' is not a git revision" in capsys.readouterr().err


def test_outside_a_repository_is_a_usage_error(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shutil.rmtree(repo / ".git")
    code, _, err = review(capsys)
    assert code == 2 and "is not inside a git repository" in err


def test_a_binary_manifest_is_a_located_problem(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "manifests" / "logo.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    code, _, err = review(capsys)
    assert code == 3
    assert "Error: manifests/logo.yaml: (whole file): the file is binary" in err


def test_a_binary_file_at_the_base_needs_a_person(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "manifests" / "old.yaml").write_bytes(b"\x00\x01binary")
    git(repo, "add", "manifests/old.yaml")
    git(repo, "commit", "-q", "-m", "a binary file slipped in")
    git(repo, "branch", "-f", "main", "HEAD")  # merged: the base holds it
    git(repo, "rm", "-q", "manifests/old.yaml")
    code, data = as_json(capsys)
    assert code == 10
    (entry,) = data["tenants"]  # type: ignore[misc]
    assert entry["reasons"][0]["code"] == "review.reason.base_invalid"
    assert entry["reasons"][0]["params"] == {"file": "manifests/old.yaml", "count": 1}


def test_an_invalid_changed_manifest_is_exit_3(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "manifests" / "so-a.yaml").write_text(tenant("so-a", cls="huge"), encoding="utf-8")
    code, _, err = review(capsys)
    assert code == 3
    assert "manifests/so-a.yaml:9:18: spec.quota.class" in err and "huge" in err


def test_a_sanity_error_is_exit_3_located_a_warning_is_shown(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nets = ", ".join(f"{{name: n{i}, prefixLength: 28}}" for i in range(4))
    text = tenant("so-a").replace("[{name: app, prefixLength: 26}]", f"[{nets}]")
    (repo / "manifests" / "so-a.yaml").write_text(text, encoding="utf-8")
    code, _, err = review(capsys)
    assert code == 3
    assert "manifests/so-a.yaml:9:18: spec.quota.class: the manifest declares 4 networks" in err
    assert "the manifest declares 4 networks; the quota allows 3" in err
    no_router = tenant("so-a").replace("router: {external: true}", "router: {external: false}")
    (repo / "manifests" / "so-a.yaml").write_text(no_router, encoding="utf-8")
    code, out, err = review(capsys)
    assert code == 0, err
    assert (
        "! manifests/so-a.yaml:9:18: spec.quota.class" in out
        and "floating IPs but the tenant has no router" in out
    )


def test_markdown_is_refused_by_other_commands(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["plan", "--offline", "-o", "markdown"]) == 2
    assert "--output markdown is only for berth review" in capsys.readouterr().err


def _cut_plan(markdown: str) -> str:
    """README shows the plan's first three lines (the rest is said to be cut)."""
    out: list[str] = []
    lines: list[str] | None = None
    for line in markdown.splitlines():
        if line == "```text":
            out.append(line)
            lines = []
        elif lines is not None and line == "```":
            out += lines[:3] + ([f"… ({len(lines) - 3} more lines)"] if len(lines) > 3 else []) + [line]
            lines = None
        elif lines is not None:
            lines.append(line)
        else:
            out.append(line)
    return "\n".join(out)


def test_the_readme_shows_the_comment_berth_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "hp"
    (root / "inventory" / "haiphong").mkdir(parents=True)
    shutil.copy(ROOT / "inventory" / "haiphong" / "cloud.yml", root / "inventory" / "haiphong" / "cloud.yml")
    (root / "manifests").mkdir()
    source = (ROOT / "manifests" / "so-y-te.yaml").read_text(encoding="utf-8")
    (root / "manifests" / "so-y-te.yaml").write_text(source, encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    asked = source.replace("class: medium", "class: large").replace(
        "    - {group: syt-auditors, role: reader}\n",
        "    - {group: syt-auditors, role: reader}\n    - {user: le.van.cuong, role: member}\n",
    )
    (root / "manifests" / "so-y-te.yaml").write_text(asked, encoding="utf-8")
    monkeypatch.setenv("BERTH_ROOT", str(root))
    monkeypatch.setenv("BERTH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.chdir(root)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for lang in ("en", "vi"):
        capsys.readouterr()
        args = [
            "review",
            "--site",
            "haiphong",
            "--base",
            "main",
            "--offline",
            "-o",
            "markdown",
            "--lang",
            lang,
        ]
        assert main(args) == 10
        shown = _cut_plan(capsys.readouterr().out.rstrip("\n"))
        assert f"```markdown\n{shown}\n```" in readme, lang
