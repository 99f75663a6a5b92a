"""berth.cloud's plugin files loaded as plain Python modules, for tests that call their pure functions
(a module file is a script Ansible ships to a host, not an importable package member)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

PLUGINS = (
    Path(__file__).resolve().parents[2] / "playbooks/collections/ansible_collections/berth/cloud/plugins"
)


def load_plugin(relative: str) -> ModuleType:
    """`relative` under plugins/, e.g. "modules/haproxy_status.py"."""
    path = PLUGINS / relative
    spec = importlib.util.spec_from_file_location(f"berth_plugin_{path.parent.name}_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
