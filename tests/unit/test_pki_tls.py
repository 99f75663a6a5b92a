"""The site PKI for real: berth's CA and API certificate served by Python's TLS server on 127.0.0.1, a
client that trusts only the CA connects, default trust and names outside the certificate are refused;
re-runs keep every byte, renewals re-issue only the certificate, and the CA is never silently replaced."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import stat
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from berth_cli.ansible.vars_files import SiteVars
from berth_cli.pki.policy import RENEW_BEFORE
from berth_cli.pki.settings import PublicTls, public_tls
from berth_cli.pki.store import TlsMaterial, ensure_site_pki, pki_dir
from berth_core.errors import BerthError

NAME = "api.berth.test"


def settings(*names: str, address: str = "127.0.0.1") -> PublicTls:
    tls = public_tls(
        SiteVars(
            {"berth_public_tls": True, "berth_public_address": address, "berth_public_names": list(names)}
        )
    )
    assert tls is not None
    return tls


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


def ensure(state: Path, tls: PublicTls | None = None, now: datetime | None = None) -> TlsMaterial:
    return ensure_site_pki(state, "tlstest", tls or settings(NAME), now=now)


@contextmanager
def tls_server(pem: Path) -> Iterator[int]:
    """A TLS server on 127.0.0.1 presenting `pem` (certificate, chain, key: HAProxy's file) to each client."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                try:
                    with context.wrap_socket(conn, server_side=True) as tls:
                        tls.sendall(b"berth\n")
                except (ssl.SSLError, OSError):
                    pass  # the client refused us: that is what some tests want

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def only_ca(ca: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca))  # a cafile: the system's roots are not loaded
    context.verify_flags |= ssl.VERIFY_X509_STRICT  # RFC 5280 as OpenSSL checks it strictly
    context.hostname_checks_common_name = False  # as browsers: the SANs alone name the server
    return context


def fetch(port: int, host: str, context: ssl.SSLContext) -> bytes:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        return tls.recv(16)


def snapshot(state: Path) -> dict[str, tuple[bytes, int, int]]:
    return {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns, stat.S_IMODE(p.stat().st_mode))
        for p in sorted(pki_dir(state).iterdir())
    }


def leaf(material: TlsMaterial) -> x509.Certificate:
    return x509.load_pem_x509_certificates(material.server_pem.read_bytes())[0]


def names_of(cert: x509.Certificate) -> set[str]:
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return set(ext.get_values_for_type(x509.DNSName)) | {
        str(a) for a in ext.get_values_for_type(x509.IPAddress)
    }


# --- TLS for real --------------------------------------------------------------------------------------


def test_a_client_trusting_only_the_site_ca_connects_by_name_and_by_address(state: Path) -> None:
    material = ensure(state)
    with tls_server(material.server_pem) as port:
        assert fetch(port, NAME, only_ca(material.ca_certificate)) == b"berth\n"
        assert fetch(port, "127.0.0.1", only_ca(material.ca_certificate)) == b"berth\n"


def test_default_trust_refuses_the_site_certificate(state: Path) -> None:
    material = ensure(state)
    with tls_server(material.server_pem) as port, pytest.raises(ssl.SSLCertVerificationError) as err:
        fetch(port, NAME, ssl.create_default_context())
    assert err.value.verify_message in (
        "self-signed certificate in certificate chain",
        "unable to get local issuer certificate",
    )


@pytest.mark.parametrize("host", ["other.berth.test", "127.0.0.2", "berth.test"])
def test_a_name_or_address_outside_the_certificate_is_refused(state: Path, host: str) -> None:
    material = ensure(state)
    with (
        tls_server(material.server_pem) as port,
        pytest.raises(ssl.SSLCertVerificationError, match="mismatch"),
    ):
        fetch(port, host, only_ca(material.ca_certificate))


