"""berth_cloud.http over TLS, against a real TLS server on loopback with a certificate from berth's own CA.

What a site's VIP does during a failover: a load balancer that dies after accepting a connection cuts the
TLS handshake short. Nothing was sent yet, so the call is retried (a create too); a certificate the client
does not trust is reported at once with what to check, never as an unexpected error.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from keystoneauth1 import adapter, session

from berth_cli.pki.issue import issue_server, load_ca_certificate, load_ca_key, new_ca
from berth_cli.pki.settings import San
from berth_cloud.http import RetryPolicy, call, certificate_refusal
from berth_core.errors import ExitCode, OpenStackError

FAST = RetryPolicy((0.0, 0.0, 0.0))


@dataclass
class Tally:
    cut_next: int = 0  # connections to close after reading the ClientHello, before any TLS reply
    connections: int = 0
    requests: list[str] = field(default_factory=list)


class FlakyTlsServer(ThreadingHTTPServer):
    """An HTTPS server that can cut the next N handshakes short, as a load balancer killed mid-accept does."""

    def __init__(self, context: ssl.SSLContext, tally: Tally) -> None:
        self.context, self.tally = context, tally
        super().__init__(("127.0.0.1", 0), Handler)

    def get_request(self) -> tuple[Any, Any]:
        sock, address = self.socket.accept()
        self.tally.connections += 1
        if self.tally.cut_next:
            self.tally.cut_next -= 1
            sock.recv(65536)  # read the ClientHello so the close is a clean EOF, not a reset
            sock.shutdown(socket.SHUT_RDWR)
            sock.close()
            raise OSError("cut short")  # socketserver drops this request and goes on serving
        return self.context.wrap_socket(sock, server_side=True), address


class Handler(BaseHTTPRequestHandler):
    server: FlakyTlsServer

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.tally.requests.append(f"{self.command} {self.path}")
        data = json.dumps({"network": {"id": "n1"}}).encode()
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer  # noqa: N815 - http.server names them so

    def log_message(self, *args: Any) -> None:
        pass


def _ca(tmp: Path, site: str) -> tuple[Path, Any, Any]:
    key_pem, cert_pem = new_ca(site, datetime.now(UTC))
    path = tmp / f"{site}-ca.crt"
    path.write_bytes(cert_pem)
    cert = load_ca_certificate(cert_pem)
    return path, cert, load_ca_key(key_pem, cert)


@pytest.fixture
def tls(tmp_path: Path) -> Iterator[tuple[FlakyTlsServer, Tally, Path]]:
    ca_path, ca_cert, ca_key = _ca(tmp_path, "site")
    bundle = tmp_path / "server.pem"  # certificate then key, as HAProxy takes it
    bundle.write_bytes(
        issue_server(ca_cert, ca_key, frozenset({San("ip", "127.0.0.1")}), "vip", datetime.now(UTC))
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(bundle)
    tally = Tally()
    httpd = FlakyTlsServer(context, tally)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, tally, ca_path
    httpd.shutdown()
    httpd.server_close()


def _proxy(httpd: FlakyTlsServer, trusted_ca: Path) -> adapter.Adapter:
    port = httpd.server_address[1]
    sess = session.Session(verify=str(trusted_ca))
    return adapter.Adapter(sess, endpoint_override=f"https://127.0.0.1:{port}/v2.0", service_type="network")


def test_handshakes_cut_short_are_retried_and_the_call_succeeds(tls):
    httpd, tally, ca = tls
    tally.cut_next = 2
    body = call(_proxy(httpd, ca), "GET", "/networks/n1", what="network n1", retry=FAST)
    assert body == {"network": {"id": "n1"}}
    assert tally.connections == 3 and tally.requests == ["GET /v2.0/networks/n1"]


def test_a_create_is_retried_after_a_cut_handshake_because_nothing_was_sent(tls):
    httpd, tally, ca = tls
    tally.cut_next = 1
    ad = _proxy(httpd, ca)
    call(ad, "POST", "/networks", what="network n1", json={"network": {}}, retry=FAST, idempotent=False)
    assert tally.requests == ["POST /v2.0/networks"], "the create reached the server exactly once"


def test_a_handshake_that_keeps_failing_is_a_located_error(tls):
    httpd, tally, ca = tls
    tally.cut_next = 10
    with pytest.raises(
        OpenStackError, match=r"network n1: the network service's TLS handshake failed"
    ) as raised:
        call(_proxy(httpd, ca), "GET", "/networks/n1", what="network n1", retry=FAST)
    assert raised.value.exit_code == ExitCode.OPENSTACK_API
    assert tally.connections == 4 and not tally.requests
    assert "re-run" in raised.value.hint


def test_a_certificate_from_another_ca_is_refused_at_once_with_what_to_check(tls, tmp_path):
    httpd, tally, _ = tls
    foreign, _, _ = _ca(tmp_path, "elsewhere")
    with pytest.raises(OpenStackError, match="TLS certificate is not trusted") as raised:
        call(_proxy(httpd, foreign), "GET", "/networks/n1", what="network n1", retry=FAST)
    assert tally.connections == 1, "a refused certificate is not retried"
    assert "cacert" in raised.value.hint
    assert "unable to get local issuer certificate" in str(raised.value)


def test_certificate_refusal_reads_ssls_wording():
    assert certificate_refusal(Exception("[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred")) is None
    text = "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch (_ssl.c:1006)"
    assert certificate_refusal(Exception(text)) == "Hostname mismatch"


def _clouds_yaml(tmp: Path, httpd: FlakyTlsServer, cacert: Path) -> Path:
    port = httpd.server_address[1]
    path = tmp / "clouds.yaml"
    path.write_text(
        f"clouds:\n  site-admin:\n    auth:\n      auth_url: https://127.0.0.1:{port}/v3\n      username: admin\n"
        "      password: s3cr3t-never-shown\n      project_name: admin\n      user_domain_name: Default\n"
        f"      project_domain_name: Default\n    identity_api_version: 3\n    cacert: {cacert}\n"
    )
    return path


def test_connect_to_a_cloud_whose_certificate_is_not_trusted_names_the_cacert(tls, tmp_path, monkeypatch):
    from berth_cloud.connection import connect

    httpd, _, _ = tls
    foreign, _, _ = _ca(tmp_path, "elsewhere")
    monkeypatch.delenv("OS_CLOUD", raising=False)
    with pytest.raises(OpenStackError, match=r"site-admin.*TLS certificate is not trusted") as raised:
        connect(None, _clouds_yaml(tmp_path, httpd, foreign))
    assert raised.value.exit_code == ExitCode.OPENSTACK_API
    assert "cacert" in raised.value.hint and "s3cr3t" not in f"{raised.value.message} {raised.value.hint}"


def test_a_login_through_handshakes_cut_short_is_retried_then_unreachable_not_refused(
    tls, tmp_path, monkeypatch
):
    from berth_cloud.connection import connect

    httpd, tally, ca = tls
    tally.cut_next = 100
    monkeypatch.delenv("OS_CLOUD", raising=False)
    with pytest.raises(OpenStackError, match=r"TLS handshake failed \(tried 4 times\)") as raised:
        connect(None, _clouds_yaml(tmp_path, httpd, ca))
    assert "credentials" not in raised.value.hint, "a cut connection is not a refused login"
    assert tally.connections >= 4, "the login was tried again"
