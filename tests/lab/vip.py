"""The API VIP in the lab, for tests/lab/test_lab_ha.py: who holds it (read in each host's network
namespace), HAProxy's view through its stats socket, the read-only status playbook, a power loss,
and the checks of keepalived and HAProxy (berth's roles) on a
deployed site: exactly one host holds the VIP; HTTP through it reaches every controller's backend; a
stopped backend is marked DOWN and requests still succeed; MariaDB through the VIP has one writer; TLS
on the VIP with a certificate made here; HAProxy stopped on the holder gives the VIP away.

These checks run before the OpenStack services are deployed: each host runs a tiny HTTP server on
keystone's backend port, started over SSH by start-stop-daemon and stopped by its PID (tests/lab/apis.py
probes the real APIs afterwards)."""

from __future__ import annotations

import datetime
import http.client
import io
import ipaddress
import os
import signal
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from berth_cli.ansible.args import PlaybookRun
from berth_cli.ansible.progress import PlaybookProgress
from berth_cli.ansible.runner import run_playbook
from berth_cli.ansible.secrets_file import ensure_secrets
from berth_cli.lab import host as lab_host
from berth_cli.lab.plan import LabHost, plan_lab
from berth_cli.pki.store import CA_CERT, PKI_DIR
from tests.lab.conftest import REPO, Lab
from tests.support.plugins import load_plugin

KEYSTONE = 5000  # the backend port the test servers take (haproxy_services' first entry)
BACKEND_PID = "/run/berth-test-backend.pid"
START_BACKEND = f"""set -e
mkdir -p /tmp/berth-test-backend
hostname > /tmp/berth-test-backend/v3
start-stop-daemon --start --background --make-pidfile --pidfile {BACKEND_PID} \\
  --chdir /tmp/berth-test-backend --exec /usr/bin/python3 -- -m http.server {KEYSTONE} --bind "$1"
cat {BACKEND_PID}
"""
# HAProxy's answer to `show stat` on its root-only socket, printed by the host's python3
SHOW_STAT = (
    'python3 -c \'import socket; s = socket.socket(socket.AF_UNIX); s.connect("/run/haproxy/admin.sock"); '
    's.sendall(b"show stat\\n"); b = b"".join(iter(lambda: s.recv(65536), b"")); print(b.decode(), end="")\''
)


haproxy_status = load_plugin("modules/haproxy_status.py")
vip_status = load_plugin("modules/vip_status.py")


@dataclass
class Site:
    lab: Lab
    vip: str
    hosts: dict[str, LabHost]  # the load balancers, in inventory order (the first is MariaDB's writer)
    tls: ssl.SSLContext | None = None
    dead: set[str] = field(default_factory=set)
    backends: dict[str, int] = field(default_factory=dict)  # host -> PID of its test backend

    def init(self, name: str) -> lab_host.Init:
        init = lab_host.recorded_init(self.hosts[name])
        assert init is not None, f"{name} is not running"
        return init

    def holders(self) -> list[str]:
        """Hosts with the VIP on an interface, read in each living host's network namespace."""
        found = []
        for name in self.hosts:
            if name in self.dead:
                continue
            out = lab_host.inside(self.init(name), "ip", "-o", "addr", "show", net_only=True)
            if vip_status.held([self.vip], out):
                found.append(name)
        return found

    def wait_holder(
        self, seconds: float, not_: str | None = None, want: str | None = None
    ) -> tuple[str, float]:
        """The one holder (other than `not_`, or `want`) and how long it took to be the only one."""
        start, seen = time.monotonic(), []
        while time.monotonic() - start < seconds:
            seen = self.holders()
            if len(seen) == 1 and seen[0] != not_ and want in (None, seen[0]):
                return seen[0], time.monotonic() - start
            time.sleep(0.1)
        wanted = f"{want}" if want else f"a host other than {not_}" if not_ else "one host"
        raise AssertionError(f"the VIP is not held by {wanted} alone after {seconds} s: held by {seen}")

    def stats(self, name: str) -> dict[str, Any]:
        done = self.lab.ssh(self.hosts[name].address, SHOW_STAT)
        assert done.returncode == 0, done.stderr
        return dict(haproxy_status.summarise(haproxy_status.parse_show_stat(done.stdout)))

    def wait_servers(self, name: str, proxy: str, want: dict[str, str], seconds: float = 30.0) -> None:
        start, have = time.monotonic(), {}
        while time.monotonic() - start < seconds:
            have = {s: v["status"] for s, v in self.stats(name)[proxy]["servers"].items() if s in want}
            if have == want:
                return
            time.sleep(0.5)
        raise AssertionError(f"{name}'s HAProxy: {proxy} servers {have}, not {want} after {seconds} s")

    def get(self, timeout: float = 2.0) -> str:
        """GET /v3 on keystone's port of the VIP: the name of the backend host that answered."""
        scheme = "https" if self.tls else "http"
        with urllib.request.urlopen(
            f"{scheme}://{self.vip}:{KEYSTONE}/v3", timeout=timeout, context=self.tls
        ) as answer:
            return str(answer.read().decode().strip())

    def served(self, count: int) -> list[str]:
        return [self.get() for _ in range(count)]

    def start_backend(self, name: str) -> None:
        done = self.lab.ssh(
            self.hosts[name].address, f"sh -s {self.hosts[name].address} <<'EOF'\n{START_BACKEND}EOF"
        )
        assert done.returncode == 0, done.stderr
        self.backends[name] = int(done.stdout.split()[-1])

    def start_backends(self) -> None:
        for name in self.hosts:
            if name not in self.dead:
                self.start_backend(name)

    def haproxy(self, name: str, action: str) -> None:
        done = self.lab.ssh(self.hosts[name].address, f"service haproxy {action}")
        assert done.returncode == 0, done.stderr

    def stop_backend(self, name: str) -> None:
        done = self.lab.ssh(
            self.hosts[name].address, f"kill {self.backends.pop(name)} && rm -f {BACKEND_PID}"
        )
        assert done.returncode == 0, done.stderr

    def stop_backends(self) -> None:
        """Before a deploy: its preflight refuses a host where something else holds an API's port."""
        for name in list(self.backends):
            if name in self.dead:
                self.backends.pop(name)
            else:
                self.stop_backend(name)


