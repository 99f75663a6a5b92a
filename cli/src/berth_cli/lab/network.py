"""What every lab on this machine shares: the bridge (10.251.0.1/24), the package proxy on it (Debian's
mirror, and PyPI's at /pypi/simple/), and the lock that serialises `berth lab up|down`. The bridge goes
with the last host attached to it."""

# ruff: noqa: S603, S607 - system tools (ip, unshare, nsenter, debootstrap, ssh-keygen) by name, argument lists, no shell

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from berth_cli.lab.plan import APT_PROXY_PORT, BRIDGE, GATEWAY, NETWORK
from berth_cli.lab.pypi import PackageIndex
from berth_core.errors import BerthError

RUN = Path("/run/berth-lab")
PROXY_MODULE = "berth_cli.lab.aptproxy"


@contextlib.contextmanager
def lab_lock() -> Iterator[None]:
    RUN.mkdir(parents=True, exist_ok=True)
    with (RUN / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=False)


def bridge_exists() -> bool:
    return _ip("link", "show", "dev", BRIDGE).returncode == 0


def bridge_ports() -> list[str]:
    done = _ip("-o", "link", "show", "master", BRIDGE)
    return [line.split(":")[1].strip().split("@")[0] for line in done.stdout.splitlines() if ":" in line]


def _foreign_use() -> str | None:
    """An address of the lab's range on some other interface of this machine: not ours to take."""
    for line in _ip("-o", "-4", "addr", "show").stdout.splitlines():
        fields = line.split()
        address = ipaddress.ip_interface(fields[3])
        if fields[1] != BRIDGE and address.network.overlaps(NETWORK):
            return f"{address} on {fields[1]}"
    return None


def ensure_bridge() -> bool:
    """The lab's bridge with its gateway address; True when it had to be made."""
    if bridge_exists():
        return False
    if (other := _foreign_use()) is not None:
        raise BerthError(f"the lab's range {NETWORK} is already used on this machine: {other}")
    for args in (
        ("link", "add", BRIDGE, "type", "bridge"),
        ("addr", "add", f"{GATEWAY}/{NETWORK.prefixlen}", "dev", BRIDGE),
        ("link", "set", BRIDGE, "up"),
    ):
        done = _ip(*args)
        if done.returncode != 0:
            raise BerthError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return True


def remove_bridge_if_unused() -> bool:
    if not bridge_exists() or bridge_ports():
        return False
    _ip("link", "del", BRIDGE)
    return True


def _proxy_pid() -> int | None:
    """The apt proxy's recorded PID while it is still the proxy this lab started."""
    try:
        data = json.loads((RUN / "aptproxy.json").read_text())
        pid = int(data["pid"])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError, KeyError):
        return None
    return pid if PROXY_MODULE.encode() in cmdline and str(GATEWAY).encode() in cmdline else None


def proxy_argv(
    mirror_hosts: tuple[str, ...], cache: Path, index: PackageIndex | None, pypi_cache: Path
) -> list[str]:
    argv = [sys.executable, "-m", PROXY_MODULE, str(GATEWAY), str(APT_PROXY_PORT), str(cache), *mirror_hosts]
    if index is not None:
        argv += [
            "--pypi-index",
            index.url,
            "--pypi-cache",
            str(pypi_cache),
            "--pypi-files",
            *index.file_hosts,
        ]
    return argv


def ensure_proxy(
    mirror_hosts: tuple[str, ...],
    cache: Path,
    log: Path,
    index: PackageIndex | None = None,
    pypi_cache: Path = Path(),
) -> bool:
    """The apt proxy (and PyPI mirror) on the bridge's address; True when it had to be started."""
    if _proxy_pid() is not None:
        return False
    out = log.open("ab")
    proc = subprocess.Popen(
        proxy_argv(mirror_hosts, cache, index, pypi_cache),
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=out,
        start_new_session=True,
    )
    (RUN / "aptproxy.json").write_text(json.dumps({"pid": proc.pid}))
    end = time.monotonic() + 10
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise BerthError(f"the lab's apt proxy exited ({proc.returncode}); its log: {log}")
        with contextlib.suppress(OSError):
            import socket

            socket.create_connection((str(GATEWAY), APT_PROXY_PORT), 1).close()
            return True
        time.sleep(0.05)
    raise BerthError("the lab's apt proxy did not start listening")


def proxy_running() -> bool:
    return _proxy_pid() is not None


def stop_proxy() -> bool:
    pid = _proxy_pid()
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    for _ in range(50):
        if _proxy_pid() is None or not Path(f"/proc/{pid}").exists():
            break
        time.sleep(0.1)
    (RUN / "aptproxy.json").unlink(missing_ok=True)
    return True
