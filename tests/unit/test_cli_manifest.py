"""`berth manifest validate` through the real CLI: exit codes, text and JSON output, site checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from berth_cli.main import app, main
from berth_core.errors import ExitCode, ManifestInvalid

ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "tests/fixtures/valid"
INVALID = ROOT / "tests/fixtures/invalid"
SITE_FILE = ROOT / "tests/fixtures/site-test/cloud.yml"


@pytest.fixture
def berth_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A BERTH_ROOT whose inventory has the test site, and no BERTH_* variables leaking in."""
    root = tmp_path / "root"
    (root / "inventory/site-test").mkdir(parents=True)
    shutil.copy(SITE_FILE, root / "inventory/site-test/cloud.yml")
    monkeypatch.setenv("BERTH_ROOT", str(root))
    for var in ("BERTH_SITE", "BERTH_OUTPUT", "BERTH_LANG"):
        monkeypatch.delenv(var, raising=False)
    return root


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_valid_manifests_exit_0_with_a_summary_per_file(berth_root, capsys) -> None:
    code, out, err = run(capsys, "manifest", "validate", str(VALID), "--lang", "en")
    assert code == ExitCode.OK, err
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == f"{VALID / 'giao-duc.yml'}: OK (so-gd-dt-web, so-gd-dt-data)"
    assert lines[3] == "4 manifests are valid"
    assert lines[4].startswith("site checks skipped")


def test_vietnamese_summary(berth_root, capsys) -> None:
    code, out, _ = run(
        capsys, "--lang", "vi", "manifest", "validate", str(VALID / "lgsp.yaml"), "--site", "site-test"
    )
    assert code == 0
    assert out.splitlines() == [
        f"{VALID / 'lgsp.yaml'}: hợp lệ (lgsp)",
        "1 manifest hợp lệ",
        "đã đối chiếu với site site-test",
    ]


def test_invalid_lists_every_problem_on_stderr_and_exits_3(berth_root, capsys) -> None:
    paths = [str(INVALID / "bad-cidr.yaml"), str(INVALID / "member-admin.yaml"), str(VALID)]
    code, out, err = run(capsys, "manifest", "validate", *paths, "--lang", "en")
    assert code == ExitCode.MANIFEST_INVALID
    errors = [line for line in err.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 2
    assert errors[0].startswith(f"Error: {INVALID / 'bad-cidr.yaml'}:20:13: spec.networks[1].cidr: ")
    assert err.splitlines()[-1] == "2 problems found"
    assert "so-y-te.yaml: OK (so-y-te)" in out  # the valid ones are still named


def test_json_shape_when_invalid(berth_root, capsys) -> None:
    code, out, err = run(
        capsys,
        "-o",
        "json",
        "--lang",
        "vi",
        "manifest",
        "validate",
        str(INVALID / "site-flavor-unknown.yaml"),
        "--site",
        "site-test",
    )
    assert code == ExitCode.MANIFEST_INVALID
    assert err == ""
    document = json.loads(out)
    assert document == {
        "valid": False,
        "site": "site-test",
        "files": [
            {"file": str(INVALID / "site-flavor-unknown.yaml"), "valid": False, "tenants": ["so-tai-chinh"]}
        ],
        "problems": [
            {
                "file": str(INVALID / "site-flavor-unknown.yaml"),
                "line": 39,
                "col": 7,
                "field": "spec.flavors[1]",
                "code": "site.flavor_unknown",
                "message": "flavor 'gpu.a100' không có trong danh mục của site site-test; "
                "các flavor hiện có: db.large, m1.large, m1.small",
            }
        ],
    }


def test_json_shape_when_valid(berth_root, capsys) -> None:
    code, out, _ = run(capsys, "manifest", "validate", str(VALID), "--output", "json")
    assert code == 0
    document = json.loads(out)
    assert document["valid"] is True and document["problems"] == [] and document["site"] is None
    assert [f["tenants"] for f in document["files"]] == [
        ["so-gd-dt-web", "so-gd-dt-data"],
        ["lgsp"],
        ["so-y-te"],
    ]


def test_site_checks_follow_the_site_option(berth_root, capsys, monkeypatch) -> None:
    site_only = str(INVALID / "site-quota-class-unknown.yaml")
    assert run(capsys, "manifest", "validate", site_only)[0] == 0  # no site named: structure only
    assert run(capsys, "manifest", "validate", site_only, "--site", "site-test")[0] == 3
    assert run(capsys, "manifest", "validate", site_only, "--site", "site-test", "--no-site")[0] == 0
    monkeypatch.setenv("BERTH_SITE", "site-test")
    assert run(capsys, "manifest", "validate", site_only)[0] == 3


def test_against_site_uses_the_default_site_when_asked(berth_root, capsys) -> None:
    # the default site is aio; this root has none, so asking for site checks is a usage error
    code, _, err = run(capsys, "manifest", "validate", str(VALID), "--against-site")
    assert code == ExitCode.USAGE
    assert "aio" in err and "cloud.yml" in err


def test_named_site_without_cloud_yml_is_a_usage_error(berth_root, capsys) -> None:
    code, _, err = run(capsys, "manifest", "validate", str(VALID), "--site", "nowhere")
    assert code == ExitCode.USAGE
    assert "Traceback" not in err


def test_missing_paths_and_empty_folders(berth_root, tmp_path, capsys) -> None:
    code, _, err = run(capsys, "manifest", "validate", str(tmp_path / "absent.yaml"))
    assert code == ExitCode.MANIFEST_INVALID
    assert "file or folder not found" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run(capsys, "manifest", "validate", str(empty))
    assert code == ExitCode.USAGE
    assert "no manifest" in err


def test_an_invalid_site_file_is_reported_with_its_location(berth_root, capsys) -> None:
    site = berth_root / "inventory/site-test/cloud.yml"
    site.write_text(
        site.read_text(encoding="utf-8").replace("maxPrefixLength: 26", "maxPrefixLength: high"),
        encoding="utf-8",
    )
    code, _, err = run(capsys, "manifest", "validate", str(VALID), "--site", "site-test")
    assert code == ExitCode.MANIFEST_INVALID
    assert f"{site}:23:24: spec.addressPools[1].maxPrefixLength: expected a whole number, got 'high'" in err


def test_typer_runner(berth_root) -> None:
    """Through Typer's runner (no error boundary): JSON exits 3 itself, text raises ManifestInvalid for main()."""
    runner = CliRunner()
    assert runner.invoke(app, ["manifest", "validate", str(VALID)]).exit_code == 0
    result = runner.invoke(app, ["-o", "json", "manifest", "validate", str(INVALID / "tabs.yaml")])
    assert result.exit_code == ExitCode.MANIFEST_INVALID
    assert json.loads(result.stdout)["problems"][0]["code"] == "yaml.tab_indent"
    result = runner.invoke(app, ["manifest", "validate", str(INVALID / "tabs.yaml")])
    assert isinstance(result.exception, ManifestInvalid)
    assert [p.code for p in result.exception.problems] == ["yaml.tab_indent"]


def test_example_manifests_validate_against_haiphong(monkeypatch, capsys) -> None:
    """The repository's own manifests (written for the haiphong site) must pass this very command."""
    manifests = ROOT / "manifests"
    assert len(list(manifests.glob("*.yaml"))) >= 10
    monkeypatch.setenv("BERTH_ROOT", str(ROOT))
    code, _, err = run(capsys, "manifest", "validate", str(manifests), "--site", "haiphong")
    assert code == 0, err
