"""Every invalid fixture: exit 3 through the CLI, exactly its one located error, in English and Vietnamese.

The expected text is in tests/fixtures/snapshots/<fixture>.<lang>.txt: it is what an agency reads, so
review it by eye when it changes. Regenerate with BERTH_UPDATE_SNAPSHOTS=1 (the test then rewrites the
snapshots instead of comparing; refused under CI). Fixtures named site-* are checked against tests/fixtures/site-test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from berth_cli.main import main
from berth_core.validate import validate_paths
from tests.unit.snapshots import assert_matches_snapshot

ROOT = Path(__file__).resolve().parents[2]
INVALID = Path("tests/fixtures/invalid")  # relative: the paths in the messages are as the user typed them
SNAPSHOTS = ROOT / "tests/fixtures/snapshots"
SITE_FILE = ROOT / "tests/fixtures/site-test/cloud.yml"


def _oversized(base: Path) -> Path:
    """A valid manifest padded past 256 KiB with comments (generated, not committed)."""
    valid = (ROOT / "tests/fixtures/valid/lgsp.yaml").read_text(encoding="utf-8")
    padding = "# Dòng đệm để tệp vượt quá giới hạn kích thước.\n" * 6000
    path = base / INVALID / "oversized.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(valid + padding, encoding="utf-8")
    return path


GENERATED = {"oversized.yaml": _oversized}
COMMITTED = sorted(p.name for p in (ROOT / INVALID).iterdir())
FIXTURES = sorted([*COMMITTED, *GENERATED])


@pytest.fixture
def in_fixture_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """cwd where `tests/fixtures/invalid/<name>` exists, and a BERTH_ROOT whose site-test is the fixture site."""
    root = tmp_path / "berth-root"
    (root / "inventory/site-test").mkdir(parents=True)
    (root / "inventory/site-test/cloud.yml").write_bytes(SITE_FILE.read_bytes())
    monkeypatch.setenv("BERTH_ROOT", str(root))
    monkeypatch.delenv("BERTH_SITE", raising=False)

    def enter(name: str) -> None:
        if name in GENERATED:
            work = tmp_path / "work"
            GENERATED[name](work)
            monkeypatch.chdir(work)
        else:
            monkeypatch.chdir(ROOT)

    return enter


def _args(name: str, lang: str) -> list[str]:
    site = ["--site", "site-test"] if name.startswith("site-") else ["--no-site"]
    return ["manifest", "validate", str(INVALID / name), "--lang", lang, *site]


@pytest.mark.parametrize("lang", ["en", "vi"])
@pytest.mark.parametrize("name", FIXTURES)
def test_invalid_fixture_matches_snapshot(name: str, lang: str, in_fixture_root, capsys) -> None:
    in_fixture_root(name)
    code = main(_args(name, lang))
    _out, err = capsys.readouterr()
    assert code == 3, err
    assert "Traceback" not in err and "unexpected" not in err
    assert_matches_snapshot(SNAPSHOTS / f"{Path(name).stem}.{lang}.txt", err)


@pytest.mark.parametrize("name", FIXTURES)
def test_each_fixture_is_exactly_one_located_problem(name: str, in_fixture_root) -> None:
    in_fixture_root(name)
    site = SITE_FILE if name.startswith("site-") else None
    report = validate_paths([INVALID / name], site)
    assert len(report.problems) == 1, report.problems
    location = report.problems[0].location
    assert location.file.startswith(str(INVALID / Path(name).stem))


def test_fixtures_are_distinct_mistakes(in_fixture_root) -> None:
    seen: dict[tuple[str, str], str] = {}
    for name in FIXTURES:
        in_fixture_root(name)
        site = SITE_FILE if name.startswith("site-") else None
        (problem,) = validate_paths([INVALID / name], site).problems
        key = (problem.code, problem.location.field)
        assert key not in seen, f"{name} repeats the mistake of {seen.get(key)}"
        seen[key] = name
    assert len(FIXTURES) >= 30


def test_no_stale_snapshots() -> None:
    expected = {f"{Path(n).stem}.{lang}.txt" for n in FIXTURES for lang in ("en", "vi")}
    assert {p.name for p in SNAPSHOTS.iterdir()} == expected


def test_fixture_site_is_valid() -> None:
    from berth_core.loader import load_site

    assert load_site(SITE_FILE).name == "site-test"
