"""The lab's root filesystem: a minimal Debian bookworm tree built once with debootstrap from the Debian
mirror this machine's apt uses, cached with a stamp that says what it holds. Every lab host is an overlay
over it, so the tree itself is never written after it is built."""

# ruff: noqa: S603, S607 - system tools (ip, unshare, nsenter, debootstrap, ssh-keygen) by name, argument lists, no shell

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from berth_core.errors import BerthError, UsageError

CACHE = Path("/var/cache/berth/lab")
SUITE = "bookworm"
# What Ansible and the lab need on a pristine host, no more: sshd, python3 with apt bindings, sudo,
# ip, ps, and the CA bundle. Everything else comes from the roles.
PACKAGES = ("openssh-server", "python3", "python3-apt", "sudo", "iproute2", "procps", "ca-certificates")
STAMP_VERSION = 2


@dataclass(frozen=True)
class Mirror:
    debian: str  # e.g. http://deb.debian.org/debian
    security: str | None  # e.g. http://deb.debian.org/debian-security

    def sources_list(self) -> str:
        lines = [f"deb {self.debian} {SUITE} main", f"deb {self.debian} {SUITE}-updates main"]
        if self.security:
            lines.append(f"deb {self.security} {SUITE}-security main")
        return "\n".join(lines) + "\n"

    @property
    def hosts(self) -> tuple[str, ...]:
        """The only hosts the lab's apt proxy forwards to."""
        urls = [self.debian, *([self.security] if self.security else [])]
        return tuple(sorted({re.sub(r"^https?://([^/:]+).*$", r"\1", u) for u in urls}))


def _source_entries(etc: Path) -> list[tuple[str, list[str]]]:
    """(URI, suites) of every enabled `deb` entry, one-line and deb822 formats."""
    found: list[tuple[str, list[str]]] = []
    files = [etc / "sources.list", *sorted((etc / "sources.list.d").glob("*.list"))]
    for path in (p for p in files if p.is_file()):
        for line in path.read_text().splitlines():
            words = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
            if len(words) >= 3 and words[0] == "deb":
                found.append((words[1], [words[2]]))
    for path in sorted((etc / "sources.list.d").glob("*.sources")):
        for stanza in re.split(r"\n\s*\n", path.read_text()):
            fields = dict(
                (k.strip().lower(), v.strip())
                for k, _, v in (ln.partition(":") for ln in stanza.splitlines() if not ln.startswith("#"))
                if v
            )
            if "deb" in fields.get("types", "").split() and fields.get("enabled", "yes") != "no":
                found += [(uri, fields.get("suites", "").split()) for uri in fields.get("uris", "").split()]
    return found


def machine_mirror(etc: Path = Path("/etc/apt")) -> Mirror:
    """The Debian mirror this machine's apt is configured with (the only registry the lab may use)."""
    entries = [(u.rstrip("/"), s) for u, s in _source_entries(etc) if u.startswith("http")]
    debian = next((u for u, suites in entries if SUITE in suites), None)
    if debian is None:
        raise UsageError(f"no Debian {SUITE} mirror in {etc}/sources.list(.d)", hint="see docs/lab.md")
    security = next((u for u, suites in entries if f"{SUITE}-security" in suites), None)
    return Mirror(debian, security)


def _stamp(mirror: Mirror) -> dict[str, object]:
    return {
        "version": STAMP_VERSION,
        "suite": SUITE,
        "variant": "minbase",
        "mirror": mirror.debian,
        "packages": sorted(PACKAGES),
    }


def tree_path() -> Path:
    return CACHE / SUITE


def ensure_tree(mirror: Mirror, log: Path) -> tuple[Path, float]:
    """The cached tree, built first when it is missing or was built for something else; (path, seconds
    spent building, 0 when cached). The caller holds the lab lock."""
    tree, stamp_file = tree_path(), CACHE / f"{SUITE}.stamp.json"
    stamp = _stamp(mirror)
    if tree.is_dir() and stamp_file.is_file():
        recorded = json.loads(stamp_file.read_text())
        if {k: recorded.get(k) for k in stamp} == stamp:
            return tree, 0.0
    if shutil.which("debootstrap") is None:
        raise UsageError("the lab builds its tree with debootstrap", hint="apt-get install -y debootstrap")
    started = time.monotonic()
    building = CACHE / f"{SUITE}.building"
    shutil.rmtree(building, ignore_errors=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        done = subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(PACKAGES)}",
                SUITE,
                str(building),
                mirror.debian,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        raise BerthError(f"debootstrap failed ({done.returncode})", hint=f"its log: {log}")
    _trim(building, mirror)
    shutil.rmtree(tree, ignore_errors=True)
    building.rename(tree)
    stamp_file.write_text(json.dumps({**stamp, "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}))
    return tree, time.monotonic() - started


def _trim(tree: Path, mirror: Mirror) -> None:
    """Make the tree a template: no host keys (each host makes its own), no downloaded packages or lists
    (each host's apt starts fresh), the machine's Debian sources."""
    for key in (tree / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    for folder in (tree / "var/cache/apt/archives", tree / "var/lib/apt/lists"):
        for item in folder.glob("*"):
            if item.is_file():
                item.unlink()
    # apt (and Ansible's cache_valid_time) takes the lists dir's mtime as the last update: an emptied dir
    # would look fresh and no package would be found. The epoch says what is true: never updated.
    os.utime(tree / "var/lib/apt/lists", (0, 0))
    (tree / "etc/apt/sources.list").write_text(mirror.sources_list())
    for name in ("hostname", "resolv.conf"):
        (tree / "etc" / name).unlink(missing_ok=True)
