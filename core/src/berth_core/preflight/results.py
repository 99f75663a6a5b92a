"""Preflight results: one verdict per check per host, and the connection-level outcomes of SSH.

Connection outcomes live here, next to the result type, so every remedy text is in berth_core; the
remedies name the command that fixes the problem deliberately (never an automatic workaround).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Status = Literal["pass", "warn", "fail"]
STATUS_ORDER: dict[str, int] = {"pass": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True)
class CheckResult:
    check: str  # "ram", "disk:/var/lib/nova", "hostkey", ...
    status: Status
    code: str  # stable machine name of the outcome, e.g. "hostkey.changed"
    detail: str
    remedy: str = ""  # what to do; always set when status is not "pass"

    def to_json(self) -> dict[str, str]:
        return {
            "check": self.check,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
            "remedy": self.remedy,
        }


def worst(results: Iterable[CheckResult]) -> Status:
    statuses = [r.status for r in results]
    return max(statuses, key=STATUS_ORDER.__getitem__) if statuses else "pass"


def unreachable(address: str, port: int, why: str) -> CheckResult:
    if why == "refused":
        return CheckResult(
            "tcp",
            "fail",
            "tcp.refused",
            f"{address}:{port} refused the connection",
            "Start sshd on the host, or fix ansible_host / ansible_port in the inventory.",
        )
    return CheckResult(
        "tcp",
        "fail",
        "tcp.timeout" if why == "timeout" else "tcp.error",
        f"{address}:{port}: {why}",
        "Check the host is up and routed, and that no firewall drops SSH from here.",
    )


def ssh_timeout(address: str, port: int, stage: str, seconds: float) -> CheckResult:
    return CheckResult(
        "ssh",
        "fail",
        "ssh.timeout",
        f"{address}:{port} accepted TCP but gave no {stage} within {seconds:g}s",
        "The host (or its sshd) is hung or overloaded: check its console; "
        "a port forward to a dead service looks the same.",
    )


def hostkey_unknown(host: str, address: str, key_type: str, fingerprint: str, site: str) -> CheckResult:
    return CheckResult(
        "hostkey",
        "fail",
        "hostkey.unknown",
        f"{address} offers {key_type} {fingerprint}, not in inventory/{site}/known_hosts",
        f"Compare the fingerprint with the host's console (ssh-keygen -lf /etc/ssh/ssh_host_*"
        f"_key.pub), then record it: berth hosts trust --site {site} {host}",
    )


def hostkey_changed(
    host: str, address: str, *, key_type: str, expected: str, offered: str, site: str
) -> CheckResult:
    return CheckResult(
        "hostkey",
        "fail",
        "hostkey.changed",
        f"HOST KEY CHANGED for {address}: known_hosts has {expected}, the host offers {key_type} {offered}",
        "Someone may be intercepting the connection, or the host was reinstalled. Verify the "
        "new fingerprint on the host's console; only then re-trust it deliberately: "
        f"berth hosts trust --site {site} --replace {host}",
    )


def auth_failed(user: str, key_file: str, why: str) -> CheckResult:
    code = "auth.no_key" if why == "no key" else "auth.rejected"
    detail = (
        f"private key {key_file} not readable"
        if code == "auth.no_key"
        else f"{user}@ refused key {key_file}: {why}"
    )
    return CheckResult(
        "auth",
        "fail",
        code,
        detail,
        f"Install the public half of {key_file} in ~{user}/.ssh/authorized_keys on the host, "
        "or set ansible_user / ansible_ssh_private_key_file in the inventory.",
    )
