"""`berth cloud backup|restore`'s refusals through the CLI entry point, before any host is touched: a
clustered site, a key kept where backups go, a missing archive, another site's, another release's.
(The backup and restore themselves run on the devcloud: tests/integration/test_restore_from_backup.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from berth_cli.backup.archive import write_archive
from berth_cli.backup.key import new_key_file
from berth_cli.main import main
from berth_core.backup import DATABASE_MEMBER, Manifest
from berth_core.errors import ExitCode

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BERTH_ROOT", str(ROOT))
    monkeypatch.setenv("BERTH_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().err


def archive_of(tmp_path: Path, key_file: Path, site: str, release: str) -> Path:
    database = tmp_path / "db.tar.gz"
    database.write_bytes(b"not really a database")
    manifest = Manifest(site, "2026-12-04T20:00:00Z", "0.1.0", release, False, ())
    path = tmp_path / f"{site}-{release}.berth-backup"
    write_archive(path, new_key_file(key_file), manifest, {DATABASE_MEMBER: database})
    return path


def test_a_clustered_site_is_refused_before_a_key_is_made(state, tmp_path, capsys):
    key = tmp_path / "lab.key"
    code, err = run(capsys, "--site", "lab", "cloud", "backup", "--key-file", str(key), "--new-key")
    assert code == ExitCode.USAGE and "clustered site (Galera) are not built yet" in err, err
    assert not key.exists()


def test_a_key_inside_the_state_directory_is_refused(state, capsys):
    key = state / "aio" / "backup.key"
    code, err = run(capsys, "--site", "aio", "cloud", "backup", "--key-file", str(key), "--new-key")
    assert code == ExitCode.USAGE and "inside the site's state directory" in err, err
    assert not key.exists()


def test_restore_refuses_a_missing_file_and_another_sites_archive(state, tmp_path, capsys):
    key = tmp_path / "k"
    lab = archive_of(tmp_path, key, "lab", "2026.1")
    code, err = run(
        capsys, "--site", "aio", "cloud", "restore", str(tmp_path / "none"), "--key-file", str(key)
    )
    assert code == ExitCode.ARCHIVE_REFUSED and "cannot be read" in err, err
    code, err = run(capsys, "--site", "aio", "cloud", "restore", str(lab), "--key-file", str(key))
    assert code == ExitCode.ARCHIVE_REFUSED and "a backup of site 'lab', not of 'aio'" in err, err


def test_restore_refuses_another_releases_backup_and_touches_nothing(state, tmp_path, capsys):
    key = tmp_path / "k"
    old = archive_of(tmp_path, key, "aio", "2025.2")
    code, err = run(capsys, "--site", "aio", "cloud", "restore", str(old), "--key-file", str(key))
    assert code == ExitCode.ARCHIVE_REFUSED and "a backup of OpenStack 2025.2; site aio runs 2026.1" in err, (
        err
    )
    assert not (state / "aio" / "ansible").exists(), "no playbook ran"
    assert not any((state / "aio").rglob("*.yml")), "no state file was restored"


def test_an_archive_inside_the_state_directory_is_refused(state, tmp_path, capsys):
    key = tmp_path / "k"
    new_key_file(key)
    inside = state / "aio" / "nightly.berth-backup"
    code, err = run(
        capsys, "--site", "aio", "cloud", "backup", "--key-file", str(key), "--archive", str(inside)
    )
    assert code == ExitCode.USAGE and "the archive is inside the site's state directory" in err, err
    assert not (state / "aio" / "ansible").exists(), "no playbook ran"
