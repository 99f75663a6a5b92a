"""Record host keys in a site's known_hosts, deliberately: only after the operator saw the fingerprint.

A key that differs from the recorded one is never replaced unless the operator asked for `--replace`.
The file is rewritten atomically (temporary file + rename) so a crash never leaves half a known_hosts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import paramiko

from berth_cli.preflight.inventory import InventoryHost
from berth_cli.preflight.ssh import fetch_host_key, fingerprint, known_hosts_name

TrustState = Literal["new", "same", "changed"]


@dataclass(frozen=True)
class Offered:
    host: InventoryHost
    key: paramiko.PKey
    names: tuple[str, ...]  # known_hosts names: the address, plus the inventory name when it differs
    state: TrustState
    recorded: str  # fingerprint already in known_hosts ("" when none)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.key)


def _names(host: InventoryHost) -> tuple[str, ...]:
    names = [known_hosts_name(host.address, host.port)]
    if host.name != host.address:
        names.append(known_hosts_name(host.name, host.port))
    return tuple(names)


def offered_key(host: InventoryHost, known_hosts: Path, timeout: float) -> Offered:
    names = _names(host)
    known = paramiko.HostKeys(str(known_hosts)) if known_hosts.is_file() else paramiko.HostKeys()
    recorded = [entry[kt] for name in names if (entry := known.lookup(name)) for kt in entry]
    key = fetch_host_key(host.address, host.port, timeout, prefer=tuple(k.get_name() for k in recorded))
    same_type = [k for k in recorded if k.get_name() == key.get_name()]
    if any(k == key for k in same_type):
        return Offered(host, key, names, "same", fingerprint(key))
    if same_type or recorded:
        return Offered(host, key, names, "changed", fingerprint((same_type or recorded)[0]))
    return Offered(host, key, names, "new", "")


def record(known_hosts: Path, offers: list[Offered]) -> None:
    """Write the offered keys, replacing every recorded key of those names (callers decided they may)."""
    known = paramiko.HostKeys(str(known_hosts)) if known_hosts.is_file() else paramiko.HostKeys()
    for offer in offers:
        for name in offer.names:
            while known.lookup(name) is not None:
                del known[name]
            known.add(name, offer.key.get_name(), offer.key)
    known_hosts.parent.mkdir(parents=True, exist_ok=True)
    tmp = known_hosts.with_name(f".{known_hosts.name}.tmp{os.getpid()}")
    known.save(str(tmp))
    tmp.chmod(0o644)
    tmp.replace(known_hosts)
