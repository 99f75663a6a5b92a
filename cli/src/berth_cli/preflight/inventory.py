"""Read a site's Ansible YAML inventory (hosts.yml, group_vars/, host_vars/) without running Ansible.

Only what preflight needs: hosts, their groups, their connection variables and each group's own
`berth_preflight` settings. Vault-encrypted values are kept opaque (preflight never needs a secret); the
files are found and read as Ansible does by berth_cli.ansible.vars_files.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from berth_cli.ansible.vars_files import load_vars_file, vars_files
from berth_core.errors import Location, UsageError
from berth_core.preflight import SETTINGS_VAR, Requirements, combine, group_requirements

DEFAULT_KEYS = ("~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa")


@dataclass(frozen=True)
class InventoryHost:
    name: str
    groups: tuple[str, ...]
    vars: Mapping[str, Any]
    root: Path  # relative key paths are taken from the checkout root, as operators run berth there

    @property
    def connection(self) -> str:
        return str(self.vars.get("ansible_connection", "ssh"))

    @property
    def address(self) -> str:
        return str(self.vars.get("ansible_host", self.name))

    @property
    def port(self) -> int:
        return int(self.vars.get("ansible_port", 22))

    @property
    def user(self) -> str:
        return str(self.vars.get("ansible_user", "root"))

    @property
    def key_file(self) -> Path:
        configured = self.vars.get("ansible_ssh_private_key_file") or self.vars.get(
            "ansible_private_key_file"
        )
        if configured:
            path = Path(str(configured)).expanduser()
            return path if path.is_absolute() else self.root / path
        candidates = [Path(p).expanduser() for p in DEFAULT_KEYS]
        return next((p for p in candidates if p.is_file()), candidates[0])

    @property
    def become(self) -> bool:
        return str(self.vars.get("ansible_become", False)).lower() in ("true", "yes", "1", "on")

    @property
    def ip(self) -> str | None:
        """The inventory address when it is an IP literal (what the others should resolve this name to)."""
        try:
            return str(ipaddress.ip_address(self.address))
        except ValueError:
            return None


@dataclass
class Inventory:
    site_dir: Path
    hosts: dict[str, InventoryHost] = field(default_factory=dict)
    groups: dict[str, set[str]] = field(default_factory=dict)  # group -> host names (children included)
    settings: dict[str, tuple[Path, dict[str, Any]]] = field(
        default_factory=dict
    )  # group -> its berth_preflight
    host_settings: dict[str, tuple[Path, dict[str, Any]]] = field(default_factory=dict)

    @property
    def known_hosts(self) -> Path:
        return self.site_dir / "known_hosts"

    def select(self, limit: str | None) -> list[InventoryHost]:
        """Hosts matching `--limit` (comma-separated host names, group names or shell patterns), or all."""
        if not limit:
            return list(self.hosts.values())
        chosen: set[str] = set()
        for pattern in (p.strip() for p in limit.split(",") if p.strip()):
            matched = {h for h in self.hosts if fnmatch.fnmatchcase(h, pattern)}
            for group, members in self.groups.items():
                if fnmatch.fnmatchcase(group, pattern):
                    matched |= members
            if not matched:
                raise UsageError(
                    f"--limit {pattern!r} matches no host or group of inventory/{self.site_dir.name}",
                    hint="Host and group names: " + ", ".join(sorted(self.hosts)),
                )
            chosen |= matched
        return [h for name, h in self.hosts.items() if name in chosen]

    def requirements(self, host: InventoryHost) -> Requirements:
        """Per group: its defaults, then group_vars/all, then its own preflight.yml; the strictest across the
        host's groups; host_vars last."""
        all_path, all_settings = self.settings.get("all", (self.site_dir, {}))
        per_group = []
        for group in host.groups or ("all",):
            path, own = self.settings.get(group, (all_path, {}))
            merged = {**all_settings, **own}
            per_group.append(_validated(path, lambda g=group, o=merged: group_requirements(g, o)))
        req = combine(per_group)
        if host.name in self.host_settings:
            path, overrides = self.host_settings[host.name]
            data = req.model_dump(by_alias=True) | overrides
            req = _validated(path, lambda: Requirements.model_validate(data))
        return req

    def others(self, host: InventoryHost) -> dict[str, str | None]:
        """The other hosts this one must resolve by name (local-connection hosts are this machine itself)."""
        return {h.name: h.ip for h in self.hosts.values() if h.name != host.name and h.connection != "local"}


def _validated(path: Path, build: Any) -> Requirements:
    try:
        result: Requirements = build()
    except ValidationError as exc:
        first = exc.errors()[0]
        fld = ".".join(str(p) for p in (SETTINGS_VAR, *first["loc"]))
        raise UsageError(
            f"{first['msg']}",
            location=Location(str(path), field=fld),
            hint="See docs/preflight.md for the settings preflight.yml accepts.",
        ) from exc
    return result


