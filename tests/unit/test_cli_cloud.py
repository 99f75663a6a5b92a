"""`berth cloud ...` without a cloud: generated secrets, clouds.yaml, and clear errors with exit codes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from berth_cli.ansible.secrets_file import (
    CEPHX_KEYS,
    SECRET_KEYS,
    ensure_secrets,
    load_secrets,
    secrets_path,
    write_clouds_yaml,
)
from berth_cli.main import main
from berth_core.cephx import is_cephx_key
from berth_core.errors import BerthError

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secrets_are_generated_private_and_stable(tmp_path: Path) -> None:
    path = ensure_secrets(tmp_path)
    assert path == secrets_path(tmp_path)
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    first = load_secrets(tmp_path)
    assert set(first) == set(SECRET_KEYS) | set(CEPHX_KEYS)
    assert all(is_cephx_key(first[key]) for key in CEPHX_KEYS)
    assert len(set(first.values())) == len(first), "every password is distinct"
    assert all(len(v) >= 32 for v in first.values())
    ensure_secrets(tmp_path)
    assert load_secrets(tmp_path) == first, "re-deploys keep the passwords"


def test_missing_secrets_are_added_and_existing_kept(tmp_path: Path) -> None:
    path = secrets_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump({"keystone_admin_password": "kept-as-is"}))
    path.chmod(0o644)
    ensure_secrets(tmp_path)
    data = load_secrets(tmp_path)
    assert data["keystone_admin_password"] == "kept-as-is"
    assert set(data) == set(SECRET_KEYS) | set(CEPHX_KEYS)
    assert mode(path) == 0o600


def test_broken_secrets_file_is_a_clear_error(tmp_path: Path) -> None:
    path = secrets_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("a: [unclosed")
    with pytest.raises(BerthError, match="not valid YAML"):
        ensure_secrets(tmp_path)


def test_clouds_yaml_is_private_and_names_admin_clouds(tmp_path: Path) -> None:
    ensure_secrets(tmp_path)
    path = write_clouds_yaml(tmp_path, site="aio", auth_url="http://127.0.0.1:5000/v3", region="RegionOne")
    assert mode(path) == 0o600
    clouds = yaml.safe_load(path.read_text())["clouds"]
    assert set(clouds) == {"aio-admin", "aio-system"}
    admin = clouds["aio-admin"]
    assert admin["auth"]["password"] == load_secrets(tmp_path)["keystone_admin_password"]
    assert admin["auth"]["project_name"] == "admin"
    assert clouds["aio-system"]["auth"]["system_scope"] == "all"
    assert admin["region_name"] == "RegionOne"


def test_clouds_yaml_carries_the_ca_of_an_https_site(tmp_path: Path) -> None:
    import openstack.config

    ensure_secrets(tmp_path)
    ca = tmp_path / "pki" / "ca.crt"
    plain = yaml.safe_load(
        write_clouds_yaml(tmp_path, site="x", auth_url="http://127.0.0.1:5000/v3", region="R").read_text()
    )
    assert all("cacert" not in cloud for cloud in plain["clouds"].values()), "plain sites: as before"
    path = write_clouds_yaml(tmp_path, site="x", auth_url="https://10.0.0.1:5000/v3", region="R", cacert=ca)
    for name in ("x-admin", "x-system"):
        cloud = yaml.safe_load(path.read_text())["clouds"][name]
        assert cloud["cacert"] == str(ca) and cloud["auth"]["auth_url"] == "https://10.0.0.1:5000/v3"
        # openstacksdk itself verifies TLS with that file, not with the default trust
        region = openstack.config.OpenStackConfig(config_files=[str(path)]).get_one(name)
        assert region.get_requests_verify_args() == (str(ca), None)


def test_clouds_yaml_needs_the_admin_password(tmp_path: Path) -> None:
    with pytest.raises(BerthError, match="no admin password"):
        write_clouds_yaml(tmp_path, site="aio", auth_url="http://x/v3", region="RegionOne")


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BERTH_ROOT", str(ROOT))
    monkeypatch.setenv("BERTH_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("OS_CLOUD", raising=False)
    monkeypatch.delenv("OS_CLIENT_CONFIG_FILE", raising=False)
    return tmp_path


def test_deploy_of_unknown_site_is_a_usage_error(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cloud", "deploy", "--site", "nowhere", "--skip-preflight"]) == 2
    assert "no inventory for site 'nowhere'" in capsys.readouterr().err


def test_deploy_rejects_bad_tags_and_limits_before_running(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cloud", "deploy", "--site", "aio", "--skip-preflight", "--tags", "a;b"]) == 2
    assert "invalid tag" in capsys.readouterr().err
    assert main(["cloud", "deploy", "--site", "aio", "--skip-preflight", "--limit", "aio;reboot"]) == 2
    assert "invalid --limit" in capsys.readouterr().err
    assert not (isolated / "aio" / "ansible").exists(), "nothing ran"


def test_status_without_clouds_yaml_says_to_deploy(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cloud", "status", "--site", "aio"]) == 5  # as every command that needs a cloud
    err = capsys.readouterr().err
    assert "no cloud selected" in err and "clouds.yaml" in err
    assert "berth cloud deploy" in err


def test_status_with_unknown_cloud_name(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ensure_secrets(isolated / "aio")
    write_clouds_yaml(isolated / "aio", site="aio", auth_url="http://127.0.0.1:9/v3", region="RegionOne")
    assert main(["cloud", "status", "--site", "aio", "--cloud", "nope"]) == 5
    assert "'nope' is not usable" in capsys.readouterr().err


def test_status_of_a_cloud_that_does_not_answer_is_an_openstack_error(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ensure_secrets(isolated / "aio")
    # port 9 (discard) on loopback: nothing listens, the connection is refused at once
    write_clouds_yaml(isolated / "aio", site="aio", auth_url="http://127.0.0.1:9/v3", region="RegionOne")
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    # a real process: under pytest the root logger has handlers, so a library's raw warning would not show
    done = subprocess.run(
        [sys.executable, "-m", "berth_cli.main", "cloud", "status", "--site", "aio"],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 5
    assert done.stderr.splitlines() == [
        "Error: aio: identity service of cloud 'aio-admin' is not reachable (tried 4 times)",
        "Hint: deploy it: berth cloud deploy --site aio",
    ], "exactly berth's error and hint: no keystoneauth warning, no traceback"


def test_deploy_while_the_site_is_locked_fails_fast_naming_the_holder(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from berth_cli.state.lock import site_lock

    with site_lock(isolated / "aio", "berth apply (test)"):
        assert main(["cloud", "deploy", "--site", "aio", "--skip-preflight"]) == 8
    assert "berth apply (test)" in capsys.readouterr().err
    assert not (isolated / "aio" / "ansible").exists(), "nothing ran"
