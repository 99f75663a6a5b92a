"""Stop and start one devcloud service the way the deploy does, with its own supervised_process module.

The arguments reproduce the role's own call, so a start leaves the deploy's fingerprint unchanged (checked
first in check mode: if a role's command changes, the test says so instead of making the next deploy restart
the service). Disruptive for anything else using the devcloud at that moment: CI runs tests one at a time.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.integration.conftest import ROOT

ANSIBLE = ROOT / ".venv" / "bin" / "ansible"
RUN_DIR, LOG_DIR, VENV, ETC = "/opt/berth/run", "/var/log/berth", "/opt/berth/venv", "/etc/berth"
SERVICE_ACCOUNT = "berth"  # berth_service_user and berth_service_group of playbooks/group_vars/all


@dataclass(frozen=True)
class Service:
    name: str
    url: str
    config: tuple[str, ...]  # watched files besides uwsgi.ini and the requirements record
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def etc(self) -> str:
        return f"{ETC}/{self.name.split('-')[0]}"

    def module_args(self, state: str) -> dict[str, Any]:
        args: dict[str, Any] = {"name": self.name, "state": state, "run_dir": RUN_DIR, "log_dir": LOG_DIR}
        if state == "started":
            args["command"] = [f"{VENV}/bin/uwsgi", "--ini", f"{self.etc}/uwsgi.ini"]
            args["user"] = args["group"] = SERVICE_ACCOUNT
            args["watch"] = [
                *(f"{self.etc}/{c}" for c in self.config),
                f"{self.etc}/uwsgi.ini",
                f"{VENV}/berth-requirements.txt",
            ]
            if self.environment:
                args["environment"] = self.environment
        if self.name == "cinder-api":
            args["stop_timeout"] = 10
        return args


CINDER_API = Service("cinder-api", "http://127.0.0.1:8776/", ("cinder.conf",))
NEUTRON_API = Service(
    "neutron-api",
    "http://127.0.0.1:9696/",
    ("neutron.conf", "plugins/ml2/ml2_conf.ini"),
    {"OS_NEUTRON_CONFIG_DIR": f"{ETC}/neutron"},
)


def supervised(service: Service, state: str, *, check: bool = False) -> dict[str, Any]:
    """Run the devcloud's own module on this host; returns its result (changed, pid)."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / "playbooks" / "collections"))
    command = [str(ANSIBLE), "localhost", "-c", "local", "-i", "localhost,", "-o"]
    command += ["-e", "ansible_python_interpreter=/usr/bin/python3", "-m", "berth.cloud.supervised_process"]
    command += ["-a", json.dumps(service.module_args(state)), *(["--check"] if check else [])]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("localhost | "))
    return dict(json.loads(line.split("=>", 1)[1]))  # -o: "localhost | CHANGED => {...}" on one line


def answers(service: Service) -> bool:
    try:
        with urllib.request.urlopen(service.url, timeout=5):
            return True
    except urllib.error.HTTPError as answered:
        return answered.code in (300, 401)
    except OSError:
        return False


def start_and_wait(service: Service, timeout: float = 120) -> None:
    supervised(service, "started")
    deadline = time.monotonic() + timeout
    while not answers(service):
        assert time.monotonic() < deadline, f"{service.name} did not come back"
        time.sleep(1)


def check_supervised(service: Service) -> None:
    assert Path(RUN_DIR, f"{service.name}.pid").is_file(), (
        f"{service.name} is not supervised under {RUN_DIR}: the devcloud is not deployed as expected"
    )
    assert supervised(service, "started", check=True)["changed"] is False, (
        f"the role's command for {service.name} changed: update tests/integration/services.py"
    )


@contextmanager
def stopped(service: Service) -> Iterator[None]:
    """The service stopped for the block; started again (and answering) afterwards, whatever happened."""
    check_supervised(service)
    supervised(service, "stopped")
    try:
        yield
    finally:
        start_and_wait(service)


def kill_now(service: Service) -> None:
    """SIGKILL the service's process group at once (a crash, not a stop): its pid file names the leader."""
    import signal

    pid = int(Path(RUN_DIR, f"{service.name}.pid").read_text(encoding="utf-8").split()[0])
    os.killpg(pid, signal.SIGKILL)