def read_site(lab: Lab) -> Site:
    plan = plan_lab(lab.site, yaml.safe_load((lab.site_dir / "lab.yml").read_text()))
    lbs = {h.name: h for h in plan.hosts if "loadbalancers" in h.groups}
    assert len(lbs) >= 2, f"site {lab.site} needs two load balancers or more: {sorted(lbs)}"
    settings = yaml.safe_load((lab.site_dir / "group_vars/all/loadbalancer.yml").read_text())
    return Site(lab, str(settings["berth_internal_vip"]), lbs)


def site_tls(lab: Lab) -> ssl.SSLContext | None:
    """How a client reaches the site's VIP after a deploy: trusting the site CA berth made (a TLS site),
    or plain HTTP."""
    ca = REPO / ".berth" / lab.site / PKI_DIR / CA_CERT
    return ssl.create_default_context(cafile=str(ca)) if ca.exists() else None


def run(lab: Lab, tmp: Path, playbook: str, **options: Any) -> list[dict[str, Any]]:
    """A playbook of this checkout on the site's inventory; every task result (host, task, res)."""
    results: list[dict[str, Any]] = []
    progress = PlaybookProgress(Console(file=io.StringIO()), enabled=False)

    def handler(event: dict[str, Any]) -> bool:
        if event.get("event") == "runner_on_ok":
            data = event["event_data"]
            results.append(
                {
                    "host": data["host"],
                    "task": data["task"],
                    "action": data["task_action"],
                    "res": data["res"],
                }
            )
        return progress(event)

    spec = PlaybookRun(
        playbooks_dir=REPO / "playbooks",
        playbook=playbook,
        inventory=lab.site_dir / "hosts.yml",
        timeout_s=600,
        **options,
    )
    run_playbook(spec, tmp / "artifacts", handler, progress.tally)
    return results


def status(lab: Lab, tmp: Path, limit: str | None = None) -> dict[str, dict[str, Any]]:
    """status.yml's load balancer results (berth.cloud.vip_status and haproxy_status) per host."""
    keys = {"berth.cloud.vip_status": "vip", "berth.cloud.haproxy_status": "haproxy"}
    found: dict[str, dict[str, Any]] = {}
    for result in run(lab, tmp, "status.yml", limit=limit):
        if result["action"] in keys:
            found.setdefault(result["host"], {})[keys[result["action"]]] = result["res"]
    return found


