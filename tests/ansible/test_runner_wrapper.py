"""berth's ansible-runner wrapper running real playbooks on localhost: failures name host, task and message
(exit code 6), timeouts stop the run, artifacts stay under the given directory, nothing else is left."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest
from rich.console import Console

from berth_cli.ansible.args import PlaybookRun
from berth_cli.ansible.progress import PlaybookProgress
from berth_cli.ansible.runner import run_playbook
from berth_core.errors import AnsibleFailed, ExitCode

pytestmark = pytest.mark.ansible

PLAYBOOK = """
- name: Wrapper probe
  hosts: all
  gather_facts: false
  tasks:
    - name: Say hello
      ansible.builtin.command: echo hello
      changed_when: true
    - name: Break on purpose
      ansible.builtin.fail:
        msg: the disk is on fire
      when: breaking | bool
    - name: Take long
      ansible.builtin.command: sleep 30
      changed_when: false
      when: slow | bool
"""


def setup(tmp: Path) -> tuple[Path, Path]:
    playbooks = tmp / "playbooks"
    playbooks.mkdir()
    (playbooks / "probe.yml").write_text(PLAYBOOK)
    (playbooks / "ansible.cfg").write_text("[defaults]\ninterpreter_python = auto_silent\n")
    inventory = tmp / "hosts.yml"
    inventory.write_text(
        'all:\n  hosts:\n    probe-host:\n      ansible_connection: local\n      ansible_python_interpreter: "{{ ansible_playbook_python }}"\n'
    )
    return playbooks, inventory


def run(
    tmp: Path, *, breaking: bool = False, slow: bool = False, timeout: int = 300
) -> tuple[object, PlaybookProgress]:
    playbooks, inventory = setup(tmp)
    spec = PlaybookRun(
        playbooks_dir=playbooks,
        playbook="probe.yml",
        inventory=inventory,
        extravars={"breaking": breaking, "slow": slow},
        timeout_s=timeout,
    )
    out = io.StringIO()
    progress = PlaybookProgress(Console(file=out, width=120), enabled=True)
    with progress:
        result = run_playbook(spec, tmp / "artifacts", progress, progress.tally)
    return result, progress


def private_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("berth-ansible-*")}


def test_success_reports_changes_and_keeps_artifacts(tmp_path: Path) -> None:
    before = private_dirs()
    result, progress = run(tmp_path)
    assert result.status == "successful"  # type: ignore[attr-defined]
    assert progress.tally.changed == 1
    assert progress.tally.hosts["probe-host"].ok >= 1
    assert result.artifact_dir.parent == tmp_path / "artifacts"  # type: ignore[attr-defined]
    assert (result.artifact_dir / "job_events").is_dir()  # type: ignore[attr-defined]
    assert private_dirs() <= before, "the private data dir is removed after the run"
    assert "changed" in progress.console.file.getvalue()  # type: ignore[attr-defined]


def test_failure_names_host_task_and_message_with_exit_code_6(tmp_path: Path) -> None:
    with pytest.raises(AnsibleFailed) as caught:
        run(tmp_path, breaking=True)
    error = caught.value
    assert error.exit_code == ExitCode.ANSIBLE_FAILED == 6
    assert "probe-host" in error.message
    assert "Break on purpose" in error.message
    assert "the disk is on fire" in error.message
    assert "artifacts" in error.hint


def test_timeout_stops_the_run(tmp_path: Path) -> None:
    with pytest.raises(AnsibleFailed, match="timed out after 3 s"):
        run(tmp_path, slow=True, timeout=3)


def test_runs_with_the_virtualenv_off_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A service manager or a /usr/local/bin symlink runs berth without the venv's bin on PATH: berth finds
    ansible-playbook beside its own interpreter (issue 15, item 10)."""
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    result, progress = run(tmp_path)
    assert result.status == "successful"  # type: ignore[attr-defined]
    assert progress.tally.changed == 1


def test_the_cli_deploys_with_the_virtualenv_off_path(tmp_path: Path) -> None:
    """`.venv/bin/berth cloud deploy --check` with PATH=/usr/bin:/bin, on a probe site of its own (a harmless
    playbook on localhost in a berth root of its own: the devcloud is never touched)."""
    import os
    import subprocess
    import sys

    berth = Path(sys.executable).parent / "berth"
    if not berth.is_file():
        pytest.skip(f"no console script beside {sys.executable}")
    root = tmp_path / "root"
    playbooks, inventory = setup(tmp_path)
    (root / "inventory" / "probe").mkdir(parents=True)
    (root / "inventory" / "probe" / "hosts.yml").write_text(inventory.read_text())
    (root / "playbooks").mkdir()
    (root / "playbooks" / "ansible.cfg").write_text((playbooks / "ansible.cfg").read_text())
    (root / "playbooks" / "site.yml").write_text(
        PLAYBOOK.replace("when: breaking | bool", "when: false").replace("when: slow | bool", "when: false")
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        "BERTH_ROOT": str(root),
        "BERTH_STATE_DIR": str(tmp_path / "state"),
        "LANG": "C.UTF-8",
    }
    done = subprocess.run(
        [str(berth), "cloud", "deploy", "--site", "probe", "--skip-preflight", "--check"],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "command was not found" not in done.stderr
