"""Every playbook parses, and the playbooks, roles and berth.cloud collection pass ansible-lint's
production profile."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.ansible

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    return str(path) if path.exists() else (shutil.which(name) or name)


def env() -> dict[str, str]:
    return {**os.environ, "ANSIBLE_CONFIG": str(PLAYBOOKS / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}


@pytest.mark.parametrize("playbook", sorted(p.name for p in PLAYBOOKS.glob("*.yml")))
@pytest.mark.parametrize("site", ["aio", "haiphong"])
def test_syntax_check(playbook: str, site: str) -> None:
    done = subprocess.run(
        [
            tool("ansible-playbook"),
            "--syntax-check",
            "-i",
            str(ROOT / "inventory" / site / "hosts.yml"),
            "-e",
            "berth_secrets_file=/dev/null",
            playbook,
        ],
        cwd=PLAYBOOKS,
        env=env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_ansible_lint_production_profile() -> None:
    done = subprocess.run(
        [tool("ansible-lint"), "--profile", "production", "--offline", "--nocolor", "."],
        cwd=PLAYBOOKS,
        env=env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-4000:]
