"""The package index this machine's pip uses, which the lab's proxy mirrors for its hosts (aptproxy.py).

pip reads PIP_INDEX_URL, else `index-url` from its configuration files (global, then user, then
PIP_CONFIG_FILE; a later file wins, `[install]` over `[global]`), else PyPI. Only an https index can be
mirrored: `file://` indexes (this machine's own directories) are out of the hosts' reach, and a plain-HTTP
one is refused rather than passed on unverified. PyPI serves its files from files.pythonhosted.org.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PYPI = "https://pypi.org/simple"
PYPI_FILES = "files.pythonhosted.org"


@dataclass(frozen=True)
class PackageIndex:
    url: str  # https://pypi.org/simple
    file_hosts: tuple[str, ...]  # where its project pages link the files

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every host the mirror may reach: the index's and its file hosts."""
        return (str(urlsplit(self.url).hostname), *self.file_hosts)


def config_files(env: Mapping[str, str], home: Path) -> list[Path]:
    """pip's configuration files in the order it reads them (a later one wins)."""
    xdg = env.get("XDG_CONFIG_DIRS", "/etc/xdg").split(":")
    files = [Path(d) / "pip" / "pip.conf" for d in reversed(xdg) if d] + [Path("/etc/pip.conf")]
    files += [
        home / ".pip" / "pip.conf",
        Path(env.get("XDG_CONFIG_HOME", home / ".config")) / "pip" / "pip.conf",
    ]
    if env.get("PIP_CONFIG_FILE"):
        files.append(Path(env["PIP_CONFIG_FILE"]))
    return files


def configured_index(env: Mapping[str, str], files: list[Path]) -> str | None:
    if env.get("PIP_INDEX_URL"):
        return env["PIP_INDEX_URL"]
    found = None
    for path in files:
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (OSError, configparser.Error):
            continue
        for section in ("global", "install"):
            if parser.has_option(section, "index-url"):
                found = parser.get(section, "index-url").strip()
    return found


def machine_index(
    env: Mapping[str, str] | None = None, files: list[Path] | None = None
) -> PackageIndex | None:
    """The index the lab mirrors, or None when this machine's pip uses one that cannot be mirrored."""
    env = os.environ if env is None else env
    files = config_files(env, Path.home()) if files is None else files
    url = configured_index(env, files) or PYPI
    parts = urlsplit(url.rstrip("/"))
    if parts.scheme != "https" or not parts.hostname:
        return None
    url = parts.geturl()
    return PackageIndex(url, (PYPI_FILES,) if parts.hostname == "pypi.org" else (parts.netloc,))