def test_openssl_accepts_the_chain_for_tls_servers_strictly(state: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command on this machine")
    material = ensure(state)
    done = subprocess.run(
        [
            "openssl",
            "verify",
            "-x509_strict",
            "-purpose",
            "sslserver",
            "-CAfile",
            str(material.ca_certificate),
            str(material.server_pem),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_ca_and_the_certificate_say_what_they_are_for(state: Path) -> None:
    material = ensure(state)
    ca = x509.load_pem_x509_certificate(material.ca_certificate.read_bytes())
    basic = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage)
    assert (
        usage.critical
        and usage.value.key_cert_sign
        and usage.value.crl_sign
        and not usage.value.digital_signature
    )
    assert ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "berth tlstest CA"
    assert ca.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "berth"
    assert ca.not_valid_after_utc - ca.not_valid_before_utc >= timedelta(days=3650)

    cert = leaf(material)
    assert names_of(cert) == {NAME, "127.0.0.1"}
    assert (
        ExtendedKeyUsageOID.SERVER_AUTH
        in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    )
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.issuer == ca.subject
    assert timedelta(days=364) < cert.not_valid_after_utc - datetime.now(UTC) <= timedelta(days=365)
    assert material.not_after == cert.not_valid_after_utc
    assert material.extravars() == {
        "haproxy_tls_pem": str(pki_dir(state) / "api.pem"),
        "berth_ca_certificate": str(pki_dir(state) / "ca.crt"),
        "berth_public_endpoint_base": f"https://{NAME}",
    }


# --- files: private, and kept byte for byte -------------------------------------------------------------


def test_keys_are_private_and_the_ca_certificate_is_readable(state: Path) -> None:
    ensure(state)
    modes = {name: mode for name, (_, _, mode) in snapshot(state).items()}
    assert modes == {"api.pem": 0o600, "ca.crt": 0o644, "ca.key": 0o600}
    assert stat.S_IMODE(pki_dir(state).stat().st_mode) == 0o700


def test_a_second_ensure_changes_nothing(state: Path) -> None:
    first = ensure(state)
    assert len(first.changes) == 2, first.changes  # the CA created, the certificate issued
    before = snapshot(state)
    again = ensure(state)
    assert again.changes == ()
    assert snapshot(state) == before, "same bytes, same mtime, same modes"


def test_a_key_made_readable_to_others_is_narrowed_not_rewritten(state: Path) -> None:
    ensure(state)
    key = pki_dir(state) / "ca.key"
    key.chmod(0o644)
    content, mtime = key.read_bytes(), key.stat().st_mtime_ns
    assert ensure(state).changes == ()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (key.read_bytes(), key.stat().st_mtime_ns) == (content, mtime)


# --- renewal -------------------------------------------------------------------------------------------


def test_a_change_of_names_re_issues_the_certificate_under_the_same_ca(state: Path) -> None:
    ensure(state)
    before = snapshot(state)
    renewed = ensure(state, settings(NAME, "cloud.berth.test"))
    after = snapshot(state)
    assert [c.split(":")[0] for c in renewed.changes] == [f"issued {pki_dir(state) / 'api.pem'}"]
    assert "does not name DNS:cloud.berth.test" in renewed.changes[0]
    assert after["ca.crt"] == before["ca.crt"] and after["ca.key"] == before["ca.key"]
    assert after["api.pem"][0] != before["api.pem"][0]
    assert names_of(leaf(renewed)) == {NAME, "cloud.berth.test", "127.0.0.1"}
    with tls_server(renewed.server_pem) as port:
        assert fetch(port, "cloud.berth.test", only_ca(renewed.ca_certificate)) == b"berth\n"
    dropped = ensure(state, settings("cloud.berth.test"))
    assert "which the site no longer serves" in dropped.changes[0]
    assert names_of(leaf(dropped)) == {"cloud.berth.test", "127.0.0.1"}


def test_the_certificate_is_renewed_thirty_days_before_it_expires(state: Path) -> None:
    end = ensure(state).not_after
    kept = ensure(state, now=end - RENEW_BEFORE - timedelta(days=1))
    assert kept.changes == ()
    renewed = ensure(state, now=end - RENEW_BEFORE + timedelta(days=1))
    assert len(renewed.changes) == 1 and "expires on" in renewed.changes[0]
    assert renewed.not_after > end


def test_an_unreadable_certificate_is_issued_again(state: Path) -> None:
    material = ensure(state)
    material.server_pem.write_text("not a certificate\n")
    again = ensure(state)
    assert "unreadable" in again.changes[0]
    with tls_server(again.server_pem) as port:
        assert fetch(port, NAME, only_ca(again.ca_certificate)) == b"berth\n"


# --- the CA is never replaced silently ------------------------------------------------------------------


def assert_refused(
    state: Path, match: str, where: str, *, tls: PublicTls | None = None, now: datetime | None = None
) -> BerthError:
    before = snapshot(state)
    with pytest.raises(BerthError, match=match) as err:
        ensure(state, tls, now)
    assert err.value.location is not None and err.value.location.file == str(pki_dir(state) / where)
    assert err.value.hint and "docs/tls.md" in err.value.hint
    assert "PRIVATE KEY" not in f"{err.value.message} {err.value.hint}"
    assert snapshot(state) == before, "nothing written, no new CA"
    return err.value


def test_without_the_ca_key_a_valid_certificate_is_kept(state: Path) -> None:
    ensure(state)
    (pki_dir(state) / "ca.key").unlink()
    assert ensure(state).changes == ()
    assert not (pki_dir(state) / "ca.key").exists(), "no new CA key"


def test_without_the_ca_key_a_certificate_to_re_issue_is_an_error(state: Path) -> None:
    ensure(state)
    (pki_dir(state) / "ca.key").unlink()
    error = assert_refused(state, "must be issued again", "api.pem", tls=settings(NAME, "new.berth.test"))
    assert "ca.key" in error.message and "DNS:new.berth.test" in error.hint


def test_a_broken_ca_key_is_an_error(state: Path) -> None:
    ensure(state)
    (pki_dir(state) / "ca.key").write_text("-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n")
    assert_refused(state, "not an unencrypted PEM private key", "ca.key")


def test_a_ca_key_of_another_ca_is_an_error(state: Path, tmp_path: Path) -> None:
    ensure(state)
    ensure(tmp_path / "other")
    shutil.copy(pki_dir(tmp_path / "other") / "ca.key", pki_dir(state) / "ca.key")
    assert_refused(state, "not the key of ca.crt", "ca.key")


def test_a_ca_key_without_its_certificate_is_an_error(state: Path) -> None:
    ensure(state)
    (pki_dir(state) / "ca.crt").unlink()
    assert_refused(state, "missing, but its key", "ca.crt")


def test_a_broken_ca_certificate_is_an_error(state: Path) -> None:
    ensure(state)
    (pki_dir(state) / "ca.crt").write_text("garbage\n")
    assert_refused(state, "not a PEM certificate", "ca.crt")


def test_a_ca_about_to_expire_does_not_sign(state: Path) -> None:
    ensure(state)
    ca = x509.load_pem_x509_certificate((pki_dir(state) / "ca.crt").read_bytes())
    assert_refused(state, "CA expires on", "ca.crt", now=ca.not_valid_after_utc - timedelta(days=10))


# --- the operator's own PKI -----------------------------------------------------------------------------


def _cert(
    subject: str,
    key: Any,
    issuer: tuple[x509.Name, Any],
    *,
    ca: bool,
    sans: list[x509.GeneralName] | None = None,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer[0])
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer[1].public_key()), critical=False
        )
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        builder = builder.add_extension(x509.SubjectAlternativeName(sans or []), critical=False)
    return builder.sign(issuer[1], hashes.SHA256())


