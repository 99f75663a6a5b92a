"""The exporter's HTTP server on loopback: pre-rendered snapshot, gzip when asked, 404 elsewhere."""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request

import pytest

from berth_core.errors import UsageError
from berth_exporters.app import parse_listen, serve
from tests.prometheus.server import free_port
from tests.unit.test_exporter_render import recorded, refresher_for


@pytest.fixture
def served():
    ref, _ = refresher_for(recorded())
    ref.refresh_once()
    port = free_port()
    http = serve(ref, f"127.0.0.1:{port}")
    yield ref, f"http://127.0.0.1:{port}"
    http.shutdown()


def test_metrics_plain_and_gzipped_are_the_same_snapshot(served):
    _ref, base = served
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as r:
        plain = r.read()
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    request = urllib.request.Request(f"{base}/metrics", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as r:
        assert r.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(r.read()) == plain
    assert b'berth_host_allocatable_vcpus{host="aio-c3",zone="edge"} 21.0' in plain


def test_a_new_refresh_is_served_at_once(served):
    ref, base = served
    before = urllib.request.urlopen(f"{base}/metrics", timeout=10).read()
    ref.refresh_once()
    after = urllib.request.urlopen(f"{base}/metrics", timeout=10).read()
    assert before != after  # the snapshot timestamp and durations moved with the new round


def test_unknown_path_is_404(served):
    _ref, base = served
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{base}/nope", timeout=10)
    assert err.value.code == 404


def test_listen_defaults_and_errors():
    assert parse_listen("127.0.0.1:9180") == ("127.0.0.1", 9180)
    assert parse_listen(":9180") == ("127.0.0.1", 9180)
    assert parse_listen("[::1]:9180") == ("::1", 9180)
    for bad in ("9180", "localhost:9180", "127.0.0.1:http", "127.0.0.1:70000"):
        with pytest.raises(UsageError):
            parse_listen(bad)


def test_a_taken_port_is_a_usage_error(served):
    ref, base = served
    with pytest.raises(UsageError):
        serve(ref, base.removeprefix("http://"))
