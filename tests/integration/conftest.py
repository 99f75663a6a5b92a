"""Fixtures for tests against the deployed devcloud (`berth cloud deploy --site aio`).

They skip, saying why, only when the devcloud's clouds.yaml is absent; a devcloud that exists but does not
answer fails the tests instead.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
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


def wait_for(what: str, probe: Callable[[], Any], timeout: float = 180, every: float = 1.0) -> Any:
    """The probe's first truthy value, polled every `every` seconds; AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def boot_server(admin: Any, owner: Any, unique: str, cleanup: list[Any], cidr: str) -> Any:
    """A server on the fake driver, built by `owner` (admin or a project-scoped connection), ACTIVE.

    Flavor and image are made by the admin; network, subnet and server by the owner; everything is handed
    to `cleanup` (the server first to go)."""
    flavor = admin.compute.create_flavor(name=unique, ram=1024, vcpus=2, disk=1, is_public=True)
    cleanup.append(lambda: admin.compute.delete_flavor(flavor, ignore_missing=True))
    image = admin.image.create_image(
        name=unique, data=b"\0" * 4096, disk_format="raw", container_format="bare", allow_duplicates=True
    )
    cleanup.append(lambda: admin.image.delete_image(image, ignore_missing=True))
    net = owner.network.create_network(name=unique)
    cleanup.append(lambda: admin.network.delete_network(net, ignore_missing=True))
    subnet = owner.network.create_subnet(network_id=net.id, ip_version=4, cidr=cidr, name=unique)
    cleanup.append(lambda: admin.network.delete_subnet(subnet, ignore_missing=True))
    wait_for("image active", lambda: admin.image.get_image(image.id).status == "active")
    server = owner.compute.create_server(
        name=unique, flavor_id=flavor.id, image_id=image.id, networks=[{"uuid": net.id}]
    )

    def delete_server() -> None:
        admin.compute.delete_server(server, ignore_missing=True)
        admin.compute.wait_for_delete(server, wait=120)

    cleanup.append(delete_server)
    return owner.compute.wait_for_server(server, status="ACTIVE", failures=["ERROR"], wait=180)
