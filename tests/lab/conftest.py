"""Fixtures for the lab tests: `berth lab` in-process, on the sites lab and labone of this checkout.

They need root, debootstrap (the tree is built once and cached under /var/cache/berth/lab), util-linux's
unshare and nsenter, iproute2 and ssh-keygen, and are skipped, saying so, without them. They own the lab
sites: when a lab of that site is already running they skip rather than replace it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from berth_cli.main import main

REPO = Path(__file__).resolve().parents[2]


def missing_requirements() -> str | None:
    if os.geteuid() != 0:
        return "lab hosts need root (namespaces, mounts, a bridge)"
    for tool, package in (
        ("debootstrap", "debootstrap"),
        ("unshare", "util-linux"),
        ("nsenter", "util-linux"),
        ("ip", "iproute2"),
        ("ssh-keygen", "openssh-client"),
        ("ssh", "openssh-client"),
    ):
        if shutil.which(tool) is None:
            return f"lab hosts need {tool}: apt-get install -y {package}"
    return None


@dataclass
class Lab:
    site: str
    capsys: pytest.CaptureFixture[str]

    def berth(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["--site", self.site, *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *args: str) -> tuple[int, dict[str, Any]]:
        code, out, err = self.berth("--output", "json", *args)
        assert out.strip(), err
        return code, json.loads(out)

    @property
    def site_dir(self) -> Path:
        return REPO / "inventory" / self.site

    def ssh(self, address: str, command: str) -> subprocess.CompletedProcess[str]:
        """The system's ssh client, strict host keys against the site's known_hosts only."""
        key = REPO / ".berth" / self.site / "lab" / "id_ed25519"
        return subprocess.run(
            [
                "ssh",
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                f"UserKnownHostsFile={self.site_dir / 'known_hosts'}",
                "-i",
                str(key),
                f"root@{address}",
                command,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


def lab_fixture(site: str, capsys: pytest.CaptureFixture[str]) -> Iterator[Lab]:
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)
    lab = Lab(site, capsys)
    _, doc = lab.json("lab", "status")
    if any(h["namespaces"] for h in doc["hosts"]):
        pytest.skip(f"a lab of site {site} is already running: berth lab down --site {site} first")
    try:
        yield lab
    finally:
        lab.berth("lab", "down")


def mount_lines(marker: str) -> list[str]:
    """Mounts naming `marker` in any process's mount namespace on this machine."""
    found = []
    for info in Path("/proc").glob("[0-9]*/mountinfo"):
        try:
            found += [line for line in info.read_text().splitlines() if marker in line]
        except OSError:
            continue
    return found


def processes_in(net_inode: int) -> list[int]:
    pids = []
    for ns in Path("/proc").glob("[0-9]*/ns/net"):
        try:
            if ns.stat().st_ino == net_inode:
                pids.append(int(ns.parent.parent.name))
        except OSError:
            continue
    return pids
