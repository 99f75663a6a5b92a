"""monitoring/: alert rules pass `promtool check rules` and their `promtool test rules` unit tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.prometheus
ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "monitoring" / "rules"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool (Debian package prometheus) is not installed"
)


def promtool(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, check=False)


@needs_promtool
def test_rules_are_valid():
    done = promtool("check", "rules", str(RULES / "berth-capacity.rules.yml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 7 rules found" in done.stdout


@needs_promtool
def test_rule_unit_tests_pass():
    done = promtool("test", "rules", "berth-capacity.rules.test.yml", cwd=RULES)
    assert done.returncode == 0, done.stdout + done.stderr


@needs_promtool
def test_rule_unit_tests_can_fail(tmp_path):
    # a wrong expectation must make promtool fail, or the test above proves nothing
    (tmp_path / "berth-capacity.rules.yml").write_text((RULES / "berth-capacity.rules.yml").read_text())
    broken = (
        (RULES / "berth-capacity.rules.test.yml")
        .read_text()
        .replace('summary: "Tenant so-y-te (SYT)', 'summary: "Tenant other (SYT)')
    )
    (tmp_path / "t.yml").write_text(broken)
    done = promtool("test", "rules", "t.yml", cwd=tmp_path)
    assert done.returncode != 0


@needs_promtool
def test_scrape_config_is_valid():
    done = promtool("check", "config", str(ROOT / "monitoring" / "prometheus.yml"))
    assert done.returncode == 0, done.stdout + done.stderr
