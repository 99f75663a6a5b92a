"""Fixtures for tests against the deployed devcloud (`berth cloud deploy --site aio`).

They skip, saying why, only when the devcloud's clouds.yaml is absent; a devcloud that exists but does not
answer fails the tests instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def state_dir() -> Path:
    base = os.environ.get("BERTH_STATE_DIR")
    return Path(base) / "aio" if base else ROOT / ".berth" / "aio"


CLOUDS_YAML = state_dir() / "clouds.yaml"


@pytest.fixture(scope="session")
def clouds_yaml() -> Path:
    if not CLOUDS_YAML.is_file():
        pytest.skip(f"no devcloud: {CLOUDS_YAML} is absent (run `uv run berth cloud deploy --site aio`)")
    return CLOUDS_YAML


@pytest.fixture(scope="session")
def conn(clouds_yaml: Path) -> Any:
    import openstack.config
    import openstack.connection

    region = openstack.config.OpenStackConfig(config_files=[str(clouds_yaml)]).get_one(cloud="aio-admin")
    return openstack.connection.Connection(config=region)


@pytest.fixture(scope="session")
def site_hosts() -> list[dict[str, Any]]:
    data = yaml.safe_load((ROOT / "inventory" / "aio" / "cloud.yml").read_text(encoding="utf-8"))
    return list(data["spec"]["hosts"])


@pytest.fixture
def unique() -> str:
    return f"berth-it-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def cleanup() -> Iterator[list[Any]]:
    """Callables run in reverse order after the test, even when it fails."""
    actions: list[Any] = []
    yield actions
    errors = []
    for action in reversed(actions):
        try:
            action()
        except Exception as exc:
            errors.append(exc)
    assert not errors, f"cleanup failed: {errors}"
