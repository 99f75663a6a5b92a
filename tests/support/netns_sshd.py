"""Real SSH test hosts: one network namespace per host, a veth pair, and the system's sshd inside it.

    with SshLab(["node1", "node2"]) as lab:
        lab.hosts["node1"].address          # 10.250.x.y, reachable from the test process
        lab.client_key                      # private key authorized for root on every host
        lab.known_hosts                     # known_hosts with every host's generated ed25519 key
        lab.inventory_hosts()               # Ansible inventory host entries (ansible_host, user, key)

Each host gets a private /30 inside 10.250.0.0/16 (host side .1, namespace side .2), so traffic only
goes to namespaces the lab created. The namespaces share the filesystem (python3 is the machine's own,
which is what Ansible needs); /etc/hosts inside each namespace (ip netns exec bind-mounts
/etc/netns/<ns>/hosts) lists every lab host, so the hosts resolve each other by name. Root may log in
by key only. Everything is torn down by PID and `ip netns del`, even when a test fails.
Needs root, iproute2 and openssh-server (`apt-get install -y openssh-server iproute2`).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import ipaddress
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SSHD = Path("/usr/sbin/sshd")
POOL = ipaddress.ip_network("10.250.0.0/16")
_LOCK = Path("/run/lock/berth-netns.lock")


def missing_requirements() -> str | None:
    """Why the lab cannot run here (a skip reason), or None."""
    if os.geteuid() != 0:
        return "SSH test hosts need root (network namespaces, veth pairs)"
    if not SSHD.exists():
        return "SSH test hosts need /usr/sbin/sshd: apt-get install -y openssh-server"
    if shutil.which("ip") is None or shutil.which("ssh-keygen") is None:
        return "SSH test hosts need iproute2 and ssh-keygen: apt-get install -y iproute2 openssh-client"
    return None


def _run(*args: str) -> str:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def keygen(path: Path, comment: str = "berth-test") -> Path:
    """A fresh ed25519 key pair at path (private) and path.pub."""
    _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path))
    return path


def public_key(path: Path) -> str:
    """`ssh-ed25519 AAAA...` of a private key file's .pub companion."""
    return " ".join(Path(f"{path}.pub").read_text().split()[:2])


