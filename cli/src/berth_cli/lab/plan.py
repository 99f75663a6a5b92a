"""The lab's plan, pure: which hosts a site's `lab.yml` asks for, their addresses on the lab's bridge, the
names of their interfaces, and the Ansible inventory and /etc/hosts that describe them. No I/O here."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from berth_core.errors import Location, UsageError

# The only range the lab uses: every address on it is inside a namespace the lab created, except the
# bridge's own (.1), where the lab's apt proxy listens.
NETWORK = ipaddress.ip_network("10.251.0.0/24")
GATEWAY = ipaddress.ip_address("10.251.0.1")
BRIDGE = "berth-lab0"
APT_PROXY_PORT = 3142
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_GROUP = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


@dataclass(frozen=True)
class LabHost:
    site: str
    name: str
    address: str
    groups: tuple[str, ...]

    @property
    def veth(self) -> str:
        """The bridge side of the host's veth pair: unique per site and host, within IFNAMSIZ (15)."""
        digest = hashlib.sha256(f"{self.site}/{self.name}".encode()).hexdigest()[:8]
        return f"bl{digest}"

    @property
    def veth_peer(self) -> str:
        """The namespace side's name until it is moved in and renamed eth0."""
        return f"bp{self.veth[2:]}"

    @property
    def key(self) -> str:
        """`site/host`, as the host's processes and files are named on this machine."""
        return f"{self.site}/{self.name}"


@dataclass(frozen=True)
class LabPlan:
    site: str
    hosts: tuple[LabHost, ...]
    # addresses no host has but one of them will hold (keepalived's VIPs): the lab keeps them free too
    vips: tuple[str, ...] = ()

    def host(self, name: str) -> LabHost:
        return next(h for h in self.hosts if h.name == name)


def plan_lab(site: str, doc: Any, source: str = "lab.yml") -> LabPlan:
    """Validate a site's lab.yml (`hosts: [{name, address, groups}]`) into a plan; UsageError, located."""

    def fail(message: str, fld: str) -> UsageError:
        return UsageError(message, location=Location(source, field=fld), hint="see docs/lab.md")

    if not isinstance(doc, dict) or doc.get("kind") != "Lab" or not isinstance(doc.get("hosts"), list):
        raise fail("a lab file is `kind: Lab` with a list of hosts", "kind")
    hosts: list[LabHost] = []
    for i, entry in enumerate(doc["hosts"]):
        where = f"hosts[{i}]"
        if not isinstance(entry, dict) or set(entry) - {"name", "address", "groups"}:
            raise fail("each host has only name, address and groups", where)
        name, groups = str(entry.get("name", "")), entry.get("groups") or []
        if not _NAME.match(name):
            raise fail(f"host name {name!r}: 1..31 of a-z 0-9 '-', starting with a letter", f"{where}.name")
        try:
            address = ipaddress.ip_address(str(entry.get("address", "")))
        except ValueError:
            raise fail(f"{entry.get('address')!r} is not an IPv4 address", f"{where}.address") from None
        if address not in NETWORK or address in (GATEWAY, NETWORK.network_address, NETWORK.broadcast_address):
            raise fail(f"{address} is not a host address of the lab's {NETWORK} (nor .1)", f"{where}.address")
        if not isinstance(groups, list) or not all(isinstance(g, str) and _GROUP.match(g) for g in groups):
            raise fail("groups is a list of Ansible group names", f"{where}.groups")
        if any(h.name == name for h in hosts) or any(h.address == str(address) for h in hosts):
            raise fail(f"host {name} or address {address} appears twice", where)
        hosts.append(LabHost(site, name, str(address), tuple(groups)))
    if not hosts:
        raise fail("a lab has at least one host", "hosts")
    return LabPlan(site, tuple(hosts), _vips(doc.get("vips"), hosts, fail))


def _vips(value: Any, hosts: list[LabHost], fail: Callable[[str, str], UsageError]) -> tuple[str, ...]:
    """`vips:`, optional: addresses of the lab's range that no host has, each once."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise fail("vips is a list of addresses (the site's VIPs)", "vips")
    vips: list[str] = []
    for i, entry in enumerate(value):
        where = f"vips[{i}]"
        try:
            address = ipaddress.ip_address(str(entry))
        except ValueError:
            raise fail(f"{entry!r} is not an IPv4 address", where) from None
        if address not in NETWORK or address in (GATEWAY, NETWORK.network_address, NETWORK.broadcast_address):
            raise fail(f"{address} is not a host address of the lab's {NETWORK} (nor .1)", where)
        if holder := next((h for h in hosts if h.address == str(address)), None):
            raise fail(f"{address} is {holder.name}'s own address: a VIP moves between hosts", where)
        if str(address) in vips:
            raise fail(f"{address} appears twice", where)
        vips.append(str(address))
    return tuple(vips)


def interface_addresses(ip_output: str) -> set[str]:
    """The addresses of `ip -o addr show` (without prefix length)."""
    found = set()
    for line in ip_output.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[2] in ("inet", "inet6"):
            found.add(fields[3].split("/")[0])
    return found


def etc_hosts(plan: LabPlan) -> str:
    """Every lab host of the site by name: the roles (RabbitMQ, preflight's `resolve`) need them."""
    lines = ["127.0.0.1 localhost", "::1 localhost ip6-localhost ip6-loopback"]
    return "\n".join([*lines, *(f"{h.address} {h.name}" for h in plan.hosts)]) + "\n"


def inventory(plan: LabPlan, key_file: Path, known_hosts: Path) -> dict[str, Any]:
    """inventory/<site>/hosts.yml: every host over SSH as root with the lab's key, strict host keys."""
    ssh_args = f"-o StrictHostKeyChecking=yes -o UserKnownHostsFile={known_hosts} -o IdentitiesOnly=yes"
    groups: dict[str, dict[str, Any]] = {}
    for host in plan.hosts:
        for group in host.groups:
            groups.setdefault(group, {"hosts": {}})["hosts"][host.name] = None
    return {
        "all": {
            "vars": {
                "ansible_connection": "ssh",
                "ansible_user": "root",
                "ansible_ssh_private_key_file": str(key_file),
                "ansible_ssh_common_args": ssh_args,
                "ansible_python_interpreter": "/usr/bin/python3",
            },
            "hosts": {
                h.name: {"ansible_host": h.address, "berth_management_address": h.address} for h in plan.hosts
            },
            "children": groups,
        }
    }
