"""`berth cloud backup` and `berth cloud restore` on the devcloud, end to end: the site's tenants applied,
a backup, a project made after it, every OpenStack database dropped, bad archives and a wrong key refused
(exit 12, nothing changed), the restore, and its verification (services, audit chain, an empty plan); then
the restored cloud takes a change.

It drops the devcloud's databases for real, so it runs on the devcloud CI deploys for the tests (the
restore puts them back; a failure here leaves the devcloud as the failure left it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from berth_cli.main import main
from berth_core.errors import ExitCode
from tests.integration.conftest import CLOUDS_YAML, ROOT, Berth, state_dir

pytestmark = [pytest.mark.openstack, pytest.mark.slow]

SYSTEM_DATABASES = {"information_schema", "mysql", "performance_schema", "sys"}


def sql(statement: str) -> str:
    """Run SQL as MariaDB's root on this machine (the devcloud's database host), over its socket."""
    done = subprocess.run(
        ["mysql", "-N", "-B", "-e", statement], check=False, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def openstack_databases() -> set[str]:
    return set(sql("SHOW DATABASES").split()) - SYSTEM_DATABASES


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--site", "aio", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def real_site(clouds_yaml: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The repository's own root and the devcloud's own state directory: what an operator's restore uses."""
    monkeypatch.setenv("BERTH_ROOT", str(ROOT))
    monkeypatch.setenv("BERTH_STATE_DIR", str(state_dir().parent))
    monkeypatch.delenv("OS_CLOUD", raising=False)
    return state_dir()


def test_a_wiped_control_plane_comes_back_from_its_backup_and_verifies(
    real_site: Path,
    conn: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key, archive = tmp_path / "vault" / "aio.key", tmp_path / "aio.berth-backup"
    code, _, err = run(capsys, "apply", "--yes", "--reason", "the site's tenants, before the backup")
    assert code == 0, err

    code, out, err = run(
        capsys,
        "-o",
        "json",
        "cloud",
        "backup",
        "--key-file",
        str(key),
        "--new-key",
        "--archive",
        str(archive),
    )
    assert code == 0, err
    summary = json.loads(out)
    projects = {p.name for p in conn.identity.projects()}
    assert summary["archive"] == str(archive) and summary["database_bytes"] > 1 << 20, summary
    assert key.read_text().strip().split(":", 1)[1] not in out + err, "the key is never printed"
    with capsys.disabled():
        print(f"\nbackup: {summary['bytes'] / 2**20:.1f} MiB in {summary['seconds']} s")

    later = conn.identity.create_project(name=f"after-the-backup-{uuid.uuid4().hex[:6]}", domain_id="default")

    # bad inputs change nothing: refused before any host is touched
    wrong = tmp_path / "vault" / "other.key"
    assert (
        run(
            capsys, "cloud", "backup", "--key-file", str(wrong), "--new-key", "--archive", str(tmp_path / "x")
        )[0]
        == 0
    )
    code, _, err = run(capsys, "cloud", "restore", str(archive), "--key-file", str(wrong))
    assert code == ExitCode.ARCHIVE_REFUSED and "made with another key" in err, err
    damaged = tmp_path / "damaged.berth-backup"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    code, _, err = run(capsys, "cloud", "restore", str(damaged), "--key-file", str(key))
    assert code == ExitCode.ARCHIVE_REFUSED and "altered" in err, err
    foreign = tmp_path / "foreign.tar.gz"
    foreign.write_bytes(b"\x1f\x8b\x08\x00" + bytes(64))
    code, _, err = run(capsys, "cloud", "restore", str(foreign), "--key-file", str(key))
    assert code == ExitCode.ARCHIVE_REFUSED and "not a berth backup archive" in err, err
    assert conn.identity.get_project(later.id).name == later.name, "a refused restore changed the cloud"

    # the disaster: every OpenStack database gone
    databases = openstack_databases()
    assert {"keystone", "nova", "neutron", "glance", "cinder", "placement"} <= databases, databases
    sql("; ".join(f"DROP DATABASE `{name}`" for name in sorted(databases)))
    assert openstack_databases() == set()

    code, out, err = run(
        capsys, "-o", "json", "cloud", "restore", str(archive), "--key-file", str(key), "--skip-preflight"
    )
    report = json.loads(out)
    assert code == 0, (report, err)
    assert report["verified"] and report["plan_changes"] == 0 and report["audit_intact"], report
    assert report["services"] and all(report["services"].values()), report["services"]
    assert openstack_databases() == databases
    with capsys.disabled():
        print(f"restore (with its deploy and verification): {report['seconds']} s")
    set_aside = Path(f"/var/lib/mysql{report['set_aside']}")  # the devcloud's datadir, moved aside
    assert set_aside.is_dir(), set_aside
    shutil.rmtree(set_aside)

    conn.close()
    import openstack.config
    import openstack.connection

    fresh = openstack.connection.Connection(
        config=openstack.config.OpenStackConfig(config_files=[str(CLOUDS_YAML)]).get_one(cloud="aio-admin")
    )
    names = {p.name for p in fresh.identity.projects()}
    assert names == projects, f"not the backup's projects: {sorted(names ^ projects)}"

    # the restored cloud takes a change: a new tenant applied, then destroyed
    monkeypatch.setenv("BERTH_STATE_DIR", str(tmp_path / "other-state"))
    (tmp_path / "other-state" / "aio").mkdir(parents=True)
    (tmp_path / "other-state" / "aio" / "clouds.yaml").write_bytes(CLOUDS_YAML.read_bytes())
    root = tmp_path / "root"
    (root / "inventory" / "aio").mkdir(parents=True)
    (root / "inventory" / "aio" / "cloud.yml").write_bytes(
        (ROOT / "inventory" / "aio" / "cloud.yml").read_bytes()
    )
    (root / "manifests").mkdir()
    monkeypatch.setenv("BERTH_ROOT", str(root))
    tool = Berth(root, capsys)
    slug = f"berth-it-{uuid.uuid4().hex[:8]}"
    tool.manifest(slug, 1)
    code, _, err = tool("apply", "--yes")
    assert code == 0, err
    assert fresh.identity.find_project(slug) is not None
    code, _, err = tool("tenant", "destroy", slug, "--yes", "--reason", "restore test", "--delete-project")
    assert code == 0, err
