"""`berth lab up|status|down --site lab` for real: five pristine hosts (own hostname, own root, own sshd)
that berth's preflight reaches with strict host keys; a second up changes nothing, a dead sshd comes back;
down leaves no process, mount, namespace, veth or bridge; the next up is pristine again."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from berth_cli.lab import host as lab_host
from berth_cli.lab import network
from berth_cli.lab.plan import BRIDGE, LabHost
from tests.lab.conftest import Lab, lab_fixture, mount_lines, processes_in

pytestmark = [pytest.mark.lab, pytest.mark.slow]

NAMES = ["ctl1", "ctl2", "ctl3", "cmp1", "cmp2"]


@pytest.fixture
def lab(capsys: pytest.CaptureFixture[str]) -> Iterator[Lab]:
    yield from lab_fixture("lab", capsys)


def by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {h["name"]: h for h in doc["hosts"]}


def init_of(name: str) -> lab_host.Init:
    init = lab_host.recorded_init(LabHost("lab", name, "", ()))
    assert init is not None, name
    return init


def outer_pid(init: lab_host.Init, inner: int) -> int:
    """This machine's PID of the process a host knows as `inner` (the last field of NSpid)."""
    for pid in processes_in(init.net):
        status = Path(f"/proc/{pid}/status").read_text()
        nspid = next(line.split()[1:] for line in status.splitlines() if line.startswith("NSpid:"))
        if int(nspid[-1]) == inner:
            return pid
    raise AssertionError(f"no process {inner} in the host")


def test_lab_up_status_down(lab: Lab) -> None:
    # up: five hosts, each created, answering SSH; the inventory and known_hosts written
    code, doc = lab.json("lab", "up")
    assert code == 0
    hosts = by_name(doc)
    assert list(hosts) == NAMES
    assert all(h["action"] == "created" and h["namespaces"] and h["sshd"] for h in hosts.values())
    assert sorted(doc["trusted"]) == sorted(NAMES)

    # berth's paramiko preflight: every check of every host passes (the clock only warns)
    code, out, err = lab.berth("hosts", "check")
    assert code == 0, out + err

    # each host: its own hostname and a root that never ran berth, over ssh with strict host keys
    nets = {}
    for name, h in hosts.items():
        done = lab.ssh(
            h["address"], "hostname; test ! -e /opt/berth && test ! -e /etc/berth && echo pristine"
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == [name, "pristine"]
        nets[name] = init_of(name).net
    assert len(set(nets.values())) == 5, "one network namespace per host"
    lab.ssh(hosts["ctl1"]["address"], "touch /root/was-here").check_returncode()

    # a second up changes nothing: same PIDs, no action, no key recorded, files untouched
    files = [lab.site_dir / "hosts.yml", lab.site_dir / "known_hosts"]
    before = [p.stat().st_mtime_ns for p in files]
    code, again = lab.json("lab", "up")
    assert code == 0
    assert [(h["pid"], h["action"]) for h in again["hosts"]] == [(h["pid"], "") for h in doc["hosts"]]
    assert again["trusted"] == []
    assert [p.stat().st_mtime_ns for p in files] == before

    # a host whose sshd died gets it back, with the same host key
    cmp2 = init_of("cmp2")
    os.kill(outer_pid(cmp2, int(cmp2.path("/run/sshd.pid").read_text())), signal.SIGKILL)
    code, status_doc = lab.json("lab", "status")
    assert code == 1 and not by_name(status_doc)["cmp2"]["sshd"]
    code, again = lab.json("lab", "up")
    assert by_name(again)["cmp2"]["action"] == "sshd started"
    assert again["trusted"] == []
    code, status_doc = lab.json("lab", "status")
    assert code == 0 and all(h["sshd"] for h in status_doc["hosts"])

    # down: nothing left
    veths = [LabHost("lab", n, "", ()).veth for n in NAMES]
    code, out, err = lab.berth("lab", "down")
    assert code == 0, err
    for name, net in nets.items():
        assert processes_in(net) == [], name
    # every mount of a lab host names its own upper dir (the tree below it is shared by all labs)
    assert mount_lines(f"{lab_host.HOSTS_ROOT}/lab/") == []
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    assert not any(v in links for v in veths)
    if not network.bridge_ports():  # the bridge and the proxy stay while another site's lab uses them
        assert BRIDGE not in links and not network.proxy_running()
    assert not (lab_host.HOSTS_ROOT / "lab").exists()

    # up after down: pristine again (the file written above is gone, new host keys recorded)
    code, fresh = lab.json("lab", "up")
    assert code == 0 and all(h["action"] == "created" for h in fresh["hosts"])
    assert sorted(fresh["trusted"]) == sorted(NAMES)
    done = lab.ssh(by_name(fresh)["ctl1"]["address"], "test ! -e /root/was-here && echo pristine")
    assert done.stdout.strip() == "pristine", done.stderr
