"""Fixtures for tests against the deployed devcloud (`berth cloud deploy --site aio`).

They skip, saying why, only when the devcloud's clouds.yaml is absent; a devcloud that exists but does not
answer fails the tests instead.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from berth_cli.main import main

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


def image_and_network(admin: Any, owner: Any, unique: str, cleanup: list[Any], cidr: str) -> tuple[Any, Any]:
    """A tiny image (made by the admin, active) and a network with a subnet (made by `owner`), both handed
    to `cleanup`: what a server on the fake driver needs besides its flavor."""
    image = admin.image.create_image(
        name=unique, data=b"\0" * 4096, disk_format="raw", container_format="bare", allow_duplicates=True
    )
    cleanup.append(lambda: admin.image.delete_image(image, ignore_missing=True))
    net = owner.network.create_network(name=unique)
    cleanup.append(lambda: admin.network.delete_network(net, ignore_missing=True))
    subnet = owner.network.create_subnet(network_id=net.id, ip_version=4, cidr=cidr, name=unique)
    cleanup.append(lambda: admin.network.delete_subnet(subnet, ignore_missing=True))
    wait_for("image active", lambda: admin.image.get_image(image.id).status == "active")
    return image, net


def boot_server(admin: Any, owner: Any, unique: str, cleanup: list[Any], cidr: str) -> Any:
    """A server on the fake driver, built by `owner` (admin or a project-scoped connection), ACTIVE.

    Flavor and image are made by the admin; network, subnet and server by the owner; everything is handed
    to `cleanup` (the server first to go)."""
    flavor = admin.compute.create_flavor(name=unique, ram=1024, vcpus=2, disk=1, is_public=True)
    cleanup.append(lambda: admin.compute.delete_flavor(flavor, ignore_missing=True))
    image, net = image_and_network(admin, owner, unique, cleanup, cidr)
    server = owner.compute.create_server(
        name=unique, flavor_id=flavor.id, image_id=image.id, networks=[{"uuid": net.id}]
    )

    def delete_server() -> None:
        admin.compute.delete_server(server, ignore_missing=True)
        admin.compute.wait_for_delete(server, wait=120)

    cleanup.append(delete_server)
    return owner.compute.wait_for_server(server, status="ACTIVE", failures=["ERROR"], wait=180)


# An isolated berth root for CLI tests: a copy of the aio site, its own manifests and state directory.
MANIFEST = """\
apiVersion: berth/v1
kind: Tenant
metadata:
  name: {slug}
  displayName: Phòng thử nghiệm {n} (kiểm thử tích hợp)
  agency: ITEST
  contact: {{name: Kiểm Thử, email: test@berth.invalid}}
  ticket: IT-{n}
spec:
  quota: {{class: default{overrides}}}
  networks:
    - {{name: app, prefixLength: 28}}
  router: {{external: false}}
  securityGroups:
    - name: web
      rules:
        - {{direction: ingress, protocol: tcp, ports: "443", remote: 10.64.0.0/12}}
"""


class Berth:
    """Runs the CLI in-process in an isolated berth root; returns (exit code, stdout, stderr)."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root = root
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["--site", "aio", *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def manifest(self, slug: str, n: int, overrides: str = "") -> Path:
        path = self.root / "manifests" / f"{slug}.yaml"
        text = MANIFEST.format(slug=slug, n=n, overrides=f", overrides: {{{overrides}}}" if overrides else "")
        path.write_text(text, encoding="utf-8")
        return path

    def plan_json(self, *args: str) -> dict[str, Any]:
        code, out, err = self("plan", "-o", "json", *args)
        assert code == 0, err
        return json.loads(out)


@pytest.fixture
def berth(
    clouds_yaml: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Berth]:
    root = tmp_path / "root"
    (root / "inventory" / "aio").mkdir(parents=True)
    shutil.copy(ROOT / "inventory" / "aio" / "cloud.yml", root / "inventory" / "aio" / "cloud.yml")
    (root / "manifests").mkdir()
    state = tmp_path / "state"
    (state / "aio").mkdir(parents=True)
    shutil.copy(clouds_yaml, state / "aio" / "clouds.yaml")
    monkeypatch.setenv("BERTH_ROOT", str(root))
    monkeypatch.setenv("BERTH_STATE_DIR", str(state))
    monkeypatch.delenv("OS_CLOUD", raising=False)
    tool = Berth(root, capsys)
    yield tool
    # destroy whatever tenant manifests this test left, so the devcloud is as it was
    for path in sorted((root / "manifests").glob("*.yaml")):
        tool(
            "tenant",
            "destroy",
            path.stem,
            "--yes",
            "--reason",
            "integration test cleanup",
            "--delete-project",
        )


@pytest.fixture
def slug() -> str:
    return f"berth-it-{uuid.uuid4().hex[:8]}"
