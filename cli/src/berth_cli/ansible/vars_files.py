"""A site's Ansible variable files read as Ansible reads them, without running Ansible.

`vars_files` finds a group's or host's files in Ansible's order (DataLoader.find_vars_files: `<name>` itself,
else `<name>.yml`, `.yaml`, `.json`; a folder is read whole, sorted, recursively, skipping hidden files and
`~` backups, and taking only the first of those that exists); `load_vars_file` is safe YAML that keeps Ansible's `!vault` and `!unsafe` values opaque; and
`site_vars` is the one reader of a site's plain settings (group `all`), for the commands that need them
before Ansible runs (deploy, TLS). Nothing here renders Jinja: a templated value stays its text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from berth_core.errors import Location, UsageError

# Ansible's C.YAML_FILENAME_EXTENSIONS, tried after the bare name (a folder `all/` beats a file `all.yml`)
EXTENSIONS = (".yml", ".yaml", ".json")


class VarsLoader(yaml.SafeLoader):
    """Safe YAML that tolerates Ansible's `!vault` and `!unsafe` tags as plain opaque values."""


def _opaque(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return "<vault>" if node.tag == "!vault" else str(loader.construct_scalar(node))  # type: ignore[arg-type]


VarsLoader.add_constructor("!vault", _opaque)
VarsLoader.add_constructor("!unsafe", _opaque)


def load_vars_file(path: Path) -> Any:
    """The file's YAML (or JSON); invalid YAML is a UsageError located at the problem."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=VarsLoader)  # noqa: S506 (safe subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        loc = Location(str(path), mark.line + 1 if mark else 0, mark.column + 1 if mark else 0)
        raise UsageError(f"invalid YAML: {getattr(exc, 'problem', exc)}", location=loc) from exc


def _folder_files(folder: Path) -> list[Path]:
    found: list[Path] = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.startswith(".") or entry.name.endswith("~"):
            continue
        if entry.is_dir() and not entry.suffix:
            found += _folder_files(entry)
        elif entry.is_file() and (not entry.suffix or entry.suffix in EXTENSIONS):
            found.append(entry)
    return found


def vars_files(base: Path, name: str) -> list[Path]:
    """The variable files of group or host `name` under `base` (group_vars/ or host_vars/), in load order."""
    for ext in ("", *EXTENSIONS):
        candidate = base / f"{name}{ext}"
        if candidate.is_dir():
            return _folder_files(candidate)
        if candidate.is_file():
            return [candidate]
    return []


@dataclass(frozen=True)
class SiteVars:
    """The site's group `all` settings, and the file each one was last set in (for located errors)."""

    values: Mapping[str, Any] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def __contains__(self, name: object) -> bool:
        return name in self.values

    def location(self, name: str) -> Location:
        return Location(self.sources.get(name, ""), field=name)


def site_vars(site_dir: Path) -> SiteVars:
    """Group `all`'s vars as Ansible layers them: the inventory file's `all: vars:`, then every file of
    group_vars/all (or group_vars/all.yml) in order, later files winning."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    layers: list[tuple[Path, Any]] = []
    hosts = next((site_dir / n for n in ("hosts.yml", "hosts.yaml") if (site_dir / n).is_file()), None)
    if hosts is not None:
        data = load_vars_file(hosts)
        group = data.get("all") if isinstance(data, dict) else None
        layers.append((hosts, group.get("vars") if isinstance(group, dict) else None))
    layers += [(path, load_vars_file(path)) for path in vars_files(site_dir / "group_vars", "all")]
    for path, data in layers:
        if data is None:
            continue
        if not isinstance(data, dict):
            raise UsageError(
                "variables must be a mapping of names to values", location=Location(str(path), 1)
            )
        values.update({str(k): v for k, v in data.items()})
        sources.update({str(k): str(path) for k in data})
    return SiteVars(values, sources)