@dataclass
class SshHost:
    name: str
    netns: str
    address: str  # inside the namespace; sshd listens here on port 22
    gateway: str  # the host side of the veth pair
    veth: str  # host-side interface name (deleting it deletes its peer)
    workdir: Path
    port: int = 22
    process: subprocess.Popen[bytes] | None = None
    stopped: bool = False

    @property
    def host_key(self) -> Path:
        return self.workdir / "ssh_host_ed25519_key"

    def known_hosts_line(self, key_file: Path | None = None) -> str:
        """A known_hosts line for this host's address (and name), with its key or another key's."""
        return f"{self.address},{self.name} {public_key(key_file or self.host_key)}\n"

    def stop(self) -> None:
        """SIGSTOP sshd: TCP still connects (the kernel accepts into the backlog) but SSH never answers."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)
        self.stopped = True

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)
        self.stopped = False

    def netns_exec(self, *args: str) -> str:
        return _run("ip", "netns", "exec", self.netns, *args)


def _used_addresses() -> set[ipaddress.IPv4Address]:
    used = set()
    for line in _run("ip", "-o", "-4", "addr", "show").splitlines():
        fields = line.split()
        if "inet" in fields:
            used.add(ipaddress.ip_interface(fields[fields.index("inet") + 1]).ip)
    return used


def _kill_namespace_processes(netns: str) -> None:
    """Session processes sshd forked (setsid'ed, so outside its group), e.g. Ansible's ControlPersist
    connections: everything still inside the lab's own namespace, by PID."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        done = subprocess.run(["ip", "netns", "pids", netns], capture_output=True, text=True, check=False)
        pids = [int(p) for p in done.stdout.split()]
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
                os.kill(pid, signum)
        time.sleep(0.2)


@dataclass
class SshLab:
    names: list[str]
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="berth-sshlab-")))
    hosts: dict[str, SshHost] = field(default_factory=dict)
    tag: str = field(default_factory=lambda: secrets.token_hex(3))

    @property
    def client_key(self) -> Path:
        return self.root / "client_key"

    @property
    def known_hosts(self) -> Path:
        return self.root / "known_hosts"

    def __enter__(self) -> SshLab:
        atexit.register(self.close)
        try:
            self.root.chmod(0o700)
            keygen(self.client_key, "berth-test-client")
            self._create_hosts()
            for host in self.hosts.values():
                self._start_sshd(host)
            self.known_hosts.write_text("".join(h.known_hosts_line() for h in self.hosts.values()))
            for host in self.hosts.values():
                self._wait_ready(host)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _create_hosts(self) -> None:
        _LOCK.parent.mkdir(parents=True, exist_ok=True)
        with _LOCK.open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent labs must not pick the same /30
            used = _used_addresses()
            blocks = list(POOL.subnets(new_prefix=30))
            random.shuffle(blocks)
            free = (b for b in blocks if not set(b.hosts()) & used)
            for i, name in enumerate(self.names):
                block = next(free)
                gateway, address = (str(a) for a in block.hosts())
                host = SshHost(
                    name, f"berth-t-{self.tag}{i}", address, gateway, f"bt{self.tag}{i}h", self.root / name
                )
                self.hosts[name] = host
                self._create_namespace(host)
        hosts_file = "127.0.0.1 localhost\n" + "".join(f"{h.address} {h.name}\n" for h in self.hosts.values())
        for host in self.hosts.values():
            etc = Path("/etc/netns") / host.netns
            etc.mkdir(parents=True, exist_ok=True)
            (etc / "hosts").write_text(hosts_file)
            # no resolver inside the lab: an unknown name fails at once instead of waiting for DNS timeouts
            (etc / "resolv.conf").write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")

    def _create_namespace(self, host: SshHost) -> None:
        peer = host.veth[:-1] + "n"
        _run("ip", "netns", "add", host.netns)
        _run("ip", "link", "add", host.veth, "type", "veth", "peer", "name", peer)
        _run("ip", "link", "set", peer, "netns", host.netns)
        _run("ip", "addr", "add", f"{host.gateway}/30", "dev", host.veth)
        _run("ip", "link", "set", host.veth, "up")
        host.netns_exec("ip", "addr", "add", f"{host.address}/30", "dev", peer)
        host.netns_exec("ip", "link", "set", peer, "up")
        host.netns_exec("ip", "link", "set", "lo", "up")
        host.netns_exec("ip", "route", "add", "default", "via", host.gateway)

    def _start_sshd(self, host: SshHost) -> None:
        host.workdir.mkdir(mode=0o700)
        keygen(host.host_key, f"berth-test-{host.name}")
        (host.workdir / "authorized_keys").write_text(public_key(self.client_key) + "\n")
        config = host.workdir / "sshd_config"
        config.write_text(
            f"Port {host.port}\nListenAddress {host.address}\nHostKey {host.host_key}\n"
            f"PidFile {host.workdir / 'sshd.pid'}\nAuthorizedKeysFile {host.workdir / 'authorized_keys'}\n"
            "PermitRootLogin prohibit-password\nPubkeyAuthentication yes\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nUseDNS no\nLogLevel ERROR\n"
            "MaxStartups 100:30:200\nSubsystem sftp internal-sftp\n"
        )
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation directory
        log = (host.workdir / "sshd.log").open("wb")
        # `ip netns exec` execs sshd, so this PID is sshd's own (SIGSTOP/SIGTERM reach it directly)
        host.process = subprocess.Popen(
            ["ip", "netns", "exec", host.netns, str(SSHD), "-D", "-e", "-f", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )

    def _wait_ready(self, host: SshHost, seconds: float = 10.0) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            assert host.process is not None
            if host.process.poll() is not None:
                raise RuntimeError(f"sshd for {host.name} exited: {(host.workdir / 'sshd.log').read_text()}")
            with contextlib.suppress(OSError), socket.create_connection((host.address, host.port), 1) as s:
                s.settimeout(2)
                if s.recv(64).startswith(b"SSH-"):
                    return
            time.sleep(0.05)
        raise RuntimeError(f"sshd for {host.name} did not answer within {seconds}s")

    def inventory_hosts(self, names: list[str] | None = None, **extra: Any) -> dict[str, dict[str, Any]]:
        """Ansible inventory entries for lab hosts: address, root, the lab's client key, plus `extra`."""
        return {
            n: {
                "ansible_host": self.hosts[n].address,
                "ansible_user": "root",
                "ansible_ssh_private_key_file": str(self.client_key),
                **extra,
            }
            for n in (names or list(self.hosts))
        }

    def close(self) -> None:
        """Stop every sshd by PID, delete veths, namespaces and files. Safe to call twice."""
        for host in self.hosts.values():
            proc = host.process
            if proc is not None and proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):  # its group: sshd and its session children
                    os.killpg(proc.pid, signal.SIGCONT)
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
            host.process = None
            _kill_namespace_processes(host.netns)
            subprocess.run(["ip", "link", "del", host.veth], capture_output=True, check=False)
            subprocess.run(["ip", "netns", "del", host.netns], capture_output=True, check=False)
            shutil.rmtree(Path("/etc/netns") / host.netns, ignore_errors=True)
        self.hosts.clear()
        shutil.rmtree(self.root, ignore_errors=True)
        atexit.unregister(self.close)
