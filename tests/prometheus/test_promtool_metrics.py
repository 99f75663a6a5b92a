"""`promtool check metrics` on the exporter's real output reports nothing (naming, units, _total)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from prometheus_client import generate_latest

from tests.unit.test_exporter_render import recorded, refresher_for

pytestmark = pytest.mark.prometheus
PROMTOOL = shutil.which("promtool")


@pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian package prometheus) is not installed")
def test_promtool_check_metrics_is_silent_on_a_full_scrape():
    observations = recorded()
    ref, reg = refresher_for(observations)
    ref.refresh_once()
    observations["blockstorage"] = RuntimeError("down")  # error counters and stale marks present too
    ref.refresh_once()
    text = generate_latest(reg)
    assert b"berth_tenant_info" in text and b"berth_flavor_fit_instances" in text
    done = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, check=False)
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    assert done.stdout.decode().strip() == "" and done.stderr.decode().strip() == ""


@pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian package prometheus) is not installed")
def test_promtool_would_complain_about_a_bad_name():
    # the check above means something only if promtool does flag lint problems on this input path
    bad = b"# HELP berth_bad_total a gauge named like a counter\n# TYPE berth_bad_total gauge\nberth_bad_total 1\n"
    done = subprocess.run([PROMTOOL, "check", "metrics"], input=bad, capture_output=True, check=False)
    assert done.returncode != 0 or done.stdout.strip() or done.stderr.strip()
