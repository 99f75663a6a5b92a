"""Global options shared by every command, and where a site's files and state live."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Output = Literal["text", "json"]
Lang = Literal["vi", "en"]


def default_lang() -> Lang:
    """Vietnamese when the operator's locale says so (LANG=vi_VN.UTF-8), else English."""
    for var in ("BERTH_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "vi" if value.lower().startswith("vi") else "en"
    return "en"


def project_root() -> Path:
    """The berth checkout: BERTH_ROOT, else the nearest parent of the cwd holding inventory/."""
    env = os.environ.get("BERTH_ROOT")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / "inventory").is_dir():
            return candidate
    return here


@dataclass
class Options:
    site: str = "aio"
    output: Output = "text"
    lang: Lang = "en"
    debug: bool = False
    cloud: str | None = None  # clouds.yaml cloud name; default: OS_CLOUD, else the site's written admin cloud

    @property
    def root(self) -> Path:
        return project_root()

    @property
    def site_dir(self) -> Path:
        return self.root / "inventory" / self.site

    @property
    def cloud_yml(self) -> Path:
        return self.site_dir / "cloud.yml"

    @property
    def state_dir(self) -> Path:
        """Per-site state: IPAM ledger, audit log, plans, Pulumi backend, lock, ansible artifacts, clouds.yaml."""
        base = os.environ.get("BERTH_STATE_DIR")
        return Path(base) / self.site if base else self.root / ".berth" / self.site

    @property
    def manifests_dir(self) -> Path:
        return self.root / "manifests"


OPTIONS = Options()
