"""berth.cloud.supervised_process, the devcloud's supervisor without systemd, run as Ansible runs it
(the module file with a JSON arguments file), against real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.ansible

MODULE = (
    Path(__file__).resolve().parents[2]
    / "playbooks/collections/ansible_collections/berth/cloud/plugins/modules/supervised_process.py"
)


def run_module(tmp: Path, **args: Any) -> dict[str, Any]:
    args.setdefault("run_dir", str(tmp / "run"))
    args.setdefault("log_dir", str(tmp / "log"))
    args_file = tmp / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    done = subprocess.run(
        [sys.executable, str(MODULE), str(args_file)], capture_output=True, text=True, check=False
    )
    return dict(json.loads(done.stdout))


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def service(tmp_path: Path) -> Any:
    config = tmp_path / "svc.conf"
    config.write_text("v1\n")
    # ignores SIGTERM (inherited by its child), like a busy nova process: only SIGKILL stops it
    command = ["sh", "-c", "trap '' TERM; sleep 300 & wait"]
    started: list[int] = []

    def call(**extra: Any) -> dict[str, Any]:
        result = run_module(
            tmp_path, name="svc", command=command, watch=[str(config)], stop_timeout=1, **extra
        )
        if result.get("pid"):
            started.append(result["pid"])
        return result

    yield call, config, tmp_path
    for pid in started:  # never leave a process behind, even when an assertion failed
        if group_alive(pid):
            os.killpg(pid, signal.SIGKILL)


def test_start_is_idempotent_restart_follows_config_and_stop_kills_the_group(service: Any) -> None:
    call, config, tmp = service
    first = call()
    assert first["changed"] is True
    pid = first["pid"]
    assert os.getpgid(pid) == pid, "leader of its own process group"
    assert (tmp / "run" / "svc.pid").read_text().strip() == str(pid)
    assert (tmp / "log" / "svc.log").exists()

    again = call()
    assert again["changed"] is False
    assert again["pid"] == pid

    assert call(_ansible_check_mode=True)["changed"] is False
    config.write_text("v2\n")
    assert call(_ansible_check_mode=True)["changed"] is True
    assert group_alive(pid), "check mode touches nothing"

    restarted = call()
    assert restarted["changed"] is True
    assert restarted["reason"] == "configuration changed"
    assert restarted["pid"] != pid
    assert not group_alive(pid), "the old group was stopped (SIGKILL after the timeout)"

    stopped = call(state="stopped")
    assert stopped["changed"] is True
    assert not group_alive(restarted["pid"])
    assert not (tmp / "run" / "svc.pid").exists()
    assert call(state="stopped")["changed"] is False


def test_a_process_that_dies_at_once_fails_with_its_log(tmp_path: Path) -> None:
    result = run_module(tmp_path, name="broken", command=["sh", "-c", "echo cannot start >&2; exit 3"])
    assert result["failed"] is True
    assert "exited with 3" in result["msg"]
    assert result["log_tail"] == ["cannot start"]
    assert not (tmp_path / "run" / "broken.pid").exists()


def test_the_service_runs_in_the_root_directory_not_the_modules(service: Any) -> None:
    # Over SSH the module runs in root's home (0700): uwsgi puts "." on sys.path, and keystone's first
    # lab deploy died there (stevedore's os.stat('.') as the service account: PermissionError).
    call, _, _ = service
    pid = call()["pid"]
    assert Path(f"/proc/{pid}/cwd").resolve() == Path("/")
    assert Path.cwd() != Path("/")  # the module's own directory was another one