def test_a_certificate_of_the_citys_own_pki_is_kept_and_served_with_its_chain(state: Path) -> None:
    import ipaddress

    root_key, mid_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "City Root CA")])
    root = _cert("City Root CA", root_key, (root_name, root_key), ca=True)
    mid = _cert("City Issuing CA", mid_key, (root_name, root_key), ca=True)
    sans: list[x509.GeneralName] = [
        x509.DNSName(NAME),
        x509.DNSName("extra.city.test"),  # the city's certificate may name more than the site needs
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    server = _cert(NAME, leaf_key, (mid.subject, mid_key), ca=False, sans=sans)
    directory = pki_dir(state)
    directory.mkdir(parents=True, mode=0o700)
    (directory / "ca.crt").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (server, mid))
    pem += leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(directory / "api.pem", os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, pem)
    os.close(fd)
    before = snapshot(state)
    material = ensure(state)
    assert material.changes == () and snapshot(state) == before, "berth keeps the city's files as they are"
    with tls_server(material.server_pem) as port:
        assert fetch(port, NAME, only_ca(material.ca_certificate)) == b"berth\n"
    # a certificate signed by someone else than ca.crt is not the city's: berth cannot fix it, and says so
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = _cert("City Root CA", other_key, (root_name, other_key), ca=True)  # same name, another key
    (directory / "ca.crt").write_bytes(other.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(BerthError, match="not signed by the site's CA"):
        ensure(state)


def test_berth_issues_under_the_citys_issuing_ca_and_serves_its_chain(state: Path, tmp_path: Path) -> None:
    root_key, mid_key = (ec.generate_private_key(ec.SECP384R1()) for _ in range(2))
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "City Root CA")])
    root = _cert("City Root CA", root_key, (root_name, root_key), ca=True)
    mid = _cert("City Issuing CA", mid_key, (root_name, root_key), ca=True)
    directory = pki_dir(state)
    directory.mkdir(parents=True, mode=0o700)
    (directory / "ca.crt").write_bytes(
        b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (mid, root))
    )
    key_pem = mid_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(directory / "ca.key", os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, key_pem)
    os.close(fd)
    material = ensure(state)
    assert [c.split(":")[0] for c in material.changes] == [f"issued {directory / 'api.pem'}"], "no new CA"
    chain = x509.load_pem_x509_certificates(material.server_pem.read_bytes())
    assert [c.subject.rfc4514_string() for c in chain] == [f"CN={NAME}", "CN=City Issuing CA"]
    only_root = tmp_path / "root.crt"
    only_root.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    with tls_server(material.server_pem) as port:  # a client that knows only the city's root
        assert fetch(port, NAME, only_ca(only_root)) == b"berth\n"
    assert ensure(state).changes == ()


# --- berth cloud status probes the https endpoints with the site CA -----------------------------------


def test_the_status_probe_trusts_the_site_ca_and_openstacksdk_hands_it_over(state: Path) -> None:
    import http.server

    import openstack.config
    import yaml

    from berth_cli.ansible.secrets_file import ensure_secrets, write_clouds_yaml
    from berth_cli.services.deploy import _probe

    material = ensure(state)

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(300)  # a version document, as keystone's /v3 answers
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(material.server_pem)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"https://127.0.0.1:{server.server_port}/v3"
        ensure_secrets(state)
        clouds = write_clouds_yaml(state, site="t", auth_url=url, region="R", cacert=material.ca_certificate)
        region = openstack.config.OpenStackConfig(config_files=[str(clouds)]).get_one("t-admin")
        verify = region.get_session().verify  # what collect_status reads from the connection
        assert verify == str(material.ca_certificate)
        assert yaml.safe_load(clouds.read_text())["clouds"]["t-admin"]["cacert"] == verify
        assert _probe(url, verify) == (True, "300")
        ok, detail = _probe(url)  # default trust: refused
        assert not ok and "CERTIFICATE_VERIFY_FAILED" in detail
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