_RANGE = re.compile(r"^(.*?)\[([0-9a-z]+):([0-9a-z]+)(?::(\d+))?\](.*)$")


def expand_hosts(pattern: str) -> list[str]:
    """Ansible's host ranges: `hp-cmp[01:28]` -> hp-cmp01..hp-cmp28 (zero padding kept), `n[a:c]` -> na..nc."""
    match = _RANGE.match(pattern)
    if not match:
        return [pattern]
    head, first, last, step, tail = match.groups()
    stride = int(step or 1)
    if first.isdigit() and last.isdigit():
        width = len(first) if first.startswith("0") else 0
        items = [str(i).zfill(width) for i in range(int(first), int(last) + 1, stride)]
    else:
        items = [chr(c) for c in range(ord(first), ord(last) + 1, stride)]
    return [name for item in items for name in expand_hosts(f"{head}{item}{tail}")]


@dataclass
class _Tree:
    """The inventory file's structure: each group's own vars, direct hosts and child groups."""

    source: Path
    group_vars: dict[str, dict[str, Any]] = field(default_factory=dict)
    host_vars: dict[str, dict[str, Any]] = field(default_factory=dict)
    direct: dict[str, set[str]] = field(default_factory=lambda: {"all": set()})
    children: dict[str, set[str]] = field(default_factory=dict)

    def walk(self, group: str, body: Any) -> None:
        body = body or {}
        if not isinstance(body, dict):
            raise UsageError(
                f"group {group!r} must be a mapping", location=Location(str(self.source), field=group)
            )
        self.group_vars.setdefault(group, {}).update(body.get("vars") or {})
        self.direct.setdefault(group, set())
        self.children.setdefault(group, set())
        for pattern, hvars in (body.get("hosts") or {}).items():
            for name in expand_hosts(str(pattern)):
                self.host_vars.setdefault(name, {}).update(hvars or {})
                self.direct[group].add(name)
        for child, child_body in (body.get("children") or {}).items():
            self.children[group].add(str(child))
            self.walk(str(child), child_body)

    def members(self, group: str, seen: frozenset[str] = frozenset()) -> set[str]:
        found = set(self.direct.get(group, set()))
        for child in self.children.get(group, set()) - seen:
            found |= self.members(child, seen | {group})
        return found

    def depth(self, group: str) -> int:
        """Ansible applies parent groups' vars before their children's."""
        parents = [g for g, kids in self.children.items() if group in kids]
        return 0 if not parents else 1 + max(self.depth(p) for p in parents)


def _with_files(own: dict[str, Any], folder: Path, name: str, source: Path) -> tuple[dict[str, Any], Path]:
    """Vars from the inventory file plus group_vars/ or host_vars/ files; where berth_preflight came from."""
    merged = dict(own)
    for path in vars_files(folder, name):
        loaded = load_vars_file(path) or {}
        merged.update(loaded)
        if SETTINGS_VAR in loaded:
            source = path
    return merged, source


def load_inventory(site_dir: Path, root: Path) -> Inventory:
    hosts_file = next((site_dir / n for n in ("hosts.yml", "hosts.yaml") if (site_dir / n).is_file()), None)
    if hosts_file is None:
        raise UsageError(
            f"no inventory: {site_dir}/hosts.yml does not exist",
            hint="Each site needs an Ansible YAML inventory next to its cloud.yml.",
        )
    data = load_vars_file(hosts_file) or {}
    if not isinstance(data, dict):
        raise UsageError("an inventory is a mapping of groups", location=Location(str(hosts_file), 1))
    tree = _Tree(hosts_file)
    for group, body in data.items():
        tree.walk(str(group), body)
        if group != "all":
            tree.children.setdefault("all", set()).add(str(group))
    inv = Inventory(site_dir=site_dir, groups={g: tree.members(g) for g in tree.direct})
    group_vars: dict[str, dict[str, Any]] = {}
    for group in inv.groups:
        own, source = _with_files(tree.group_vars.get(group, {}), site_dir / "group_vars", group, hosts_file)
        group_vars[group] = own
        if SETTINGS_VAR in own:
            inv.settings[group] = (source, dict(own[SETTINGS_VAR] or {}))
    order = sorted(inv.groups, key=lambda g: (tree.depth(g), g))
    for name in sorted(tree.host_vars, key=_natural):
        groups = [g for g in order if name in inv.groups[g]]
        merged: dict[str, Any] = {}
        for group in groups:
            merged.update({k: v for k, v in group_vars[group].items() if k != SETTINGS_VAR})
        own_host, source = _with_files(tree.host_vars[name], site_dir / "host_vars", name, hosts_file)
        if SETTINGS_VAR in own_host:
            inv.host_settings[name] = (source, dict(own_host.pop(SETTINGS_VAR) or {}))
        merged.update(own_host)
        kept = tuple(g for g in groups if g not in ("all", "ungrouped"))
        inv.hosts[name] = InventoryHost(name, kept, merged, root)
    return inv


def _natural(name: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]
