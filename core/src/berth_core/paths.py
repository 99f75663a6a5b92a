"""Where a berth checkout and a site's state are, and which language to speak, from the environment.

Shared by every front door (`berth`, `berth-exporter`), so they find the same files and answer in the
same language: BERTH_ROOT, else the nearest parent of the working directory holding inventory/;
BERTH_STATE_DIR/<site>, else <root>/.berth/<site>; BERTH_LANG, then the locale's variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

Lang = Literal["vi", "en"]
_LANG_VARIABLES = ("BERTH_LANG", "LC_ALL", "LC_MESSAGES", "LANG")


def default_lang(environ: Mapping[str, str]) -> Lang:
    """Vietnamese when the operator's locale says so (LANG=vi_VN.UTF-8), else English."""
    for var in _LANG_VARIABLES:
        value = environ.get(var, "")
        if value:
            return "vi" if value.lower().startswith("vi") else "en"
    return "en"


def project_root(environ: Mapping[str, str], cwd: Path) -> Path:
    """The berth checkout: BERTH_ROOT, else the nearest parent of `cwd` holding inventory/."""
    if environ.get("BERTH_ROOT"):
        return Path(environ["BERTH_ROOT"]).resolve()
    here = cwd.resolve()
    return next((c for c in (here, *here.parents) if (c / "inventory").is_dir()), here)


def site_state_dir(root: Path, site: str, environ: Mapping[str, str]) -> Path:
    """Per-site state: IPAM ledger, audit log, plans, Pulumi backend, lock, artifacts, clouds.yaml."""
    base = environ.get("BERTH_STATE_DIR")
    return Path(base) / site if base else root / ".berth" / site
