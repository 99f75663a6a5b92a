"""Turn what a host measured (Facts) into pass / warn / fail verdicts, each failure with what to do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from berth_core.preflight.requirements import Requirements, Strictness, version_key
from berth_core.preflight.results import CheckResult, Status


@dataclass(frozen=True)
class DiskFacts:
    mount: str  # the existing path measured (the requested one, or its nearest existing parent)
    size_gib: float
    free_gib: float


@dataclass(frozen=True)
class Facts:
    """What the probe measured; None means the probe could not tell."""

    os_id: str | None = None
    os_version: str | None = None
    os_name: str | None = None
    kernel: str | None = None
    cpus: int | None = None
    cpu_flags: frozenset[str] = frozenset()
    ram_mib: int | None = None
    disks: Mapping[str, DiskFacts] = field(default_factory=dict)
    time_synced: bool | None = None
    time_source: str = ""
    python3: str | None = None
    listening: Mapping[int, str] = field(default_factory=dict)  # port -> process name ("" if unknown)
    mtus: Mapping[str, int] = field(default_factory=dict)
    resolved: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def _ok(check: str, detail: str) -> CheckResult:
    return CheckResult(check, "pass", f"{check.split(':', maxsplit=1)[0]}.ok", detail)


def evaluate(facts: Facts, req: Requirements, others: Mapping[str, str | None]) -> list[CheckResult]:
    """Verdicts for every measured fact. `others`: the other hosts' names -> the address they should resolve to."""
    results = [_os(facts, req), _kernel(facts, req), _cpus(facts, req)]
    if req.require_virt:
        results.append(_virt(facts))
    results.append(_ram(facts, req))
    results.extend(_disk(path, gib, facts.disks.get(path)) for path, gib in sorted(req.disks.items()))
    if req.time_sync != "off":
        results.append(_time(facts, req.time_sync))
    results.append(_python(facts, req))
    if req.ports_free:
        results.append(_ports(facts, req))
    results.extend(_mtu(iface, want, facts.mtus.get(iface)) for iface, want in sorted(req.mtu.items()))
    if req.resolve_others:
        results.append(_resolve(facts, others))
    return results


def _os(facts: Facts, req: Requirements) -> CheckResult:
    name = facts.os_name or f"{facts.os_id} {facts.os_version}"
    if facts.os_id is None:
        return CheckResult(
            "os",
            "fail",
            "os.unknown",
            "no /etc/os-release",
            "Install a supported distribution: " + ", ".join(req.supported_os),
        )
    full = f"{facts.os_id} {facts.os_version or ''}".strip()
    if full in req.supported_os or facts.os_id in req.supported_os:
        return _ok("os", name)
    return CheckResult(
        "os",
        "fail",
        "os.unsupported",
        f"{name} is not supported",
        "berth's roles are tested on " + ", ".join(req.supported_os) + "; reinstall the host "
        "or add its release to supportedOs in group_vars/<group>/preflight.yml after testing.",
    )


def _kernel(facts: Facts, req: Requirements) -> CheckResult:
    if facts.kernel is None:
        return CheckResult(
            "kernel", "warn", "kernel.unknown", "uname -r gave nothing", "Check the host by hand."
        )
    if version_key(facts.kernel) < version_key(req.min_kernel):
        return CheckResult(
            "kernel",
            "fail",
            "kernel.old",
            f"{facts.kernel} < {req.min_kernel}",
            f"Upgrade the kernel to {req.min_kernel} or newer and reboot.",
        )
    return _ok("kernel", facts.kernel)


def _cpus(facts: Facts, req: Requirements) -> CheckResult:
    if facts.cpus is None:
        return CheckResult(
            "cpu", "fail", "cpu.unknown", "could not count CPUs", "Check /proc/cpuinfo on the host."
        )
    if facts.cpus < req.min_cpus:
        return CheckResult(
            "cpu",
            "fail",
            "cpu.below",
            f"{facts.cpus} CPUs, role needs {req.min_cpus}",
            "Use a bigger host for this role, or lower minCpus in its group's preflight.yml.",
        )
    return _ok("cpu", f"{facts.cpus} CPUs (need {req.min_cpus})")


def _virt(facts: Facts) -> CheckResult:
    found = sorted(facts.cpu_flags & {"vmx", "svm"})
    if found:
        return _ok("virt", f"hardware virtualisation: {found[0]}")
    return CheckResult(
        "virt",
        "fail",
        "virt.missing",
        "no vmx/svm CPU flag: KVM guests cannot run",
        "Enable Intel VT-x / AMD-V in the firmware (BIOS/UEFI), or nested virtualisation "
        "on a VM; set requireVirt: false only for fake or QEMU-emulated computes.",
    )


