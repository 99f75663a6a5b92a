"""What each role requires of a host: defaults per inventory group, a site's overrides, and combining.

A site overrides the defaults with `berth_preflight` in `inventory/<site>/group_vars/<group>/preflight.yml`
(group_vars/all applies to every group first); a host in several groups must satisfy all of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import Field

from berth_core.model_base import Model

Strictness = Literal["fail", "warn", "off"]
SETTINGS_VAR = "berth_preflight"  # the Ansible variable preflight.yml files define


class Requirements(Model):
    """What one host must offer. Every field has a default, so a preflight.yml only says what differs."""

    min_cpus: int = Field(default=2, ge=1)
    min_ram_mib: int = Field(default=4096, ge=0, alias="minRamMiB")
    disks: dict[str, float] = Field(
        default_factory=lambda: {"/": 10.0}
    )  # path -> free GiB needed on the filesystem holding it
    require_virt: bool = False  # vmx/svm for KVM guests
    ports_free: tuple[int, ...] = ()
    # a required port held by one of these processes is the cloud's own service (a re-deploy), not a conflict
    port_owners: tuple[str, ...] = ()
    mtu: dict[str, int] = Field(default_factory=dict)  # interface -> MTU the site's network design declares
    supported_os: tuple[str, ...] = ("debian 12", "ubuntu 22.04", "ubuntu 24.04")  # "id version" or "id"
    min_kernel: str = "5.10"
    min_python: str = "3.8"  # ansible-core's floor for managed hosts
    time_sync: Strictness = "fail"
    resolve_others: bool = True


_OPENSTACK_PORTS = (3306, 5000, 5672, 6080, 8774, 8775, 8776, 8778, 9292, 9696, 11211)
# process names (as `ss -p` shows them, 15 characters at most) of the services berth itself deploys there
_OPENSTACK_OWNERS = (
    "mariadbd",
    "mysqld",
    "beam.smp",
    "uwsgi",
    "memcached",
    "keystone",
    "glance-api",
    "nova-api",
    "nova-api-metada",
    "nova-novncproxy",
    "placement-api",
    "neutron-server",
    "cinder-api",
    "apache2",
    "haproxy",
)
GROUP_DEFAULTS: dict[str, Requirements] = {
    "controllers": Requirements(
        min_cpus=8,
        min_ram_mib=32768,
        disks={"/": 20.0, "/var/lib": 100.0},
        ports_free=_OPENSTACK_PORTS,
        port_owners=_OPENSTACK_OWNERS,
    ),
    "computes": Requirements(
        min_cpus=8, min_ram_mib=32768, disks={"/": 20.0, "/var/lib/nova": 200.0}, require_virt=True
    ),
    "storage": Requirements(min_cpus=4, min_ram_mib=16384, disks={"/": 20.0, "/var/lib/cinder": 500.0}),
}
BASE = Requirements()


def group_requirements(group: str, overrides: Mapping[str, Any] | None) -> Requirements:
    """The group's defaults with its preflight.yml settings on top (raises pydantic ValidationError)."""
    base = GROUP_DEFAULTS.get(group, BASE)
    if not overrides:
        return base
    data = base.model_dump(by_alias=True)
    data.update(overrides)
    return Requirements.model_validate(data)


def combine(reqs: Sequence[Requirements]) -> Requirements:
    """The strictest of several: a host in `controllers` and `computes` must satisfy both roles."""
    if not reqs:
        return BASE
    first = reqs[0]
    disks: dict[str, float] = {}
    mtu: dict[str, int] = {}
    for r in reqs:
        for path, gib in r.disks.items():
            disks[path] = max(gib, disks.get(path, 0.0))
        for iface, value in r.mtu.items():
            mtu[iface] = max(value, mtu.get(iface, 0))
    supported = [s for s in first.supported_os if all(s in r.supported_os for r in reqs)]
    strictness: list[Strictness] = ["off", "warn", "fail"]
    return Requirements(
        min_cpus=max(r.min_cpus for r in reqs),
        min_ram_mib=max(r.min_ram_mib for r in reqs),
        disks=disks,
        require_virt=any(r.require_virt for r in reqs),
        ports_free=tuple(sorted({p for r in reqs for p in r.ports_free})),
        port_owners=tuple(sorted({o for r in reqs for o in r.port_owners})),
        mtu=mtu,
        supported_os=tuple(supported),
        min_kernel=max((r.min_kernel for r in reqs), key=version_key),
        min_python=max((r.min_python for r in reqs), key=version_key),
        time_sync=max((r.time_sync for r in reqs), key=strictness.index),
        resolve_others=any(r.resolve_others for r in reqs),
    )


def version_key(text: str) -> tuple[int, ...]:
    """'6.1.0-18-amd64' -> (6, 1, 0, 18): leading numeric parts, enough to compare release floors."""
    parts: list[int] = []
    for chunk in text.replace("-", ".").split("."):
        digits = "".join(c for c in chunk if c.isdigit()) if chunk[:1].isdigit() else ""
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)
