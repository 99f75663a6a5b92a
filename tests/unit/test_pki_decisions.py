"""The PKI's pure decisions, without files or keys: which TLS a site asks for, which names its certificate
must carry, when a certificate is issued again, and what a CA can still sign."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from berth_cli.ansible.vars_files import SiteVars
from berth_cli.pki.policy import (
    CA_LIFETIME,
    RENEW_BEFORE,
    SERVER_LIFETIME,
    CertFacts,
    ca_problem,
    ca_validity,
    reissue_reason,
    server_validity,
)
from berth_cli.pki.settings import San, dns_name, public_tls, san_of
from berth_core.errors import UsageError

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
VIP = San("ip", "10.251.0.10")
API = San("dns", "api.lab.example")


def site(**values: Any) -> SiteVars:
    return SiteVars(values, {k: "inventory/s/group_vars/all/tls.yml" for k in values})


# --- settings: which TLS a site asks for ---------------------------------------------------------------


def test_a_site_without_tls_settings_stays_plain() -> None:
    assert public_tls(site()) is None
    assert public_tls(site(berth_internal_address="127.0.0.1")) is None
    assert public_tls(site(berth_public_tls=False, berth_public_names=["ignored"])) is None


def test_the_address_falls_back_to_the_vip_then_the_internal_address() -> None:
    own = public_tls(
        site(berth_public_tls=True, berth_public_address="192.0.2.7", berth_internal_vip="10.0.0.5")
    )
    assert own is not None and own.address == "192.0.2.7"
    vip = public_tls(
        site(berth_public_tls=True, berth_internal_vip="10.0.0.5", berth_internal_address="10.0.0.6")
    )
    assert vip is not None and vip.address == "10.0.0.5"
    internal = public_tls(site(berth_public_tls=True, berth_internal_address="10.0.0.6"))
    assert internal is not None and internal.address == "10.0.0.6"


def test_the_certificate_names_every_address_clients_use_and_every_name() -> None:
    tls = public_tls(
        site(
            berth_public_tls=True,
            berth_public_address="192.0.2.7",
            berth_internal_vip="10.251.0.10",
            berth_public_names=["API.Lab.Example.", "api.lab.example", "*.apps.lab.example"],
        )
    )
    assert tls is not None
    assert tls.names == ("api.lab.example", "*.apps.lab.example"), "normalised, duplicates dropped"
    assert tls.sans == {San("ip", "192.0.2.7"), VIP, API, San("dns", "*.apps.lab.example")}


def test_urls_use_the_first_name_else_the_address() -> None:
    named = public_tls(
        site(berth_public_tls=True, berth_internal_vip="10.251.0.10", berth_public_names=["api.lab.example"])
    )
    assert named is not None
    assert named.endpoint_base == "https://api.lab.example"
    assert named.auth_url == "https://api.lab.example:5000/v3"
    bare = public_tls(site(berth_public_tls=True, berth_internal_vip="10.251.0.10"))
    assert bare is not None and bare.auth_url == "https://10.251.0.10:5000/v3"
    six = public_tls(site(berth_public_tls=True, berth_public_address="2001:db8::0:1"))
    assert six is not None and six.endpoint_base == "https://[2001:db8::1]"
    assert six.sans == {San("ip", "2001:db8::1")}


def test_unicode_names_become_idna() -> None:
    # the same A-label as the idna package (IDNA 2008) gives
    assert dns_name("cloud.sở-y-tế.vn") == "cloud.xn--s-y-t-s61b1i.vn"
    assert san_of(" 10.0.0.1 ") == San("ip", "10.0.0.1")
    assert san_of("API.example") == San("dns", "api.example")


@pytest.mark.parametrize(
    "bad", ["-api.example", "api..example", "a" * 64 + ".example", "api.*.example", "", "a b"]
)
def test_invalid_dns_names_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a valid DNS name"):
        dns_name(bad)


@pytest.mark.parametrize(
    ("values", "message", "field"),
    [
        ({"berth_public_tls": "yes please"}, "must be true or false", "berth_public_tls"),
        ({"berth_public_tls": "{{ tls }}"}, "is a template", "berth_public_tls"),
        ({"berth_public_tls": True}, "no address to serve it on", "berth_public_tls"),
        (
            {"berth_public_tls": True, "berth_public_address": "api.example"},
            "must be an IP address",
            "berth_public_address",
        ),
        (
            {"berth_public_tls": True, "berth_internal_vip": "{{ vip }}"},
            "is a template",
            "berth_internal_vip",
        ),
        (
            {"berth_public_tls": True, "berth_internal_vip": "10.0.0.1", "berth_public_names": [1]},
            "list of DNS names",
            "berth_public_names",
        ),
        (
            {
                "berth_public_tls": True,
                "berth_internal_vip": "10.0.0.1",
                "berth_public_names": ["a_b.example"],
            },
            "not a valid DNS name",
            "berth_public_names",
        ),
        (
            {"berth_public_tls": True, "berth_internal_vip": "10.0.0.1", "berth_public_names": ["{{ n }}"]},
            "template",
            "berth_public_names",
        ),
    ],
)
def test_wrong_settings_are_located_errors(values: dict[str, Any], message: str, field: str) -> None:
    with pytest.raises(UsageError, match=message) as err:
        public_tls(site(**values))
    assert err.value.location is not None
    assert err.value.location.field == field
    assert err.value.location.file.endswith("group_vars/all/tls.yml")


# --- policy: when a certificate is issued again ---------------------------------------------------------


def facts(**changes: Any) -> CertFacts:
    base: dict[str, Any] = {
        "sans": frozenset({VIP, API}),
        "not_before": NOW - timedelta(days=10),
        "not_after": NOW + timedelta(days=300),
        "chains_to_ca": True,
        "key_matches": True,
        "server_auth": True,
    }
    return CertFacts(**{**base, **changes})


WANTED = frozenset({VIP, API})


def test_a_valid_certificate_is_kept() -> None:
    assert reissue_reason(facts(), WANTED, NOW) is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"key_matches": False}, "private key is not the certificate's"),
        ({"chains_to_ca": False}, "not signed by the site's CA"),
        ({"server_auth": False}, "serverAuth"),
        ({"sans": frozenset({VIP})}, "does not name DNS:api.lab.example"),
        (
            {"sans": frozenset({VIP, API, San("ip", "10.0.0.9")})},
            "names IP:10.0.0.9, which the site no longer serves",
        ),
        ({"not_before": NOW + timedelta(days=2)}, "not valid before 2026-06-03"),
        ({"not_after": NOW + RENEW_BEFORE - timedelta(seconds=1)}, "expires on 2026-07-01"),
        ({"not_after": NOW - timedelta(days=1)}, "expires on 2026-05-31"),
    ],
)
def test_reasons_to_issue_again(changes: dict[str, Any], reason: str) -> None:
    found = reissue_reason(facts(**changes), WANTED, NOW)
    assert found is not None and reason in found


def test_renewal_starts_thirty_days_before_expiry() -> None:
    assert reissue_reason(facts(not_after=NOW + RENEW_BEFORE), WANTED, NOW) is None
    assert reissue_reason(facts(not_after=NOW + RENEW_BEFORE - timedelta(minutes=1)), WANTED, NOW) is not None


def test_no_certificate_yet() -> None:
    assert reissue_reason(None, WANTED, NOW) == "there is no certificate yet"


def test_a_certificate_of_the_operators_pki_may_name_more() -> None:
    wider = facts(sans=frozenset({VIP, API, San("dns", "other.example")}))
    assert reissue_reason(wider, WANTED, NOW, exact=False) is None
    assert reissue_reason(wider, WANTED, NOW, exact=True) is not None
    narrower = facts(sans=frozenset({VIP}))
    assert reissue_reason(narrower, WANTED, NOW, exact=False) is not None, "never fewer names"


def test_lifetimes() -> None:
    assert (CA_LIFETIME.days, SERVER_LIFETIME.days) == (3650, 365)
    start, end = ca_validity(NOW)
    assert start < NOW and end == NOW + CA_LIFETIME
    start, end = server_validity(NOW, NOW + CA_LIFETIME)
    assert start < NOW < start + timedelta(hours=1) and end == NOW + SERVER_LIFETIME


def test_a_certificate_never_outlives_its_ca() -> None:
    ca_end = NOW + timedelta(days=100)
    assert server_validity(NOW, ca_end)[1] == ca_end


def test_a_ca_about_to_expire_signs_nothing() -> None:
    assert ca_problem(NOW + timedelta(days=400), NOW) is None
    soon = ca_problem(NOW + timedelta(days=29), NOW)
    assert soon is not None and "expires on 2026-06-30" in soon
    gone = ca_problem(NOW - timedelta(days=1), NOW)
    assert gone is not None and "expired on 2026-05-31" in gone
