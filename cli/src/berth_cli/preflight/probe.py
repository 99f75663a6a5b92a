"""The probe: one POSIX shell script run on each host (over SSH or locally), and its parser.

One round trip per host: the script prints `@@section` blocks that `parse` turns into berth_core's
Facts. It only reads; it changes nothing on the host. Tools it lacks leave a fact unknown (None).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable

from berth_core.preflight import DiskFacts, Facts

# adjtimex(2) with modes=0 only reads; it returns TIME_ERROR (5) while no NTP daemon disciplines the clock.
_ADJTIMEX = "import ctypes; b = ctypes.create_string_buffer(512); print(ctypes.CDLL(None).adjtimex(b))"

_SCRIPT = r"""
export LC_ALL=C PATH="$PATH:/usr/sbin:/sbin"
echo @@os; cat /etc/os-release 2>/dev/null
echo @@kernel; uname -r
echo @@cpus; nproc 2>/dev/null || getconf _NPROCESSORS_ONLN
echo @@flags; grep -m1 -E '^(flags|Features)' /proc/cpuinfo
echo @@mem; grep -E '^MemTotal:' /proc/meminfo
echo @@disk
for p in {paths}; do
  q="$p"; while [ ! -e "$q" ]; do q=$(dirname "$q"); done
  printf '%s\t%s\t' "$p" "$q"; df -Pk "$q" | tail -n 1
done
echo @@time
if command -v timedatectl >/dev/null 2>&1 && timedatectl show -p NTPSynchronized --value >/dev/null 2>&1; then
  echo "timedatectl $(timedatectl show -p NTPSynchronized --value)"
elif command -v chronyc >/dev/null 2>&1 && chronyc -n tracking >/dev/null 2>&1; then
  echo "chronyc $(chronyc -n tracking | grep -i '^Leap status')"
elif command -v python3 >/dev/null 2>&1; then
  echo "adjtimex $(python3 -c {adjtimex} 2>/dev/null)"
fi
echo @@python
command -v python3 >/dev/null 2>&1 && python3 -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])'
echo @@listen
if command -v ss >/dev/null 2>&1; then ss -Hltnp 2>/dev/null; else cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; fi
echo @@mtu
for i in /sys/class/net/*; do printf '%s %s\n' "${{i##*/}}" "$(cat "$i/mtu")"; done
echo @@resolve
set -- {names}
for n in "$@"; do  # in parallel: a slow resolver costs its timeout once, not once per host
  ( a=$(getent ahosts "$n" 2>/dev/null | awk '{{print $1}}' | sort -u | tr '\n' ' '); printf '%s\t%s\n' "$n" "$a" ) &
done
wait
echo @@end
"""


def script(paths: Iterable[str], names: Iterable[str]) -> str:
    """The probe for one host: measure free disk at `paths`, resolve `names`."""
    return _SCRIPT.format(
        paths=" ".join(shlex.quote(p) for p in sorted(set(paths) or {"/"})),
        names=" ".join(shlex.quote(n) for n in sorted(set(names))),
        adjtimex=shlex.quote(_ADJTIMEX),
    )


def sections(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("@@"):
            current = out.setdefault(line[2:].strip(), [])
        elif current is not None:
            current.append(line)
    return out


def complete(text: str) -> bool:
    """The probe ran to its end (a cut connection leaves no @@end)."""
    return "end" in sections(text)


def _os_release(lines: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip().strip("\"'")
    return values


def _first_int(lines: list[str]) -> int | None:
    for line in lines:
        match = re.search(r"\d+", line)
        if match:
            return int(match.group())
    return None


def _disks(lines: list[str]) -> dict[str, DiskFacts]:
    disks: dict[str, DiskFacts] = {}
    for line in lines:
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        fields = parts[2].split()  # Filesystem 1024-blocks Used Available Capacity Mounted-on
        if len(fields) >= 4 and fields[1].isdigit() and fields[3].isdigit():
            disks[parts[0]] = DiskFacts(parts[1], int(fields[1]) / 1024**2, int(fields[3]) / 1024**2)
    return disks


def _time(lines: list[str]) -> tuple[bool | None, str]:
    line = lines[0].strip() if lines else ""
    tool, _, value = line.partition(" ")
    value = value.strip()
    if tool == "timedatectl" and value in ("yes", "no"):
        return value == "yes", "timedatectl NTPSynchronized"
    if tool == "chronyc" and value:
        return "normal" in value.lower(), "chrony " + value.split(":", 1)[-1].strip()
    if tool == "adjtimex" and value.lstrip("-").isdigit():
        state = int(value)
        return (None, "adjtimex failed") if state < 0 else (state != 5, f"kernel clock state {state}")
    return None, "no timedatectl, chronyc or python3"


_SS_USER = re.compile(r'users:\(\("([^"]+)"')


def _listening(lines: list[str]) -> dict[int, str]:
    ports: dict[int, str] = {}
    for line in lines:
        fields = line.split()
        if len(fields) >= 4 and fields[0] == "LISTEN":  # ss -Hltnp
            port = fields[3].rsplit(":", 1)[-1]
            if port.isdigit():
                who = _SS_USER.search(line)
                ports.setdefault(int(port), who.group(1) if who else "")
        elif len(fields) >= 4 and fields[3] == "0A" and ":" in fields[1]:  # /proc/net/tcp, state LISTEN
            ports.setdefault(int(fields[1].rsplit(":", 1)[1], 16), "")
    return ports


def parse(text: str) -> Facts:
    s = sections(text)
    osr = _os_release(s.get("os", []))
    flags_line = next(iter(s.get("flags", [])), "")
    synced, source = _time(s.get("time", []))
    mem_kib = _first_int(s.get("mem", []))
    mtus = {}
    for line in s.get("mtu", []):
        name, _, value = line.partition(" ")
        if value.strip().isdigit():
            mtus[name] = int(value)
    resolved: dict[str, tuple[str, ...]] = {}
    for line in s.get("resolve", []):
        name, _, addrs = line.partition("\t")
        if name:
            resolved[name] = tuple(addrs.split())
    python = next((ln.strip() for ln in s.get("python", []) if ln.strip()), None)
    kernel = next((ln.strip() for ln in s.get("kernel", []) if ln.strip()), None)
    return Facts(
        os_id=osr.get("ID"),
        os_version=osr.get("VERSION_ID"),
        os_name=osr.get("PRETTY_NAME"),
        kernel=kernel,
        cpus=_first_int(s.get("cpus", [])),
        cpu_flags=frozenset(flags_line.partition(":")[2].split()),
        ram_mib=mem_kib // 1024 if mem_kib is not None else None,
        disks=_disks(s.get("disk", [])),
        time_synced=synced,
        time_source=source,
        python3=python,
        listening=_listening(s.get("listen", [])),
        mtus=mtus,
        resolved=resolved,
    )