def self_signed(tmp: Path, vip: str) -> Path:
    """A throwaway certificate for the VIP (its IP as subject alternative name) and its key, one PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"berth lab test {vip}")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(vip))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = tmp / "vip.pem"
    pem.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    pem.chmod(0o600)
    (tmp / "vip.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return pem


def wait_until(check: Callable[[], bool], seconds: float, what: str) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} not within {seconds} s")


def check_the_vip(lab: Lab, site: Site, tmp_path: Path) -> str:
    """The load balancers' checks on a deployed site; they leave HAProxy on TLS (until the next deploy),
    a test backend on every host (Site.stop_backends before a deploy), and the VIP on the host of lowest
    priority, whose name is returned."""
    names = list(site.hosts)

    # exactly one host holds the VIP, and the read-only status playbook says the same
    holder, _ = site.wait_holder(20)
    print(f"{holder} holds the VIP {site.vip}")
    report = status(lab, tmp_path)
    assert sorted(h for h, r in report.items() if r["vip"]["holder"]) == [holder]
    assert all(r["vip"]["changed"] is False and r["haproxy"]["changed"] is False for r in report.values())
    for name in names:  # every frontend is open on every load balancer, holder or not (ip_nonlocal_bind)
        proxies = report[name]["haproxy"]["proxies"]
        assert {p["frontend"] for p in proxies.values()} == {"OPEN"}, (name, proxies)
        assert set(proxies["keystone"]["servers"]) == set(names)

    # a tiny backend on keystone's port of every host: HTTP through the VIP reaches all of them
    site.start_backends()
    site.wait_servers(holder, "keystone", dict.fromkeys(names, "UP"))
    assert set(site.served(4 * len(names))) == set(names)

    # one backend stopped: HAProxy marks it DOWN, and every request is still answered by the others
    stopped = names[-1] if names[-1] != holder else names[0]
    site.stop_backend(stopped)
    site.wait_servers(holder, "keystone", {stopped: "DOWN"})
    answered = site.served(4 * len(names))
    assert stopped not in answered and set(answered) == set(names) - {stopped}
    downs = status(lab, tmp_path)
    assert all(f"keystone/{stopped}" in r["haproxy"]["down"] for r in downs.values())
    site.start_backend(stopped)
    site.wait_servers(holder, "keystone", {stopped: "UP"})

    # MariaDB through the VIP: one writer (the first controller), the others backup, unused while it is up
    before = site.stats(holder)["mariadb"]["servers"]
    for _ in range(3):
        with socket.create_connection((site.vip, 3306), timeout=5) as conn:
            assert conn.recv(256)  # the server's greeting (or its refusal of this address): MariaDB answered
    after = site.stats(holder)["mariadb"]["servers"]
    assert [after[n]["backup"] for n in names] == [False] + [True] * (len(names) - 1)
    grew = {n for n in names if after[n]["sessions_total"] > before[n]["sessions_total"]}
    assert grew == {names[0]}, after

    # TLS on the VIP with a certificate made here: the load balancers' play only, then https answers
    pem = self_signed(tmp_path, site.vip)
    results = run(
        lab,
        tmp_path,
        "site.yml",
        tags=("loadbalancer",),
        limit="loadbalancers",
        secrets_file=ensure_secrets(REPO / ".berth" / lab.site),
        extravars={"haproxy_tls_pem": str(pem)},
    )
    reloaded = [
        r["host"] for r in results if r["task"].startswith("Reload HAProxy") and r["res"].get("changed")
    ]
    assert sorted(reloaded) == sorted(names)  # a reload, not a restart
    with pytest.raises((OSError, http.client.HTTPException)):  # what was served (plain HTTP, or the
        site.get()  # site's certificate) no longer is: HAProxy serves this certificate now
    site.tls = ssl.create_default_context(cafile=str(tmp_path / "vip.crt"))
    assert set(site.served(4 * len(names))) == set(names)
    assert site.holders() == [holder]  # the reload kept HAProxy running: the VIP did not move

    # HAProxy stopped on the holder: keepalived gives the VIP away
    site.haproxy(holder, "stop")
    moved_to, seconds = site.wait_holder(30, not_=holder)
    print(f"haproxy stopped on {holder}: the VIP moved to {moved_to} in {seconds:.1f} s")
    assert site.get() in names
    site.haproxy(holder, "start")
    # nopreempt: the first election goes to whoever leaves FAULT first, so put the VIP on the host of
    # lowest priority (the last: 150 - index), with HAProxy stopped everywhere else; with HAProxy back on
    # the hosts that outrank it, it keeps the VIP
    lowest, others = names[-1], names[:-1]
    for name in others:
        site.haproxy(name, "stop")
    site.wait_holder(30, want=lowest)
    for name in others:
        site.haproxy(name, "start")
    time.sleep(3 + 2 * 2)  # each check passes twice, a second apart, then a few adverts
    assert site.holders() == [lowest]

    return lowest


def power_loss(
    site: Site, victim: str, answering: Callable[[], bool], window_s: float = 15.0
) -> tuple[float, str, float]:
    """Kill `victim`'s PID 1 (every process of the host dies with it, as in a power loss); return once
    another host holds the VIP, `answering()` holds and `window_s` have passed: the time of the kill
    (time.monotonic), the new holder and the seconds until it held the VIP alone."""
    killed_at = time.monotonic()
    os.kill(site.init(victim).pid, signal.SIGKILL)
    site.dead.add(victim)
    wait_until(lambda: lab_host.recorded_init(site.hosts[victim]) is None, 10, f"{victim} gone")
    new_holder, takeover = site.wait_holder(60, not_=victim)
    wait_until(answering, 120, "every API answering through the VIP")
    time.sleep(max(0.0, killed_at + window_s - time.monotonic()))
    return killed_at, new_holder, takeover