def _ram(facts: Facts, req: Requirements) -> CheckResult:
    if facts.ram_mib is None:
        return CheckResult(
            "ram", "fail", "ram.unknown", "could not read /proc/meminfo", "Check the host by hand."
        )
    have, need = facts.ram_mib, req.min_ram_mib
    if have < need:
        return CheckResult(
            "ram",
            "fail",
            "ram.below",
            f"{_gib(have)} GiB RAM, role needs {_gib(need)} GiB",
            "Add memory or move the role to a bigger host (or lower minRamMiB in the "
            "group's preflight.yml if the site really is that small).",
        )
    return _ok("ram", f"{_gib(have)} GiB (need {_gib(need)})")


def _gib(mib: int) -> str:
    return f"{mib / 1024:.1f}"


def _disk(path: str, need_gib: float, disk: DiskFacts | None) -> CheckResult:
    check = f"disk:{path}"
    if disk is None:
        return CheckResult(
            check, "fail", "disk.unknown", f"could not measure {path}", "Check df on the host."
        )
    where = path if disk.mount == path else f"{path} (on {disk.mount})"
    if disk.free_gib < need_gib:
        return CheckResult(
            check,
            "fail",
            "disk.below",
            f"{disk.free_gib:.1f} GiB free at {where}, need {need_gib:g}",
            f"Free space or mount a bigger volume at {path}.",
        )
    return CheckResult(
        check, "pass", "disk.ok", f"{disk.free_gib:.1f} GiB free at {where} (need {need_gib:g})"
    )


def _time(facts: Facts, strictness: Strictness) -> CheckResult:
    remedy = (
        "Run chrony (or systemd-timesyncd) against the site's NTP servers; OpenStack tokens, RabbitMQ "
        "and Galera break when clocks drift apart."
    )
    status: Status = "fail" if strictness == "fail" else "warn"
    if facts.time_synced is None:
        return CheckResult(
            "timesync", "warn", "timesync.unknown", "no way to read the clock's sync state", remedy
        )
    if not facts.time_synced:
        return CheckResult(
            "timesync", status, "timesync.off", f"clock not synchronised ({facts.time_source})", remedy
        )
    return _ok("timesync", f"synchronised ({facts.time_source})")


def _python(facts: Facts, req: Requirements) -> CheckResult:
    if facts.python3 is None:
        return CheckResult(
            "python3",
            "fail",
            "python3.missing",
            "no python3 on PATH",
            "Install python3 (apt-get install python3): Ansible runs its modules with it.",
        )
    if version_key(facts.python3) < version_key(req.min_python):
        return CheckResult(
            "python3",
            "fail",
            "python3.old",
            f"python3 {facts.python3} < {req.min_python}",
            f"Install python3 {req.min_python} or newer.",
        )
    return _ok("python3", facts.python3)


def _ports(facts: Facts, req: Requirements) -> CheckResult:
    taken = {p: facts.listening[p] for p in req.ports_free if p in facts.listening}
    foreign = {p: who for p, who in taken.items() if who not in req.port_owners}
    if foreign:
        held = ", ".join(f"{p} ({who or 'unknown process'})" for p, who in sorted(foreign.items()))
        return CheckResult(
            "ports",
            "fail",
            "ports.taken",
            f"already in use: {held}",
            "Stop or move what listens there: OpenStack services need these ports.",
        )
    if taken:
        return _ok(
            "ports",
            f"{len(req.ports_free)} ports free or held by the cloud's own services "
            f"({', '.join(sorted(set(taken.values())))})",
        )
    return _ok("ports", f"{len(req.ports_free)} ports free")


def _mtu(iface: str, want: int, have: int | None) -> CheckResult:
    check = f"mtu:{iface}"
    if have is None:
        return CheckResult(
            check,
            "fail",
            "mtu.no_interface",
            f"no interface {iface}",
            "Create the interface, or fix the interface name in the site's preflight.yml.",
        )
    if have != want:
        return CheckResult(
            check,
            "fail",
            "mtu.mismatch",
            f"{iface} MTU {have}, the site declares {want}",
            f"Set MTU {want} on {iface} (and on the switch ports) so tenant traffic is not "
            "fragmented or dropped.",
        )
    return CheckResult(check, "pass", "mtu.ok", f"{iface} MTU {have}")


def _resolve(facts: Facts, others: Mapping[str, str | None]) -> CheckResult:
    if not others:
        return _ok("resolve", "no other hosts to resolve")
    missing = sorted(name for name in others if not facts.resolved.get(name))
    wrong = sorted(
        n for n, addr in others.items() if addr and facts.resolved.get(n) and addr not in facts.resolved[n]
    )
    if missing:
        return CheckResult(
            "resolve",
            "fail",
            "resolve.missing",
            "cannot resolve " + ", ".join(missing),
            "Add the cloud's hosts to DNS or /etc/hosts: services find each other by name.",
        )
    if wrong:
        detail = ", ".join(f"{n} -> {'/'.join(facts.resolved[n])} (inventory: {others[n]})" for n in wrong)
        return CheckResult(
            "resolve",
            "warn",
            "resolve.differs",
            detail,
            "Check DNS or /etc/hosts: the name resolves to another address than the inventory.",
        )
    return _ok("resolve", f"{len(others)} other host(s) resolve")
