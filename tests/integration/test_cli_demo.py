"""`berth demo` on the devcloud: every example agency live, exporter serving, no secret shown anywhere.

The demo's tenants stay afterwards (they are what the devcloud is for, and the exporter tests read them);
the exporter it started is stopped by PID.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from berth_cli.main import main

pytestmark = [pytest.mark.openstack, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def state(clouds_yaml: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "aio").mkdir()
    shutil.copy(clouds_yaml, tmp_path / "aio" / "clouds.yaml")
    monkeypatch.setenv("BERTH_ROOT", str(ROOT))
    monkeypatch.setenv("BERTH_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("OS_CLOUD", raising=False)
    yield tmp_path / "aio"
    pid_file = tmp_path / "aio" / "exporter.pid"
    if pid_file.is_file():
        pid = int(pid_file.read_text().strip())
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)  # the exporter runs in its own session: its group is its own


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _metrics(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as reply:
        return reply.read().decode()


FRESH_MEMBER = "ngo.duc.thang"  # a member of so-tai-nguyen-moi-truong; removed first, so the demo creates it


def test_demo_brings_every_example_agency_live(
    state: Path, conn: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # the devcloud outlives test runs (and earlier demos made the example users): take one member away so
    # this demo must create it, with a password that must then appear nowhere but its 0600 file
    for user in conn.identity.users(name=FRESH_MEMBER):
        conn.identity.delete_user(user)
    listen = f"127.0.0.1:{_free_port()}"
    code = main(["--site", "aio", "demo", "--skip-deploy", "--listen", listen, "--interval", "5"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"http://{listen}/metrics" in err

    slugs = {
        yaml.safe_load(p.read_text(encoding="utf-8"))["metadata"]["name"]
        for p in (ROOT / "manifests").glob("*.yaml")
    }
    assert main(["--site", "aio", "-o", "json", "tenant", "list"]) == 0
    live = {row["slug"]: row for row in json.loads(capsys.readouterr().out)}
    assert slugs <= set(live)
    assert live["so-y-te"]["displayName"] == "Sở Y tế Hải Phòng"
    assert live["so-y-te"]["networks"]["db"] == "10.79.9.0/25"

    # the exporter serves every example tenant once its first refresh is done
    deadline = time.monotonic() + 90
    text = ""
    while time.monotonic() < deadline:
        text = _metrics(f"http://{listen}/metrics")
        if all(f'tenant="{slug}"' in text for slug in slugs):
            break
        time.sleep(2)
    assert all(f'tenant="{slug}"' in text for slug in slugs)

    # no generated member password is printed, logged or written anywhere but its own 0600 file
    secret_files = [p for p in [*state.rglob("members.jsonl"), *(ROOT / ".berth").rglob("members.jsonl")]]
    entries = [json.loads(line) for f in secret_files for line in f.read_text().splitlines()]
    assert FRESH_MEMBER in {e["user"] for e in entries}, "the demo re-created the member it needs"
    passwords = [e["password"] for e in entries]
    assert all(oct(f.stat().st_mode & 0o777) == "0o600" for f in secret_files)
    places = {"stdout": out, "stderr": err, "metrics": text}
    for path in [*state.rglob("*"), *(ROOT / ".berth").rglob("*")]:
        if path.is_file() and path not in secret_files and path.stat().st_size < 5_000_000:
            places[str(path)] = path.read_text(encoding="utf-8", errors="replace")
    leaks = [(where, "…") for where, body in places.items() for pw in passwords if pw in body]
    assert leaks == [], leaks

    # a second run changes nothing and reuses the running exporter
    pid = (state / "exporter.pid").read_text()
    assert main(["--site", "aio", "demo", "--skip-deploy", "--listen", listen, "--interval", "5"]) == 0
    assert "Nothing to change" in capsys.readouterr().err
    assert (state / "exporter.pid").read_text() == pid

    # `berth exporter stop` (also the first step of `berth cloud down`) stops it by that PID
    assert main(["--site", "aio", "exporter", "stop"]) == 0
    assert f"pid {int(pid)}" in capsys.readouterr().out
    assert not (state / "exporter.pid").exists()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _cmdline(int(pid)):
        time.sleep(0.2)
    assert not _cmdline(int(pid)), "gone (or a zombie awaiting its parent)"
    with pytest.raises(OSError):
        _metrics(f"http://{listen}/metrics")
