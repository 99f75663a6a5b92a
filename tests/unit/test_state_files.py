"""The audit log and the site lock on real files and real processes."""

import json
import subprocess
import sys
import textwrap

import pytest

from berth_cli.main import main
from berth_cli.state.audit_log import AuditLog
from berth_cli.state.lock import site_lock
from berth_core.audit import AuditEntry
from berth_core.errors import ExitCode, StaleOrLocked


def _entry(n: int) -> AuditEntry:
    return AuditEntry(time=f"2026-11-29T09:00:{n:02d}Z", actor="ops", site="aio", action="apply", result="ok")


def test_log_appends_and_verifies(tmp_path):
    log = AuditLog(tmp_path)
    for n in range(3):
        log.append(_entry(n))
    assert [r.seq for r in log.records()] == [1, 2, 3]
    assert log.verify() == []
    assert oct(log.path.stat().st_mode & 0o777) == "0o600"


def test_editing_the_file_is_detected_by_the_cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BERTH_STATE_DIR", str(tmp_path))
    log = AuditLog(tmp_path / "aio")
    for n in range(3):
        log.append(_entry(n))
    assert main(["audit", "verify", "--site", "aio"]) == 0
    assert "intact: 3" in capsys.readouterr().out

    lines = log.path.read_text().splitlines()
    lines[1] = lines[1].replace('"result":"ok"', '"result":"refused"')
    log.path.write_text("\n".join(lines) + "\n")
    assert main(["audit", "verify", "--site", "aio"]) == ExitCode.STALE_OR_LOCKED
    assert "record 2: content does not match its hash" in capsys.readouterr().err


def test_deleting_the_last_record_is_detected(tmp_path):
    log = AuditLog(tmp_path)
    for n in range(3):
        log.append(_entry(n))
    lines = log.path.read_text().splitlines()
    log.path.write_text("\n".join(lines[:2]) + "\n")
    assert any("cut off" in b.reason for b in log.verify())


def test_audit_list_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BERTH_STATE_DIR", str(tmp_path))
    AuditLog(tmp_path / "aio").append(_entry(1))
    assert main(["audit", "list", "-o", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records[0]["seq"] == 1 and records[0]["entry"]["action"] == "apply"


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from berth_cli.state.lock import site_lock
    with site_lock(Path(sys.argv[1]), "berth apply --site aio"):
        print("held", flush=True)
        time.sleep(30)
    """
)


def test_a_second_holder_fails_naming_the_first(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StaleOrLocked) as refused, site_lock(tmp_path, "second", wait_seconds=0.5):
            pass
        assert f"pid {holder.pid}" in refused.value.message
        assert "berth apply --site aio" in refused.value.message
    finally:
        holder.kill()
        holder.wait()
    # the kernel released the dead holder's lock: the next apply gets it at once
    with site_lock(tmp_path, "third", wait_seconds=0):
        pass
