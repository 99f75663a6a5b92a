"""A security-group rule in words, for reviewers: `ingress tcp 443 from 10.64.0.0/12`.

Works on a rule's state attributes (berth_core.desired.rule_identity, or what the cloud holds), so a
planned, changed or deleted rule reads the same. A rule open to the whole Internet says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from berth_core.i18n import translate
from berth_core.state import Json

WORLD_PREFIXES = frozenset({"0.0.0.0/0", "::/0"})


def is_world_open(attrs: Mapping[str, Json]) -> bool:
    """True for a rule whose source (egress: destination) is every address; Neutron reads none as every."""
    if attrs.get("remoteGroup"):
        return False
    prefix = attrs.get("remoteIpPrefix")
    return not prefix or prefix in WORLD_PREFIXES


def _what(attrs: Mapping[str, Json], lang: str) -> str:
    protocol = attrs.get("protocol")
    what = translate("plan.rule.any", lang) if protocol is None else str(protocol)
    low, high = attrs.get("portRangeMin"), attrs.get("portRangeMax")
    if low is not None:
        what += f" {low}" if high in (None, low) else f" {low}-{high}"
    return what


def _source(attrs: Mapping[str, Json], lang: str) -> str:
    group = attrs.get("remoteGroup")
    if group:
        return translate("plan.rule.group", lang, name=str(group).rsplit("/", 1)[-1])
    prefix = attrs.get("remoteIpPrefix")
    # the cloud may hold a rule without a source (not berth's): that is every address, shown as such
    return str(prefix) if prefix else ("::/0" if attrs.get("ethertype") == "IPv6" else "0.0.0.0/0")


def rule_words(attrs: Mapping[str, Json], lang: str) -> str:
    """`ingress tcp 443 from 10.64.0.0/12`, `egress any to 0.0.0.0/0 (open to the Internet)`."""
    code = "plan.rule.egress" if attrs.get("direction") == "egress" else "plan.rule.ingress"
    text = translate(code, lang, what=_what(attrs, lang), source=_source(attrs, lang))
    return f"{text} ({translate('plan.rule.world', lang)})" if is_world_open(attrs) else text
