"""The lab proxy's PyPI mirror (berth_cli.lab.aptproxy), for real on loopback: the proxy process as `berth lab
up` starts it, in front of a real HTTPS package index on loopback (a site CA made here, trusted by the
proxy alone through SSL_CERT_FILE), and this machine's real pip installing through it. Nothing leaves the
machine. Also which index the mirror takes from pip's own configuration (berth_cli.lab.pypi)."""

from __future__ import annotations

import datetime
import hashlib
import http.client
import io
import ipaddress
import socket
import ssl
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from berth_cli.lab.network import proxy_argv
from berth_cli.lab.pypi import PYPI, PYPI_FILES, PackageIndex, config_files, machine_index

pytestmark = pytest.mark.slow


def _wheel() -> bytes:
    """A real, minimal wheel of the project `berth-demo` 1.0 (one module)."""
    files = {
        "berth_demo.py": b"ANSWER = 42\n",
        "berth_demo-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: berth-demo\nVersion: 1.0\n",
        "berth_demo-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: berth-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{name},,\n" for name in files) + "berth_demo-1.0.dist-info/RECORD,,\n"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as whl:
        for name, data in files.items():
            whl.writestr(name, data)
        whl.writestr("berth_demo-1.0.dist-info/RECORD", record)
    return out.getvalue()


@dataclass
class Upstream:
    """A package index over HTTPS on 127.0.0.1: /simple/berth-demo/ links its wheel absolutely."""

    port: int
    ca_file: Path
    wheel: bytes
    requests: list[str] = field(default_factory=list)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def wheel_path(self) -> str:
        return "/packages/ab/cd/berth_demo-1.0-py3-none-any.whl"


