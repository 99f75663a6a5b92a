"""Keys and certificates with `cryptography`: bytes in, bytes out, no files (berth_cli.pki.store writes them).

Keys are ECDSA: P-384 for the CA (signing with SHA-384), P-256 for the API certificate; every TLS client and
HAProxy speak them, and they are generated at once. Private keys are PKCS#8 PEM without a passphrase (HAProxy
reads the key at start, unattended); the files holding them are the owner's only.
"""

from __future__ import annotations

import ipaddress
import itertools
from datetime import datetime
from typing import TypeAlias

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from berth_cli.pki.policy import CertFacts, ca_validity, server_validity
from berth_cli.pki.settings import San

IssuerKey: TypeAlias = CertificateIssuerPrivateKeyTypes
_CN_MAX = 64  # X.520 upper bound of a commonName


def _key_pem(key: IssuerKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _public_der(key: object) -> bytes:
    public_bytes = getattr(key, "public_bytes", None)
    if public_bytes is None:
        return b""
    der: bytes = public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return der


def _hash_for(key: IssuerKey) -> hashes.SHA256 | hashes.SHA384 | None:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return None  # EdDSA hashes by itself
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


def ca_subject(site: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "berth"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"site {site}"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"berth {site} CA"),
        ]
    )


def new_ca(site: str, now: datetime) -> tuple[bytes, bytes]:
    """A new CA for `site`: (key PEM, self-signed certificate PEM); CA:true pathlen 0, keyCertSign+cRLSign."""
    key = ec.generate_private_key(ec.SECP384R1())
    not_before, not_after = ca_validity(now)
    subject = ca_subject(site)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, _hash_for(key))
    )
    return _key_pem(key), _cert_pem(cert)


def load_ca_certificate(pem: bytes) -> x509.Certificate:
    """The signing CA: the first certificate of ca.crt (ValueError when it holds none)."""
    return x509.load_pem_x509_certificate(pem)


def intermediates(pem: bytes) -> bytes:
    """The certificates of ca.crt a server must send with its own: every one that is not a root (an
    operator's issuing CA and the intermediates above it); nothing for berth's own self-signed CA."""
    chain = x509.load_pem_x509_certificates(pem)
    return b"".join(_cert_pem(c) for c in chain if c.subject != c.issuer)


def load_ca_key(pem: bytes, cert: x509.Certificate) -> IssuerKey:
    """The CA's private key; ValueError (saying why, never showing the key) when it is not ca.crt's key."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise ValueError("it is not an unencrypted PEM private key") from None
    if not isinstance(
        key,
        ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey,
    ):
        raise ValueError(f"a {type(key).__name__} cannot sign certificates")
    if _public_der(key.public_key()) != _public_der(cert.public_key()):
        raise ValueError("it is not the key of ca.crt")
    return key


def _general_name(san: San) -> x509.GeneralName:
    if san.kind == "ip":
        return x509.IPAddress(ipaddress.ip_address(san.value))
    return x509.DNSName(san.value)


def issue_server(
    ca_cert: x509.Certificate,
    ca_key: IssuerKey,
    sans: frozenset[San],
    common_name: str,
    now: datetime,
    *,
    chain: bytes = b"",
) -> bytes:
    """A new key and the certificate `ca_key` signs for it, as HAProxy wants them: the certificate, the
    `chain` above it (PEM intermediates, none under a root CA), then the key."""
    key = ec.generate_private_key(ec.SECP256R1())
    not_before, not_after = server_validity(now, ca_cert.not_valid_after_utc)
    name = common_name if 0 < len(common_name) <= _CN_MAX else "berth API"
    ordered = sorted(sans, key=lambda s: (s.kind != "dns", s.value))  # names first, as clients show them
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([_general_name(s) for s in ordered]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, _hash_for(ca_key))
    )
    return _cert_pem(cert) + chain + _key_pem(key)


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _sans(cert: x509.Certificate) -> frozenset[San]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return frozenset()
    ips = {San("ip", str(ip)) for ip in ext.get_values_for_type(x509.IPAddress)}
    return frozenset(ips | {San("dns", n.lower()) for n in ext.get_values_for_type(x509.DNSName)})


def _server_auth(cert: x509.Certificate) -> bool:
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return ExtendedKeyUsageOID.SERVER_AUTH in usages


def server_facts(pem: bytes, ca_cert: x509.Certificate) -> CertFacts:
    """What a server PEM (certificate, its intermediates, its key) holds; ValueError when it is not one."""
    try:
        chain = x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise ValueError("it holds no PEM certificate") from None
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise ValueError("it holds no unencrypted PEM private key") from None
    leaf = chain[0]
    links = all(_signed_by(cert, issuer) for cert, issuer in itertools.pairwise(chain))
    top = chain[-1]
    anchored = top == ca_cert or _signed_by(top, ca_cert)
    return CertFacts(
        sans=_sans(leaf),
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        chains_to_ca=links and anchored,
        key_matches=_public_der(key.public_key()) == _public_der(leaf.public_key()),
        server_auth=_server_auth(leaf),
    )
