"""A real Prometheus server scrapes the exporter over HTTP; PromQL through its API returns our values.

The exporter here replays recorded observations (no OpenStack needed); tests/integration does the same
against the devcloud. Also: every dashboard expression evaluates and names only metrics the exporter emits.
"""

from __future__ import annotations

import urllib.request

import pytest

from berth_exporters.app import serve
from tests.prometheus import server
from tests.prometheus.dashboard import expressions, metric_names, scraped_names
from tests.unit.test_exporter_render import ROOT, recorded, refresher_for

pytestmark = [
    pytest.mark.prometheus,
    pytest.mark.skipif(not server.available(), reason="Debian's prometheus is not installed"),
]


@pytest.fixture(scope="module")
def scraped(tmp_path_factory):
    observations = recorded()
    ref, _ = refresher_for(observations)
    ref.refresh_once()
    port = server.free_port()
    http = serve(ref, f"127.0.0.1:{port}")
    rules = ROOT / "monitoring" / "rules" / "berth-capacity.rules.yml"
    try:
        with server.running_prometheus(
            tmp_path_factory.mktemp("prom"), [f"127.0.0.1:{port}"], [rules]
        ) as prom:
            prom.wait_for("berth_exporter_build_info")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
                text = r.read().decode()
            yield prom, text, observations, ref
    finally:
        http.shutdown()


def test_promql_returns_the_exporters_values(scraped):
    prom, _text, _obs, _ref = scraped
    assert prom.value('berth_host_allocatable_vcpus{host="aio-c3"}') == 21
    assert prom.value("berth_cloud_headroom_vcpus") == 405 - 48
    assert prom.value('sum(berth_flavor_fit_instances{flavor="m1.large"})') == 11 + 25 + 0
    assert prom.value('berth_tenant_quota{tenant="so-y-te",resource="cores"}') == 16
    info = prom.query('berth_tenant_info{tenant="so-y-te"}')
    assert info[0]["metric"]["display_name"] == "Sở Y tế Hải Phòng"
    assert prom.value('sum by (agency) (berth_tenant_quota{agency="TTDL",resource="cores"})') == 32
    assert prom.value('berth_exporter_collector_up{collector="blockstorage"}') == 1


def test_every_family_is_scraped(scraped):
    _prom, text, _obs, _ref = scraped
    names = scraped_names(text)
    for family in (
        "berth_host_capacity_vcpus",
        "berth_zone_used_bytes",
        "berth_cloud_committed_bytes",
        "berth_cloud_headroom_vcpus",
        "berth_tenant_usage",
        "berth_tenant_quota_bytes",
        "berth_tenant_info",
        "berth_flavor_fit_instances",
        "berth_address_pool_allocated_prefixes",
        "berth_exporter_collector_up",
        "berth_exporter_collector_last_success_timestamp_seconds",
        "berth_exporter_collector_duration_seconds",
        "berth_exporter_collector_errors_total",
        "berth_exporter_build_info",
    ):
        assert family in names, family


def test_dashboard_names_only_metrics_the_exporter_emits(scraped):
    _prom, text, _obs, _ref = scraped
    exprs = expressions()
    assert len(exprs) > 20
    unknown = metric_names(exprs) - scraped_names(text)
    assert not unknown, f"dashboard references metrics the exporter does not emit: {sorted(unknown)}"


def test_every_dashboard_expression_evaluates_to_data(scraped):
    prom, _text, _obs, _ref = scraped
    prom.wait_for("increase(berth_exporter_project_errors_total[1m])")  # range functions need two scrapes
    empty = [e for e in expressions() if not prom.query(e)]
    assert not empty, f"dashboard expressions without data: {empty}"


def test_prometheus_loaded_the_alert_rules(scraped):
    prom, _text, _obs, _ref = scraped
    groups = prom.api("rules")["groups"]
    names = {r["name"] for g in groups for r in g["rules"]}
    assert {"BerthQuotaHeadroomLow", "BerthTenantNearQuota", "BerthExporterCollectorDown"} <= names
    assert all(r["health"] != "err" for g in groups for r in g["rules"])
