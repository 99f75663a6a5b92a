"""One lab host: its own network, UTS, mount, PID and IPC namespaces, whose PID 1 is a small reaper
that berth records by PID, start time and network-namespace inode (never found by name). Its root is an
overlay of a fresh upper dir over the cached tree, mounted only inside its own mount namespace, so
nothing of it is visible on this machine and it all goes when its PID 1 does."""

# ruff: noqa: S603, S607 - system tools (ip, unshare, nsenter, debootstrap, ssh-keygen) by name, argument lists, no shell

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from berth_cli.lab.plan import APT_PROXY_PORT, BRIDGE, GATEWAY, NETWORK, LabHost, LabPlan, etc_hosts
from berth_core.errors import BerthError

HOSTS_ROOT = Path("/var/lib/berth-lab")
CACHE = Path("/var/cache/berth/lab")
# Shared by every lab host, read-write, so a wheel is downloaded once for all of them (pip and uv lock
# their caches). Packages are shared by the apt proxy's cache instead: apt does not wait for the lock of
# its archives directory, so hosts installing at once would fail on a shared one.
SHARED = {"root/.cache/pip": "pip", "root/.cache/uv": "uv"}
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}

# Runs inside the new namespaces with this machine's /bin/sh, before the root is switched: the overlay,
# the kernel filesystems a Debian init script expects, the shared caches, then pivot_root into the
# overlay and exec the reaper (the tree's python3) as PID 1.
SETUP = r"""
set -eu
R=$1 LOWER=$2 UPPER=$3 WORK=$4 NAME=$5 CACHES=$6
mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$UPPER,workdir=$WORK" "$R"
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
mount -t tmpfs -o mode=755,size=16m,nosuid tmpfs "$R/dev"
for d in null zero full random urandom tty; do touch "$R/dev/$d"; mount --bind "/dev/$d" "$R/dev/$d"; done
mkdir "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"; ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/dev/shm"
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$R/run"
mkdir -m 1777 "$R/run/lock"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/tmp"
for pair in $CACHES; do
  mkdir -p "$R/${pair%%=*}"; mount --bind "${pair#*=}" "$R/${pair%%=*}"
done
hostname "$NAME"
cd "$R"
pivot_root . .
umount -l .
cd /
touch /run/berth-lab-ready
exec /usr/bin/python3 -I -S -c "$7"
"""

# PID 1 of the host: reaps the orphans every daemon leaves it; when it dies, the kernel kills every
# other process of the host's PID namespace.
REAPER = """
import os, signal, time
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
while True:
    try:
        os.wait()
    except ChildProcessError:
        time.sleep(1)
"""


def host_dir(host: LabHost) -> Path:
    return HOSTS_ROOT / host.site / host.name


def _inode(path: str) -> int | None:
    try:
        return Path(path).stat().st_ino
    except OSError:
        return None


