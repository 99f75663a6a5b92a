"""berth_cloud.http and the request counter, against a real HTTP server on loopback.

A keystoneauth session and adapter (what openstacksdk's proxies are) talk to a scripted server:
retries on 409/5xx, no retry of a create after a 500, errors that name the resource, and the counting
adapter that the benchmark and the request-budget tests rely on.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from keystoneauth1 import adapter, session

from berth_cloud.connection import RequestCounter, _CountingAdapter, choose_cloud
from berth_cloud.http import ApiError, RetryPolicy, call, error_text
from berth_core.errors import ExitCode, OpenStackError

FAST = RetryPolicy((0.0, 0.0, 0.0))


class Script:
    def __init__(self) -> None:
        self.answers: list[tuple[int, dict]] = []
        self.seen: list[tuple[str, str]] = []


@pytest.fixture
def server():
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.seen_body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            script.seen.append((self.command, self.path))
            status, body = script.answers.pop(0) if script.answers else (200, {"ok": True})
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _answer  # noqa: N815 - http.server names them so

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, script
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def proxy(server):
    httpd, _ = server
    counter = RequestCounter()
    sess = session.Session()
    sess.session.mount("http://", _CountingAdapter(counter))
    port = httpd.server_address[1]
    ad = adapter.Adapter(sess, endpoint_override=f"http://127.0.0.1:{port}/v2.0", service_type="network")
    return ad, counter


def test_a_transient_503_is_retried_and_counted(server, proxy):
    _, script = server
    ad, counter = proxy
    script.answers = [(503, {}), (503, {}), (200, {"networks": []})]
    assert call(ad, "GET", "/networks", what="list networks", retry=FAST) == {"networks": []}
    assert counter.total == 3
    assert counter.by_target()[("GET", ad.endpoint_override.split("/")[2])] == 3


def test_errors_name_the_resource_and_carry_openstacks_message(server, proxy):
    _, script = server
    ad, _ = proxy
    script.answers = [
        (400, {"NeutronError": {"message": "Invalid input for cidr", "type": "HTTPBadRequest"}})
    ]
    with pytest.raises(ApiError) as raised:
        call(ad, "POST", "/subnets", json={}, what="subnet/so-y-te/app", retry=FAST)
    error = raised.value
    assert error.status == 400 and error.exit_code == ExitCode.OPENSTACK_API
    assert error.message == "subnet/so-y-te/app: network answered 400 Invalid input for cidr"


def test_a_conflict_that_persists_fails_after_every_attempt(server, proxy):
    _, script = server
    ad, counter = proxy
    script.answers = [(409, {"error": {"message": "in use"}})] * 4
    with pytest.raises(ApiError, match="409 in use"):
        call(ad, "DELETE", "/networks/x", what="network/t/app", retry=FAST)
    assert counter.total == 4


def test_a_create_is_not_repeated_after_a_server_error(server, proxy):
    _, script = server
    ad, counter = proxy
    script.answers = [(500, {}), (201, {"network": {"id": "n1"}})]
    with pytest.raises(ApiError):
        call(
            ad, "POST", "/networks", json={"network": {}}, what="network/t/app", retry=FAST, idempotent=False
        )
    assert counter.total == 1  # the 500 may have created it: the next observe adopts it instead


def test_a_status_listed_as_ok_is_answered_once_and_not_raised(server, proxy):
    _, script = server
    ad, counter = proxy
    script.answers = [(204, {}), (404, {"NeutronError": {"message": "not found"}})]
    assert call(ad, "DELETE", "/networks/a", ok=(204, 404), what="network/t/a", retry=FAST) is None
    call(ad, "DELETE", "/networks/gone", ok=(204, 404), what="network/t/app", retry=FAST)
    assert script.seen == [("DELETE", "/v2.0/networks/a"), ("DELETE", "/v2.0/networks/gone")]
    assert counter.total == 2  # a 404 that means "already gone" is not retried
    script.answers = [(404, {"NeutronError": {"message": "not found"}})]
    with pytest.raises(ApiError, match="404 not found"):  # not listed as ok: the same answer is an error
        call(ad, "DELETE", "/networks/gone", ok=(204,), what="network/t/app", retry=FAST)


def test_a_404_listed_as_ok_returns_no_body(server, proxy):
    _, script = server
    ad, _ = proxy
    script.answers = [(404, {"NeutronError": {"message": "not found"}})]
    assert call(ad, "GET", "/networks/gone", ok=(200, 404), what="network/t/app", retry=FAST) is None


def test_an_unreachable_service_is_a_clear_error():
    counter = RequestCounter()
    sess = session.Session()
    sess.session.mount("http://", _CountingAdapter(counter))
    ad = adapter.Adapter(sess, endpoint_override="http://127.0.0.1:9/v2.0", service_type="network")
    with pytest.raises(OpenStackError, match="network service is not reachable") as raised:
        call(ad, "GET", "/networks", what="list networks", retry=FAST)
    assert "re-run" in raised.value.hint


def test_error_text_reads_each_services_envelope():
    assert error_text({"badRequest": {"message": "Quota exceeded", "code": 400}}) == "Quota exceeded"
    assert error_text({"error": {"message": "Conflict", "code": 409}}) == "Conflict"
    assert error_text({"message": "plain"}) == "plain"
    assert error_text("not json") == ""


def test_measure_counts_only_inside_the_block():
    counter = RequestCounter()
    counter.record("GET", "http://127.0.0.1:5000/v3")
    with counter.measure() as tally:
        counter.record("GET", "http://127.0.0.1:9696/v2.0/networks")
        counter.record("PUT", "http://127.0.0.1:8774/v2.1/os-quota-sets/x")
    assert tally.count == 2 and counter.total == 3


def test_choose_cloud_precedence(tmp_path, monkeypatch):
    path = tmp_path / "clouds.yaml"
    path.write_text("clouds:\n  devcloud-admin:\n    auth: {auth_url: 'http://127.0.0.1:5000'}\n")
    monkeypatch.delenv("OS_CLOUD", raising=False)
    assert choose_cloud(None, path) == ("devcloud-admin", path)
    assert choose_cloud("other", path) == ("other", path)
    monkeypatch.setenv("OS_CLOUD", "from-env")
    assert choose_cloud(None, path) == ("from-env", path)
    monkeypatch.delenv("OS_CLOUD")
    with pytest.raises(OpenStackError, match="no cloud selected"):
        choose_cloud(None, tmp_path / "absent.yaml")


def test_the_admin_cloud_is_preferred_when_the_file_has_several(tmp_path, monkeypatch):
    path = tmp_path / "clouds.yaml"
    path.write_text("clouds:\n  aio-reader: {}\n  aio-admin: {}\n  aio-system: {}\n")
    monkeypatch.delenv("OS_CLOUD", raising=False)
    assert choose_cloud(None, path) == ("aio-admin", path)


def test_connect_to_an_unreachable_cloud_is_exit_5_without_secrets(tmp_path, monkeypatch):
    from berth_cloud.connection import connect

    path = tmp_path / "clouds.yaml"
    path.write_text(
        "clouds:\n  dead-admin:\n    auth:\n      auth_url: http://127.0.0.1:9/v3\n      username: admin\n"
        "      password: s3cr3t-never-shown\n      project_name: admin\n      user_domain_name: Default\n"
        "      project_domain_name: Default\n    identity_api_version: 3\n"
    )
    monkeypatch.delenv("OS_CLOUD", raising=False)
    with pytest.raises(OpenStackError) as raised:
        connect(None, path)
    error = raised.value
    assert error.exit_code == ExitCode.OPENSTACK_API
    assert "dead-admin" in error.message and "not reachable" in error.message
    assert "s3cr3t" not in f"{error.message} {error.hint}"
