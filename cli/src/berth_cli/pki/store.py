"""The site's PKI on the deploy host: `.berth/<site>/pki/` (0700).

    ca.crt   the site CA's certificate (0644): what clients, clouds.yaml and the hosts trust (an operator's
             issuing CA may be followed by the chain up to its root)
    ca.key   its private key (0600); absent when the operator's own PKI issues api.pem
    api.pem  the API certificate, its intermediates if any, then its private key (0600), as HAProxy wants

`ensure_site_pki` keeps every valid file byte-for-byte (a re-deploy writes nothing), issues api.pem again
when it no longer fits the site or is about to expire, and never replaces a CA: a CA certificate without
its key, or a key without its certificate, or one that does not match the other, is an error to resolve.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from berth_cli.pki.settings import PublicTls
from berth_core.errors import BerthError, Location

if TYPE_CHECKING:
    from cryptography import x509

    from berth_cli.pki.issue import IssuerKey

PKI_DIR = "pki"
CA_CERT = "ca.crt"
CA_KEY = "ca.key"
SERVER_PEM = "api.pem"
DOCS = "docs/tls.md"


@dataclass(frozen=True)
class TlsMaterial:
    """What a deploy hands on: file paths (never their content) and what this run changed."""

    ca_certificate: Path
    server_pem: Path
    endpoint_base: str
    not_after: datetime
    changes: tuple[str, ...] = ()

    def extravars(self) -> dict[str, Any]:
        """The playbook's TLS inputs: paths and a URL base, none of them secret."""
        return {
            "haproxy_tls_pem": str(self.server_pem),
            "berth_ca_certificate": str(self.ca_certificate),
            "berth_public_endpoint_base": self.endpoint_base,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint_base": self.endpoint_base,
            "ca_certificate": str(self.ca_certificate),
            "server_pem": str(self.server_pem),
            "not_after": self.not_after.isoformat(),
            "changes": list(self.changes),
        }


def pki_dir(state_dir: Path) -> Path:
    return state_dir / PKI_DIR


def _private(path: Path) -> None:
    """A key file stays its owner's only (a copy with wider modes is narrowed, not rewritten)."""
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)


def _error(path: Path, message: str, hint: str) -> BerthError:
    return BerthError(message, hint=hint, location=Location(str(path)))  # the location names the file


def _ensure_ca(
    directory: Path, site: str, now: datetime
) -> tuple[x509.Certificate, IssuerKey | None, list[str]]:
    """(ca certificate, ca key or None, changes): an existing CA as it is, or a new one when there is none."""
    from berth_cli.pki.issue import load_ca_certificate, load_ca_key, new_ca
    from berth_cli.state.files import write_atomic

    cert_path, key_path = directory / CA_CERT, directory / CA_KEY
    changes: list[str] = []
    if not cert_path.exists() and not key_path.exists():
        key_pem, cert_pem = new_ca(site, now)
        write_atomic(key_path, key_pem.decode("ascii"))  # the key first: a certificate never lacks it
        write_atomic(cert_path, cert_pem.decode("ascii"), mode=0o644)
        changes.append(f"created the site CA {cert_path}")
    elif not cert_path.exists():
        raise _error(
            cert_path,
            f"missing, but its key {key_path} exists; berth does not replace a CA silently",
            f"restore ca.crt from a backup; to start a new CA instead (every client must trust it again) "
            f"move ca.key away ({DOCS})",
        )
    try:
        cert = load_ca_certificate(cert_path.read_bytes())
    except ValueError:
        raise _error(
            cert_path, "not a PEM certificate", f"restore it from a backup, or put your own CA's ({DOCS})"
        ) from None
    key: IssuerKey | None = None
    if key_path.exists():
        _private(key_path)
        try:
            key = load_ca_key(key_path.read_bytes(), cert)
        except ValueError as exc:
            raise _error(
                key_path,
                f"unusable: {exc}; berth does not replace a CA silently",
                f"restore ca.key from a backup, or remove it and place an api.pem your PKI issued ({DOCS})",
            ) from None
    return cert, key, changes


def ensure_site_pki(state_dir: Path, site: str, tls: PublicTls, now: datetime | None = None) -> TlsMaterial:
    """The site CA and the certificate of its API address, kept when valid, made or re-issued otherwise."""
    from berth_cli.pki.issue import intermediates, issue_server, server_facts
    from berth_cli.pki.policy import CertFacts, ca_problem, reissue_reason
    from berth_cli.state.files import private_dir, write_atomic

    moment = now or datetime.now(UTC)
    directory = private_dir(pki_dir(state_dir))
    ca_cert, ca_key, changes = _ensure_ca(directory, site, moment)
    pem_path = directory / SERVER_PEM
    facts: CertFacts | None = None
    reason: str | None
    if pem_path.exists():
        _private(pem_path)
        try:
            facts = server_facts(pem_path.read_bytes(), ca_cert)
        except ValueError as exc:
            reason = f"it is unreadable: {exc}"
        else:
            reason = reissue_reason(facts, tls.sans, moment, exact=ca_key is not None)
    else:
        reason = reissue_reason(None, tls.sans, moment)
    if reason is not None:
        if ca_key is None:
            raise _error(
                pem_path,
                f"must be issued again ({reason}), and the site CA's key {directory / CA_KEY} is absent",
                "put the CA's key back as ca.key, or place a certificate your PKI issued for "
                f"{', '.join(str(s) for s in sorted(tls.sans))} in api.pem (certificate, chain, key; {DOCS})",
            )
        problem = ca_problem(ca_cert.not_valid_after_utc, moment)
        if problem:
            raise _error(directory / CA_CERT, problem, f"replace the site CA ({DOCS})")
        chain = intermediates((directory / CA_CERT).read_bytes())
        pem = issue_server(ca_cert, ca_key, tls.sans, tls.host.strip("[]"), moment, chain=chain)
        write_atomic(pem_path, pem.decode("ascii"))
        changes.append(f"issued {pem_path}: {reason}")
        facts = server_facts(pem, ca_cert)
    if facts is None:  # unreachable: an unreadable or missing PEM was issued just above
        raise _error(pem_path, "could not be read after it was written", "re-run the deploy")
    return TlsMaterial(
        ca_certificate=directory / CA_CERT,
        server_pem=pem_path,
        endpoint_base=tls.endpoint_base,
        not_after=facts.not_after,
        changes=tuple(changes),
    )