def _start_time(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


@dataclass(frozen=True)
class Init:
    """The recorded PID 1 of a host, as this machine sees it."""

    pid: int
    start: str
    net: int  # inode of its network namespace: the lab's processes are those in it

    def alive(self) -> bool:
        return _start_time(self.pid) == self.start and _inode(f"/proc/{self.pid}/ns/net") == self.net

    def path(self, inside: str) -> Path:
        """A path of the host's own filesystem, through its PID 1's root."""
        return Path(f"/proc/{self.pid}/root") / inside.lstrip("/")


def recorded_init(host: LabHost) -> Init | None:
    """The host's PID 1 when it is still the process berth started (PID reuse is told by start time)."""
    try:
        data = json.loads((host_dir(host) / "init.json").read_text())
        init = Init(int(data["pid"]), str(data["start"]), int(data["net"]))
    except (OSError, ValueError, KeyError):
        return None
    return init if init.alive() else None


def _run(*args: str) -> str:
    done = subprocess.run(args, capture_output=True, text=True, check=False, env=ENV)
    if done.returncode != 0:
        raise BerthError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def inside(init: Init, *args: str, net_only: bool = False) -> str:
    """Run a command in the host's namespaces (all of them, or only its network's)."""
    scope = ["-n"] if net_only else ["-m", "-u", "-i", "-n", "-p"]
    return _run("nsenter", "-t", str(init.pid), *scope, "--", *args)


def _put(upper: Path, lower: Path, rel: str, text: str, mode: int = 0o644) -> None:
    """A file in the fresh upper dir; parents made with the tree's own modes, so the merged view is the
    tree's."""
    target = upper / rel
    for parent in reversed(Path(rel).parents[:-1]):
        made, source = upper / parent, lower / parent
        if not made.exists():
            made.mkdir()
            made.chmod(source.stat().st_mode & 0o7777 if source.exists() else 0o755)
    target.write_text(text)
    target.chmod(mode)


def _prepare(host: LabHost, plan: LabPlan, tree: Path, client_pub: str) -> Path:
    """A pristine upper dir: what a provisioning system puts on a fresh machine, and no more."""
    base = host_dir(host)
    shutil.rmtree(base, ignore_errors=True)
    for sub in ("upper", "work", "root"):
        (base / sub).mkdir(parents=True)
    base.chmod(0o700)
    upper = base / "upper"
    _put(upper, tree, "etc/hostname", f"{host.name}\n")
    _put(upper, tree, "etc/hosts", etc_hosts(plan))
    # no resolver on the lab's bridge: an unknown name fails at once instead of waiting for DNS
    _put(upper, tree, "etc/resolv.conf", "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    proxy = f'Acquire::http::Proxy "http://{GATEWAY}:{APT_PROXY_PORT}/";\n'
    _put(upper, tree, "etc/apt/apt.conf.d/01berth-lab-proxy", proxy)
    _put(
        upper,
        tree,
        "etc/ssh/sshd_config.d/berth-lab.conf",
        "HostKey /etc/ssh/ssh_host_ed25519_key\nPermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUseDNS no\nMaxStartups 100:30:200\n",
    )
    _put(upper, tree, "root/.ssh/authorized_keys", client_pub + "\n", 0o600)
    key = upper / "etc/ssh/ssh_host_ed25519_key"
    _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"root@{host.name}", "-f", str(key))
    return base


def host_public_key(host: LabHost) -> str:
    """`ssh-ed25519 AAAA...` the lab generated for the host: what its console would show."""
    pub = host_dir(host) / "upper/etc/ssh/ssh_host_ed25519_key.pub"
    return " ".join(pub.read_text().split()[:2])


def start(host: LabHost, plan: LabPlan, tree: Path, client_pub: str) -> Init:
    """Create the host from scratch: namespaces, overlay root, network on the bridge. sshd is separate."""
    base = _prepare(host, plan, tree, client_pub)
    caches = []
    for inside_path, name in SHARED.items():
        (CACHE / name).mkdir(parents=True, exist_ok=True)
        caches.append(f"{inside_path}={CACHE / name}")
    log = (base / "host.log").open("ab")
    args = [str(base / "root"), str(tree), str(base / "upper"), str(base / "work"), host.name]
    unshare = subprocess.Popen(
        [
            "unshare",
            "--net",
            "--uts",
            "--mount",
            "--ipc",
            "--pid",
            "--fork",
            "--propagation",
            "private",
            "/bin/sh",
            "-c",
            SETUP,
            "lab-setup",
            *args,
            " ".join(caches),
            REAPER,
        ],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        env=ENV,
        start_new_session=True,  # outlives this command; stopped by its PID 1's recorded PID
    )
    init = _wait_init(unshare.pid, base)
    pidns = _inode(f"/proc/{init.pid}/ns/pid")
    record = {"pid": init.pid, "start": init.start, "net": init.net, "pidns": pidns}
    (base / "init.json").write_text(json.dumps(record))
    _attach(host, init)
    return init


def _wait_init(unshare_pid: int, base: Path, seconds: float = 30.0) -> Init:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with contextlib.suppress(OSError, ValueError, IndexError):
            child = int(Path(f"/proc/{unshare_pid}/task/{unshare_pid}/children").read_text().split()[0])
            init = Init(child, _start_time(child) or "", _inode(f"/proc/{child}/ns/net") or 0)
            if init.path("/run/berth-lab-ready").exists():
                return init
        if (
            _start_time(unshare_pid) is None
            or Path(f"/proc/{unshare_pid}/status").read_text().find("State:\tZ") >= 0
        ):
            break
        time.sleep(0.05)
    raise BerthError(f"lab host did not start: {(base / 'host.log').read_text()[-2000:]}")


def _attach(host: LabHost, init: Init) -> None:
    """A veth pair: the bridge's side here, eth0 with the host's address inside; no default route, so
    the host reaches nothing but the lab's bridge."""
    subprocess.run(["ip", "link", "del", host.veth], capture_output=True, check=False)  # a stale one
    _run("ip", "link", "add", host.veth, "type", "veth", "peer", "name", host.veth_peer)
    _run("ip", "link", "set", host.veth_peer, "netns", str(init.pid))
    _run("ip", "link", "set", host.veth, "master", BRIDGE, "up")
    inside(init, "ip", "link", "set", host.veth_peer, "name", "eth0", net_only=True)
    inside(init, "ip", "addr", "add", f"{host.address}/{NETWORK.prefixlen}", "dev", "eth0", net_only=True)
    inside(init, "ip", "link", "set", "eth0", "up", net_only=True)
    inside(init, "ip", "link", "set", "lo", "up", net_only=True)


def start_sshd(init: Init) -> None:
    """As a real host starts it: Debian's init script, inside the host."""
    inside(init, "/usr/sbin/service", "ssh", "start")


def sshd_answers(address: str, seconds: float = 2.0) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((address, 22), seconds) as conn:
        conn.settimeout(seconds)
        return conn.recv(64).startswith(b"SSH-")
    return False


def wait_sshd(address: str, seconds: float = 60.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if sshd_answers(address, 1.0):
            return
        time.sleep(0.1)
    raise BerthError(f"sshd on {address} did not answer within {seconds:.0f} s")


def namespace_pids(net_inode: int, pid_inode: int | None = None) -> list[int]:
    """Every process in that network namespace (and PID namespace, when given): the lab's own, compared
    by inode, never by name."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or _inode(f"/proc/{entry.name}/ns/net") != net_inode:
            continue
        if pid_inode is None or _inode(f"/proc/{entry.name}/ns/pid") == pid_inode:
            found.append(int(entry.name))
    return found


def host_pids(host: LabHost) -> list[int]:
    """Every process of a running host (its network and PID namespaces); none when it is not running."""
    init = recorded_init(host)
    if init is None:
        return []
    return namespace_pids(init.net, _inode(f"/proc/{init.pid}/ns/pid"))


def stop(host: LabHost) -> int:
    """Kill the host's PID 1 (the kernel then kills its PID namespace), then anything else still in its
    network namespace, by PID; remove its veth and files. How many processes were killed."""
    base, killed = host_dir(host), 0
    try:
        data = json.loads((base / "init.json").read_text())
        net, pidns = int(data["net"]), data.get("pidns")
    except (OSError, ValueError, KeyError):
        net, pidns = 0, None
    init = recorded_init(host)
    if init is not None:
        os.kill(init.pid, signal.SIGKILL)
        pidns = None  # the namespace was still ours: whatever else holds it is the host's
    elif pidns is None:
        net = 0  # a dead host's inode may since name another namespace: match nothing on it alone
    end = time.monotonic() + 15
    while net and (pids := namespace_pids(net, pidns)) and time.monotonic() < end:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        killed = max(killed, len(pids))
        time.sleep(0.1)
    if net and (left := namespace_pids(net, pidns)):
        raise BerthError(f"{host.key}: processes remain in its namespace: {left}")
    subprocess.run(["ip", "link", "del", host.veth], capture_output=True, check=False)
    shutil.rmtree(base, ignore_errors=True)
    return killed
