"""Stop the devcloud's real cinder-api (with the devcloud's own supervised_process module) while the
exporter runs: the block-storage collector goes down and counts errors, every other family is still
served; cinder-api is started again the same way and the collector recovers.

Disruptive for anything else using the devcloud at the same moment: CI runs the tests one at a time.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import ROOT
from tests.integration.test_exporter_devcloud import exporter

pytestmark = [pytest.mark.openstack, pytest.mark.slow]
ANSIBLE = ROOT / ".venv" / "bin" / "ansible"
RUN_DIR, LOG_DIR = "/opt/berth/run", "/var/log/berth"
CINDER_ETC, VENV = "/etc/berth/cinder", "/opt/berth/venv"
CINDER_URL = "http://127.0.0.1:8776/"
# the arguments the cinder role gives the module, so a start reproduces the deploy's own fingerprint
CINDER_API = {
    "name": "cinder-api",
    "command": [f"{VENV}/bin/uwsgi", "--ini", f"{CINDER_ETC}/uwsgi.ini"],
    "watch": [f"{CINDER_ETC}/cinder.conf", f"{CINDER_ETC}/uwsgi.ini", f"{VENV}/berth-requirements.txt"],
    "run_dir": RUN_DIR,
    "log_dir": LOG_DIR,
    "stop_timeout": 10,
}


def supervised(state: str, *, check: bool = False) -> dict:
    """Run the devcloud's own module on this host; returns its result (changed, pid)."""
    args = dict(CINDER_API, state=state)
    if state == "stopped":
        args.pop("command")
        args.pop("watch")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / "playbooks" / "collections"))
    command = [str(ANSIBLE), "localhost", "-c", "local", "-i", "localhost,", "-o"]
    command += ["-e", "ansible_python_interpreter=/usr/bin/python3", "-m", "berth.cloud.supervised_process"]
    command += ["-a", json.dumps(args), *(["--check"] if check else [])]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("localhost | "))
    return dict(json.loads(line.split("=>", 1)[1]))  # -o: "localhost | CHANGED => {...}" on one line


def cinder_answers() -> bool:
    try:
        with urllib.request.urlopen(CINDER_URL, timeout=5):
            return True
    except urllib.error.HTTPError as answered:
        return answered.code in (300, 401)
    except OSError:
        return False


@pytest.fixture
def cinder_stopped() -> Iterator[None]:
    if not Path(RUN_DIR, "cinder-api.pid").is_file():
        pytest.fail(f"cinder-api is not supervised under {RUN_DIR}: the devcloud is not deployed as expected")
    # our start must reproduce the deploy's own fingerprint, or the next deploy would restart cinder-api
    assert supervised("started", check=True)["changed"] is False, (
        "cinder role's command changed: update CINDER_API"
    )
    supervised("stopped")
    try:
        yield
    finally:
        supervised("started")
        deadline = time.monotonic() + 120
        while not cinder_answers():
            assert time.monotonic() < deadline, "cinder-api did not come back"
            time.sleep(1)


def test_stopping_cinder_api_downs_only_the_block_storage_collector(
    clouds_yaml: Path, cinder_stopped: None
) -> None:
    refresher, registry = exporter(clouds_yaml)
    get = registry.get_sample_value
    # the exporter connected while cinder was down: every other service still refreshes
    refresher.refresh_once()
    refresher.refresh_once()
    assert get("berth_exporter_collector_up", {"collector": "blockstorage"}) == 0
    assert get("berth_exporter_collector_errors_total", {"collector": "blockstorage"}) == 2
    for name in ("identity", "placement", "compute", "network"):
        assert get("berth_exporter_collector_up", {"collector": name}) == 1, refresher.states[name].last_error
    assert get("berth_cloud_allocatable_vcpus") > 0
    assert get("berth_host_capacity_vcpus", {"host": "aio-c1", "zone": "nova"}) is not None
    assert get("berth_cloud_used_bytes", {"resource": "volume"}) is None  # never read: not invented

    supervised("started")
    deadline = time.monotonic() + 120
    while not cinder_answers():
        assert time.monotonic() < deadline, "cinder-api did not come back"
        time.sleep(1)
    refresher.refresh_once()
    assert get("berth_exporter_collector_up", {"collector": "blockstorage"}) == 1, refresher.states[
        "blockstorage"
    ].last_error
    assert get("berth_exporter_collector_errors_total", {"collector": "blockstorage"}) == 2
    assert get("berth_cloud_used_bytes", {"resource": "volume"}) is not None
