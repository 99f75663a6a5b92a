"""berth_cloud.connect names the clouds.yaml openstacksdk really read, against a keystone stand-in on loopback
that refuses every token (issue 15, item 5: OS_CLIENT_CONFIG_FILE used to be hidden behind the site's file)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from berth_cloud.connection import choose_cloud, connect
from berth_core.errors import OpenStackError


@pytest.fixture
def refusing_keystone() -> Iterator[str]:
    """An identity endpoint that answers 401 to everything; its v3 URL."""

    class Handler(BaseHTTPRequestHandler):
        def _refuse(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            data = json.dumps(
                {"error": {"code": 401, "message": "The request you have made requires authentication."}}
            )
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data.encode())

        do_GET = do_POST = _refuse  # noqa: N815 - http.server names them so

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v3"
    httpd.shutdown()
    httpd.server_close()


def _clouds_yaml(path: Path, auth_url: str, *names: str) -> Path:
    auth = {"auth_url": auth_url, "username": "admin", "password": "wrong", "project_name": "admin"}
    clouds = {
        name: {
            "auth_type": "v3password",
            "auth": {**auth, "user_domain_name": "Default", "project_domain_name": "Default"},
        }
        for name in names
    }
    path.write_text(yaml.safe_dump({"clouds": clouds}), encoding="utf-8")
    return path


def test_a_refused_login_names_the_file_from_os_client_config_file(
    tmp_path: Path, refusing_keystone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_file = _clouds_yaml(tmp_path / "site-clouds.yaml", refusing_keystone, "aio-admin")
    elsewhere = _clouds_yaml(tmp_path / "elsewhere.yaml", refusing_keystone, "aio-admin")
    monkeypatch.delenv("OS_CLOUD", raising=False)
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(elsewhere))
    with pytest.raises(OpenStackError) as refused:
        connect(None, site_file)
    assert "refused" in refused.value.message
    assert str(elsewhere) in refused.value.hint
    assert str(site_file) not in refused.value.hint


def test_without_the_variable_the_hint_names_the_sites_file(
    tmp_path: Path, refusing_keystone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_file = _clouds_yaml(tmp_path / "site-clouds.yaml", refusing_keystone, "aio-admin")
    monkeypatch.delenv("OS_CLOUD", raising=False)
    monkeypatch.delenv("OS_CLIENT_CONFIG_FILE", raising=False)
    with pytest.raises(OpenStackError) as refused:
        connect(None, site_file)
    assert str(site_file) in refused.value.hint


def test_the_default_cloud_comes_from_the_file_openstacksdk_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_file = _clouds_yaml(tmp_path / "site.yaml", "http://127.0.0.1:9/v3", "aio-admin")
    elsewhere = _clouds_yaml(tmp_path / "elsewhere.yaml", "http://127.0.0.1:9/v3", "city-admin")
    monkeypatch.delenv("OS_CLOUD", raising=False)
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(elsewhere))
    assert choose_cloud(None, site_file) == ("city-admin", elsewhere)
    monkeypatch.setenv(
        "OS_CLIENT_CONFIG_FILE", str(tmp_path / "absent.yaml")
    )  # a missing override is ignored
    assert choose_cloud(None, site_file) == ("aio-admin", site_file)
