"""Lifetimes of the site's certificates and the decisions about them (pure: facts and a clock in, a verdict out).

Lifetimes, for a city's operators:
- the CA: 10 years. It is the anchor every client, host and agency tool is told to trust; replacing it means
  redistributing it, a planned change, not something a deploy does. Its key never leaves the deploy host.
- the API certificate: 1 year, re-issued by `berth cloud deploy` once fewer than 30 days remain (or at once
  when the site's addresses or names change). A year is well inside what clients accept for a private CA
  (Apple platforms refuse TLS server certificates valid for more than 825 days) and a deploy a month is a
  modest habit to ask for; a key that leaks stops being useful within the year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from berth_cli.pki.settings import San

CA_LIFETIME = timedelta(days=3650)
SERVER_LIFETIME = timedelta(days=365)
RENEW_BEFORE = timedelta(days=30)
# A fresh certificate is valid from a little before now: hosts whose clock trails the deploy host's accept it.
BACKDATE = timedelta(minutes=5)


@dataclass(frozen=True)
class CertFacts:
    """What a decision needs to know about a server certificate (read by berth_cli.pki.issue)."""

    sans: frozenset[San]
    not_before: datetime
    not_after: datetime
    chains_to_ca: bool  # signed by the site's ca.crt (directly, or through the intermediates of its PEM)
    key_matches: bool  # the PEM's private key is the certificate's
    server_auth: bool  # extended key usage serverAuth


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def _listed(sans: frozenset[San]) -> str:
    return ", ".join(str(s) for s in sorted(sans))


def reissue_reason(
    current: CertFacts | None, wanted: frozenset[San], now: datetime, *, exact: bool = True
) -> str | None:
    """Why the certificate must be issued again, or None to keep it as it is.

    `exact`: it must name the site's addresses and names and nothing else (berth's own certificates);
    otherwise (one the operator's PKI issued, berth holding no CA key) naming more is accepted."""
    if current is None:
        return "there is no certificate yet"
    missing, extra = wanted - current.sans, current.sans - wanted
    checks = (
        (not current.key_matches, "its private key is not the certificate's"),
        (not current.chains_to_ca, "it is not signed by the site's CA (ca.crt)"),
        (not current.server_auth, "it is not for TLS servers (no serverAuth extended key usage)"),
        (bool(missing), f"it does not name {_listed(missing)}"),
        (exact and bool(extra), f"it names {_listed(extra)}, which the site no longer serves"),
        (current.not_before > now + BACKDATE, f"it is not valid before {_day(current.not_before)}"),
        (
            current.not_after - now < RENEW_BEFORE,
            f"it expires on {_day(current.not_after)} (renewed {RENEW_BEFORE.days} days before)",
        ),
    )
    return next((reason for failed, reason in checks if failed), None)


def ca_problem(ca_not_after: datetime, now: datetime) -> str | None:
    """Why the CA cannot sign a certificate worth issuing (it would expire with the CA), or None."""
    if ca_not_after <= now:
        return f"the site's CA expired on {_day(ca_not_after)}"
    if ca_not_after - now < RENEW_BEFORE:
        return f"the site's CA expires on {_day(ca_not_after)}, within {RENEW_BEFORE.days} days"
    return None


def ca_validity(now: datetime) -> tuple[datetime, datetime]:
    return now - BACKDATE, now + CA_LIFETIME


def server_validity(now: datetime, ca_not_after: datetime) -> tuple[datetime, datetime]:
    """A server certificate's validity: a year from now, never past its CA's end."""
    return now - BACKDATE, min(now + SERVER_LIFETIME, ca_not_after)