def _tls(tmp: Path) -> tuple[Path, ssl.SSLContext]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "berth test index")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    pem = tmp / "index.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile = tmp / "index.key"
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem, keyfile)
    return pem, context


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[Upstream]:
    pem, context = _tls(tmp_path)
    wheel = _wheel()
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    index = Upstream(server.server_address[1], pem, wheel)
    digest = hashlib.sha256(wheel).hexdigest()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            index.requests.append(self.path)
            if self.path == "/simple/berth-demo/":
                link = f"https://{index.host}{index.wheel_path}#sha256={digest}"
                body = f'<html><body><a href="{link}">berth_demo-1.0-py3-none-any.whl</a></body></html>'
                self._answer(200, body.encode(), "text/html")
            elif self.path == "/simple/Berth_Demo/":
                self.send_response(301)
                self.send_header("Location", f"https://{index.host}/simple/berth-demo/")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif self.path == index.wheel_path:
                self._answer(200, wheel, "application/octet-stream")
            else:
                self._answer(404, b"no such page", "text/plain")

        def _answer(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server.RequestHandlerClass = Handler
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield index
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mirror:
    port: int
    cache: Path

    def get(self, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path)
            answer = conn.getresponse()
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
        finally:
            conn.close()

    def raw(self, request: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as conn:
            conn.sendall(request)
            return conn.recv(65536)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mirror(upstream: Upstream, tmp_path: Path) -> Iterator[Mirror]:
    port = _free_port()
    index = PackageIndex(f"https://{upstream.host}/simple", (upstream.host,))
    argv = proxy_argv(("deb.debian.org",), tmp_path / "apt", index, tmp_path / "pypi")
    argv[argv.index("10.251.0.1")] = "127.0.0.1"  # the same proxy, on loopback
    argv[argv.index("3142")] = str(port)
    proc = subprocess.Popen(
        argv,
        env={"SSL_CERT_FILE": str(upstream.ca_file), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "proxy.log").open("wb"),
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, (
                    tmp_path / "proxy.log"
                ).read_text()
                time.sleep(0.05)
        yield Mirror(port, tmp_path / "pypi")
    finally:
        proc.terminate()
        proc.wait(10)


def test_project_pages_point_at_the_mirror_and_files_are_kept(mirror: Mirror, upstream: Upstream) -> None:
    status, headers, page = mirror.get("/pypi/simple/berth-demo/")
    assert status == 200 and headers["content-type"] == "text/html"
    base = f"http://127.0.0.1:{mirror.port}/pypi/files/{upstream.host}"
    assert f'href="{base}{upstream.wheel_path}#sha256=' in page.decode()
    assert f"https://{upstream.host}" not in page.decode()

    for _ in range(2):
        status, headers, wheel = mirror.get(f"/pypi/files/{upstream.host}{upstream.wheel_path}")
        assert status == 200 and wheel == upstream.wheel
        assert "immutable" in headers["cache-control"]
    assert upstream.requests.count(upstream.wheel_path) == 1, "the second host's download is the cache's"
    assert (mirror.cache / upstream.host / upstream.wheel_path.lstrip("/")).read_bytes() == upstream.wheel

    status, headers, _ = mirror.get("/pypi/simple/Berth_Demo/")  # the index's redirect stays on the mirror
    assert status == 301 and headers["location"] == f"http://127.0.0.1:{mirror.port}/pypi/simple/berth-demo/"
    assert mirror.get("/pypi/simple/no-such-project/")[0] == 404


@pytest.mark.parametrize(
    "path",
    [
        "/pypi/files/evil.example/packages/x.whl",  # a host the index does not use
        "/pypi/files/127.0.0.1/../../etc/passwd",
        "/pypi/simple/../../etc/passwd",
        "/pypi/simple/a/b/",
        "/pypi/other",
        "/simple/berth-demo/",
        "http://pypi.org/simple/pip/",  # proxy-form to anything but the Debian mirror
        "http://127.0.0.1/pypi/simple/berth-demo/",
    ],
)
def test_everything_else_is_refused(mirror: Mirror, upstream: Upstream, path: str) -> None:
    assert mirror.get(path)[0] == 403
    assert not [r for r in upstream.requests if "passwd" in r]


def test_no_tunnel_is_opened_and_nothing_but_get_reaches_the_index(
    mirror: Mirror, upstream: Upstream
) -> None:
    for target in (b"pypi.org:443", b"files.pythonhosted.org:443", upstream.host.encode()):
        answer = mirror.raw(b"CONNECT " + target + b" HTTP/1.1\r\nHost: " + target + b"\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 403"), answer[:80]
    assert mirror.get("/pypi/simple/berth-demo/", method="HEAD")[0] == 403
    assert upstream.requests == []


def test_pip_installs_through_the_mirror_alone(mirror: Mirror, upstream: Upstream, tmp_path: Path) -> None:
    # as the openstack_venv role does on a host: a virtualenv whose own pip.conf names the site's index
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    (venv / "pip.conf").write_text(
        f"[global]\nindex-url = http://127.0.0.1:{mirror.port}/pypi/simple/\ntrusted-host = 127.0.0.1\n"
    )
    done = subprocess.run(
        [
            str(venv / "bin/pip"),
            "install",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "berth-demo==1.0",
        ],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},  # none of this machine's PIP_* settings
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    found = subprocess.run(
        [str(venv / "bin/python"), "-c", "import berth_demo; print(berth_demo.ANSWER)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout == "42\n"
    assert upstream.requests == ["/simple/berth-demo/", upstream.wheel_path]
    # through the mirror, not straight to the index (trusted-host would let pip skip its certificate)
    assert (mirror.cache / upstream.host / upstream.wheel_path.lstrip("/")).is_file()


def test_the_index_is_pips_own(tmp_path: Path) -> None:
    pypi = PackageIndex(PYPI, (PYPI_FILES,))
    assert machine_index({}, []) == pypi  # pip's default
    assert pypi.hosts == ("pypi.org", PYPI_FILES)

    system, user = tmp_path / "pip.conf", tmp_path / "user-pip.conf"
    system.write_text("[global]\nindex-url = https://a.example/simple\nextra-index-url = file:///opt\n")
    user.write_text("[install]\nindex-url = https://mirror.example:8443/pypi/simple/\n")
    mirror = PackageIndex("https://mirror.example:8443/pypi/simple", ("mirror.example:8443",))
    assert machine_index({}, [system, tmp_path / "absent.conf", user]) == mirror  # a later file wins
    assert machine_index({}, [user, system]) == PackageIndex("https://a.example/simple", ("a.example",))
    assert (
        machine_index({"PIP_INDEX_URL": "https://pypi.org/simple/"}, [user]) == pypi
    )  # the environment first

    # an index that cannot be mirrored: the hosts cannot reach file://, and plain http is not passed on
    assert machine_index({"PIP_INDEX_URL": "file:///opt/pypi/simple"}, []) is None
    assert machine_index({"PIP_INDEX_URL": "http://mirror.example/simple"}, []) is None

    # pip's order: XDG_CONFIG_DIRS (last first), /etc/pip.conf, the user's files, PIP_CONFIG_FILE
    env = {"XDG_CONFIG_DIRS": "/a:/b", "PIP_CONFIG_FILE": "/c/pip.conf"}
    assert config_files(env, Path("/home/u")) == [
        Path("/b/pip/pip.conf"),
        Path("/a/pip/pip.conf"),
        Path("/etc/pip.conf"),
        Path("/home/u/.pip/pip.conf"),
        Path("/home/u/.config/pip/pip.conf"),
        Path("/c/pip.conf"),
    ]
