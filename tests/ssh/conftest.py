"""Fixtures for tests against real sshd hosts in network namespaces (tests/support/netns_sshd.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from berth_cli.main import main
from tests.support.netns_sshd import SshLab, missing_requirements

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def ssh_lab() -> Iterator[SshLab]:
    """Three hosts for the whole session: two good ones and one whose sshd a test may SIGSTOP."""
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)
    with SshLab(["good1", "good2", "hung"]) as lab:
        yield lab


# Requirements this machine meets (2 CPUs, no vmx, a clock the VM's host keeps): the failure tests then
# change exactly one thing. Time sync is a warning: CI machines often have no NTP client of their own.
MACHINE_REQUIREMENTS: dict[str, Any] = {
    "minCpus": 1,
    "minRamMiB": 512,
    "disks": {"/": 1, "/var/lib": 1},
    "requireVirt": False,
    "timeSync": "warn",
}


@dataclass
class LabSite:
    """A throwaway site under tmp_path/inventory/t, pointed at lab hosts; runs berth in-process."""

    root: Path
    lab: SshLab
    capsys: pytest.CaptureFixture[str]
    groups: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    requirements: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def dir(self) -> Path:
        return self.root / "inventory" / "t"

    @property
    def known_hosts(self) -> Path:
        return self.dir / "known_hosts"

    def write(self, known_hosts: str | None = None) -> LabSite:
        """hosts.yml, group_vars/<group>/preflight.yml and (by default) a known_hosts trusting every lab host."""
        self.dir.mkdir(parents=True, exist_ok=True)
        inventory = {"all": {"children": {g: {"hosts": hosts} for g, hosts in self.groups.items()}}}
        (self.dir / "hosts.yml").write_text(yaml.safe_dump(inventory, sort_keys=False))
        for group in self.groups:
            settings = {**MACHINE_REQUIREMENTS, **self.requirements.get(group, {})}
            folder = self.dir / "group_vars" / group
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "preflight.yml").write_text(yaml.safe_dump({"berth_preflight": settings}))
        text = self.lab.known_hosts.read_text() if known_hosts is None else known_hosts
        self.known_hosts.write_text(text)
        return self

    def berth(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["--site", "t", *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def check_json(self, *args: str) -> tuple[int, dict[str, Any]]:
        code, out, err = self.berth("hosts", "check", "--output", "json", *args)
        assert out.strip(), err
        return code, json.loads(out)


@pytest.fixture
def test_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ssh_lab: SshLab, capsys: pytest.CaptureFixture[str]
) -> LabSite:
    monkeypatch.setenv("BERTH_ROOT", str(tmp_path))
    monkeypatch.setenv("BERTH_STATE_DIR", str(tmp_path / ".berth"))
    return LabSite(tmp_path, ssh_lab, capsys)


def results_by_host(doc: dict[str, Any]) -> dict[str, dict[str, dict[str, str]]]:
    """{host: {check: result}} from `berth hosts check --output json`."""
    return {h["host"]: {r["check"]: r for r in h["results"]} for h in doc["hosts"]}
