"""berth's OpenStack service skeleton (playbooks/roles/openstack_service), run for real against the
devcloud's MariaDB with a probe service of its own: a re-created database forgets every "done" marker
(the schema marker of the release and the service's extra ones), so the migration runs again; an existing
one changes nothing. Keystone once forgot `db-synced` while its marker was `db-synced-<release>`, so a
re-created identity database skipped db_sync and failed the bootstrap; every role now names its markers
through this one skeleton."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = [pytest.mark.openstack, pytest.mark.ansible]

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "berth_skeleton_probe"


def _mysql(statement: str) -> str:
    done = subprocess.run(["mysql", "-N", "-B", "-e", statement], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def mariadb() -> Any:
    if (
        shutil.which("mysql") is None
        or subprocess.run(["mysqladmin", "ping"], check=False, capture_output=True).returncode
    ):
        pytest.skip("the devcloud's MariaDB is not running here")
    yield
    _mysql(f"DROP DATABASE IF EXISTS {DATABASE}; DROP USER IF EXISTS '{DATABASE}'@'localhost';")
    _mysql(f"DROP USER IF EXISTS '{DATABASE}'@'127.0.0.1';")


def _playbook(tmp: Path, state: Path) -> Path:
    spec = {
        "name": "skeleton-probe",
        "config_dir": str(tmp / "etc"),
        "state_dir": str(state),
        "databases": [DATABASE],
        "db_user": DATABASE,
        "release": "1.2.3",
        "reset_markers": ["bootstrapped"],
        "templates": [],
        # the migration leaves a trace of each run in the state directory (it runs as the service account)
        "db_sync": [{"argv": ["/bin/sh", "-c", f"echo migrated >> {state}/migrations"]}],
        "processes": [],
        "watch": [],
    }
    play = [
        {
            "name": "Probe the service skeleton",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars": {
                "ansible_python_interpreter": sys.executable,
                "openstack_service_db_password": "probe-password-not-secret",
                "berth_venv": str(tmp),
                "berth_service_user": "berth",
                "berth_service_group": "berth",
                "berth_management_address": "127.0.0.1",  # as inventory/aio gives its host
            },
            "tasks": [
                {
                    "name": "Prepare and migrate",
                    "ansible.builtin.include_role": {"name": "openstack_service", "tasks_from": step},
                    "vars": {"openstack_service_spec": spec},
                }
                for step in ("prepare", "db_sync")
            ],
        }
    ]
    path = tmp / "probe.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
    return path


def _run(playbook: Path) -> dict[str, int]:
    env = {
        **os.environ,
        "ANSIBLE_ROLES_PATH": str(ROOT / "playbooks" / "roles"),
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / "playbooks" / "collections"),
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
    }
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", str(playbook)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    recap = re.search(r"^localhost\s+:\s+(.*)$", done.stdout, re.MULTILINE)
    assert recap, done.stdout[-2000:]
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", recap.group(1))}


@pytest.fixture
def workdir() -> Any:
    """A directory the service account can reach (pytest's own tmp_path is root's, 0700)."""
    path = Path(tempfile.mkdtemp(prefix="berth-skeleton-", dir="/var/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_a_recreated_database_forgets_its_markers_and_migrates_again(mariadb: None, workdir: Path) -> None:
    state = workdir / "state"
    playbook = _playbook(workdir, state)

    _run(playbook)
    marker = state / "db-synced-1.2.3"
    assert marker.read_text() == "1.2.3\n"
    assert (state / "migrations").read_text().splitlines() == ["migrated"]

    assert _run(playbook)["changed"] == 0  # the database exists, the marker holds: nothing to do
    assert (state / "migrations").read_text().splitlines() == ["migrated"]

    (state / "bootstrapped").write_text("done\n")  # a service's own marker (keystone's bootstrap)
    _mysql(f"DROP DATABASE {DATABASE}")
    _run(playbook)
    assert (state / "migrations").read_text().splitlines() == ["migrated", "migrated"]
    assert marker.is_file()
    assert not (state / "bootstrapped").exists()
