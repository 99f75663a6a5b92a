"""Whether a site serves its APIs over TLS, at which address and names (pure: site vars in, settings out).

A site asks for TLS in any file of `inventory/<site>/group_vars/all/` (plain settings, no secrets):

    berth_public_tls: true              # serve every API over https on the public address (default false)
    berth_public_address: 10.251.0.10   # IP clients reach the APIs at (default: berth_internal_vip, else
                                        # berth_internal_address)
    berth_public_names: [api.example]   # DNS names of that address (optional); the first is the URL's host

Without `berth_public_tls: true` nothing here applies and the site stays plain http on
berth_internal_address, as before. berth reads these before Ansible runs, so they must be plain values.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Literal

from berth_cli.ansible.vars_files import SiteVars
from berth_core.errors import UsageError

TLS_VAR = "berth_public_tls"
ADDRESS_VAR = "berth_public_address"
NAMES_VAR = "berth_public_names"
# Where the address comes from when the site does not name one: the VIP HAProxy binds, else the address
# clients already use. Each of them that is set is also named by the certificate (services reach it too).
ADDRESS_FALLBACKS = ("berth_internal_vip", "berth_internal_address")
KEYSTONE_PORT = 5000
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


@dataclass(frozen=True, order=True)
class San:
    """One subjectAltName: an IP address (normalised) or a DNS name (lowercase ASCII, IDNA for Unicode)."""

    kind: Literal["dns", "ip"]
    value: str

    def __str__(self) -> str:
        return f"{'IP' if self.kind == 'ip' else 'DNS'}:{self.value}"


@dataclass(frozen=True)
class PublicTls:
    """What a TLS site serves: its address, its names, and every name its certificate must carry."""

    address: str
    names: tuple[str, ...]
    sans: frozenset[San]

    @property
    def host(self) -> str:
        """The host of the site's URLs: its first DNS name, else its address."""
        if self.names:
            return self.names[0]
        return f"[{self.address}]" if ":" in self.address else self.address

    @property
    def endpoint_base(self) -> str:
        """scheme://host of every public endpoint, without a port (`berth_public_endpoint_base`)."""
        return f"https://{self.host}"

    @property
    def auth_url(self) -> str:
        return f"{self.endpoint_base}:{KEYSTONE_PORT}/v3"


def _plain(site: SiteVars, name: str) -> Any:
    value = site.get(name)
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        raise UsageError(
            f"{name} is a template; berth reads it before Ansible runs",
            hint="write the value itself (an address, a name, true or false)",
            location=site.location(name),
        )
    return value


def _ip(site: SiteVars, name: str) -> str:
    value = _plain(site, name)
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        raise UsageError(
            f"{name} must be an IP address, not {value!r}",
            hint=f"put DNS names in {NAMES_VAR}",
            location=site.location(name),
        ) from None


def dns_name(text: str) -> str:
    """A DNS name as a certificate carries it: lowercase A-labels, no trailing dot; `*.` only leftmost.
    ValueError says what is wrong."""
    name = text.strip().rstrip(".")
    wildcard = name.startswith("*.")
    if wildcard:
        name = name[2:]
    try:
        ascii_name = name.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise ValueError(f"{text!r} is not a valid DNS name ({exc})") from None
    labels = ascii_name.split(".")
    if not name or len(ascii_name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"{text!r} is not a valid DNS name")
    return f"*.{ascii_name}" if wildcard else ascii_name


def san_of(text: str) -> San:
    """An IP literal as an IP SAN, anything else as a DNS name (ValueError when it is neither)."""
    try:
        return San("ip", str(ipaddress.ip_address(text.strip())))
    except ValueError:
        return San("dns", dns_name(text))


def _names(site: SiteVars) -> tuple[str, ...]:
    value = _plain(site, NAMES_VAR)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{NAMES_VAR} must be a list of DNS names", location=site.location(NAMES_VAR))
    names: list[str] = []
    for text in value:
        if "{{" in text or "{%" in text:
            raise UsageError(
                f"{NAMES_VAR} holds a template; berth reads it before Ansible runs",
                hint="write the names themselves",
                location=site.location(NAMES_VAR),
            )
        try:
            name = dns_name(text)
        except ValueError as exc:
            raise UsageError(
                str(exc), hint="IP addresses go in berth_public_address", location=site.location(NAMES_VAR)
            ) from None
        if name not in names:
            names.append(name)
    return tuple(names)


def tls_requested(site: SiteVars) -> bool:
    value = _plain(site, TLS_VAR)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise UsageError(f"{TLS_VAR} must be true or false, not {value!r}", location=site.location(TLS_VAR))
    return value


def public_tls(site: SiteVars) -> PublicTls | None:
    """The site's TLS settings, or None when it serves plain http (the default)."""
    if not tls_requested(site):
        return None
    chosen = next((n for n in (ADDRESS_VAR, *ADDRESS_FALLBACKS) if site.get(n) not in (None, "")), None)
    if chosen is None:
        raise UsageError(
            f"{TLS_VAR} is true but the site has no address to serve it on",
            hint=f"set {ADDRESS_VAR} (the API VIP) in group_vars/all",
            location=site.location(TLS_VAR),
        )
    address = _ip(site, chosen)
    names = _names(site)
    sans = {San("ip", address), *(San("dns", n) for n in names)}
    for other in ADDRESS_FALLBACKS:
        if other != chosen and site.get(other) not in (None, ""):
            try:
                sans.add(san_of(str(_plain(site, other))))
            except ValueError as exc:
                raise UsageError(str(exc), location=site.location(other)) from None
    return PublicTls(address=address, names=names, sans=frozenset(sans))
