"""SSH to one host with paramiko: strict host keys (known_hosts + RejectPolicy), key auth, run the probe.

Every blocking step gets the time left of the host's deadline, and the socket is registered with a
`Cancel` so the runner can cut a host loose; a host that never answers costs at most its timeout.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import paramiko

from berth_cli.preflight.inventory import InventoryHost
from berth_core import preflight as pf
from berth_core.preflight import CheckResult

# paramiko logs every failed handshake with a traceback from its own thread; our results say it better
logging.getLogger("paramiko").addHandler(logging.NullHandler())
logging.getLogger("paramiko").propagate = False


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's SHA256 fingerprint, the form `ssh-keygen -lf` prints on the host's console."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def known_hosts_name(address: str, port: int) -> str:
    return address if port == 22 else f"[{address}]:{port}"


@dataclass
class Cancel:
    """Sockets of one host's attempt, so a watchdog can close them and unblock paramiko."""

    _sockets: list[socket.socket] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    cancelled: bool = False

    def register(self, sock: socket.socket) -> None:
        with self._lock:
            if self.cancelled:
                sock.close()
            self._sockets.append(sock)

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()


class _UnknownHostKeyError(paramiko.SSHException):
    def __init__(self, key: paramiko.PKey) -> None:
        super().__init__("host key not in known_hosts")
        self.key = key


class _RecordingRejectPolicy(paramiko.RejectPolicy):
    """RejectPolicy that keeps the offered key, so the failure can show its fingerprint. Never adds it."""

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> NoReturn:
        raise _UnknownHostKeyError(key)


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.05, self.end - time.monotonic())


def _connect_tcp(host: InventoryHost, deadline: _Deadline, cancel: Cancel) -> socket.socket | CheckResult:
    try:
        sock = socket.create_connection((host.address, host.port), timeout=deadline.left())
    except ConnectionRefusedError:
        return pf.unreachable(host.address, host.port, "refused")
    except TimeoutError:
        return pf.unreachable(host.address, host.port, "timeout")
    except OSError as exc:
        return pf.unreachable(host.address, host.port, exc.strerror or str(exc))
    cancel.register(sock)
    return sock


def probe_over_ssh(
    host: InventoryHost, *, known_hosts: Path, site: str, script: str, timeout: float, cancel: Cancel
) -> tuple[list[CheckResult], str | None]:
    """Connection checks (tcp, hostkey, auth) and, when they pass, the probe's output."""
    deadline = _Deadline(timeout)
    started = time.monotonic()
    sock = _connect_tcp(host, deadline, cancel)
    if isinstance(sock, CheckResult):
        return [sock], None
    results = [
        CheckResult(
            "tcp",
            "pass",
            "tcp.ok",
            f"{host.address}:{host.port} open ({(time.monotonic() - started) * 1000:.0f} ms)",
        )
    ]
    client = paramiko.SSHClient()
    if known_hosts.is_file():
        client.load_host_keys(str(known_hosts))
    client.set_missing_host_key_policy(_RecordingRejectPolicy())
    key_file = host.key_file
    stage = "SSH banner"
    try:
        if not key_file.is_file():
            results += [
                CheckResult("hostkey", "warn", "hostkey.not_checked", "not checked: no client key"),
                pf.auth_failed(host.user, str(key_file), "no key"),
            ]
            return results, None
        left = deadline.left()
        client.connect(
            host.address,
            host.port,
            username=host.user,
            key_filename=str(key_file),
            sock=sock,
            timeout=left,
            banner_timeout=left,
            auth_timeout=left,
            look_for_keys=False,
            allow_agent=False,
        )
        transport = client.get_transport()
        assert transport is not None
        key = transport.get_remote_server_key()
        results += [
            CheckResult("hostkey", "pass", "hostkey.ok", f"{key.get_name()} {fingerprint(key)}"),
            CheckResult("auth", "pass", "auth.ok", f"{host.user} by key {key_file.name}"),
        ]
        stage = "probe output"
        output = _run(transport, script, deadline, become=host.become)
        return results, output
    except _UnknownHostKeyError as exc:
        results.append(
            pf.hostkey_unknown(host.name, host.address, exc.key.get_name(), fingerprint(exc.key), site)
        )
    except paramiko.BadHostKeyException as exc:
        results.append(
            pf.hostkey_changed(
                host.name,
                host.address,
                key_type=exc.key.get_name(),
                expected=fingerprint(exc.expected_key),
                offered=fingerprint(exc.key),
                site=site,
            )
        )
    except paramiko.AuthenticationException as exc:
        results.append(CheckResult("hostkey", "pass", "hostkey.ok", "matches known_hosts"))
        results.append(pf.auth_failed(host.user, str(key_file), str(exc) or type(exc).__name__))
    except (TimeoutError, EOFError, OSError, paramiko.SSHException) as exc:
        if (
            cancel.cancelled
            or isinstance(exc, TimeoutError)
            or "banner" in str(exc)
            or deadline.left() <= 0.05
        ):
            results.append(pf.ssh_timeout(host.address, host.port, stage, deadline.seconds))
        else:
            results.append(
                CheckResult(
                    "ssh",
                    "fail",
                    "ssh.error",
                    f"{stage}: {exc or type(exc).__name__}",
                    "Check sshd's log on the host (journalctl -u ssh).",
                )
            )
    finally:
        client.close()
        sock.close()
    return results, None


# With ansible_become the probe runs as root when sudo allows it without a password (ss then names the
# processes holding ports); otherwise as the login user. `exec` hands the script on stdin to either shell.
_BECOME = "if sudo -n true 2>/dev/null; then exec sudo -n /bin/sh -s; else exec /bin/sh -s; fi"


def _run(transport: paramiko.Transport, script: str, deadline: _Deadline, *, become: bool) -> str:
    channel = transport.open_session(timeout=deadline.left())
    channel.settimeout(deadline.left())
    channel.exec_command(_BECOME if become else "/bin/sh -s")
    channel.sendall(script.encode())
    channel.shutdown_write()
    chunks: list[bytes] = []
    while True:
        channel.settimeout(deadline.left())
        data = channel.recv(65536)  # raises TimeoutError (socket.timeout) at the deadline
        if not data:
            break
        chunks.append(data)
    channel.close()
    return b"".join(chunks).decode("utf-8", "replace")


def fetch_host_key(address: str, port: int, timeout: float, prefer: tuple[str, ...] = ()) -> paramiko.PKey:
    """The key a host offers, without authenticating (for `berth hosts trust`).

    `prefer`: key types already recorded for the host, asked for first so a recorded ECDSA key is compared
    with the host's ECDSA key, not with its Ed25519 one.
    """
    sock = socket.create_connection((address, port), timeout=timeout)
    transport = paramiko.Transport(sock)
    try:
        options = transport.get_security_options()
        known = list(options.key_types)
        options.key_types = [*(t for t in prefer if t in known), *(t for t in known if t not in prefer)]
        transport.banner_timeout = timeout
        transport.start_client(timeout=timeout)
        return transport.get_remote_server_key()
    finally:
        transport.close()
        sock.close()
