"""neutron-server dies while an apply is under way: the apply fails clearly (exit 5, naming what it could
not do), nothing is left half-owned, and once neutron is back a re-run converges with no duplicate.

The apply runs as its own process; as soon as it reports the tenant's project created, neutron's process
group is killed (SIGKILL: a crash, which is faster than any stop and leaves the apply mid-tenant).
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.integration.services import NEUTRON_API, check_supervised, kill_now, start_and_wait

MANIFEST = """\
apiVersion: berth/v1
kind: Tenant
metadata:
  name: {slug}
  displayName: Thử nghiệm sự cố neutron
  agency: ITEST
  contact: {{name: Kiểm Thử, email: test@berth.invalid}}
spec:
  quota: {{class: default, overrides: {{networks: 4, subnets: 4}}}}
  networks:
    - {{name: app, prefixLength: 28}}
    - {{name: db, prefixLength: 28}}
    - {{name: cache, prefixLength: 28}}
    - {{name: mgmt, prefixLength: 28}}
  router: {{external: false}}
  securityGroups:
    - name: web
      rules:
        - {{direction: ingress, protocol: tcp, ports: "443", remote: 10.64.0.0/12}}
        - {{direction: ingress, protocol: tcp, ports: "80", remote: 10.64.0.0/12}}
    - name: db
      rules:
        - {{direction: ingress, protocol: tcp, ports: "5432", remoteGroup: web}}
"""

pytestmark = [pytest.mark.openstack, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BERTH = ROOT / ".venv" / "bin" / "berth"


def test_apply_with_neutron_down_fails_cleanly_and_converges_after(
    clouds_yaml: Path, conn: Any, tmp_path: Path
) -> None:
    slug = f"berth-it-{uuid.uuid4().hex[:8]}"
    root, state = tmp_path / "root", tmp_path / "state"
    (root / "inventory" / "aio").mkdir(parents=True)
    shutil.copy(ROOT / "inventory" / "aio" / "cloud.yml", root / "inventory" / "aio")
    (root / "manifests").mkdir()
    (root / "manifests" / f"{slug}.yaml").write_text(
        MANIFEST.format(slug=slug, n=9, overrides=""), encoding="utf-8"
    )
    (state / "aio").mkdir(parents=True)
    shutil.copy(clouds_yaml, state / "aio" / "clouds.yaml")
    env = {"BERTH_ROOT": str(root), "BERTH_STATE_DIR": str(state), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}

    def berth(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BERTH), "--site", "aio", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
            check=False,
        )

    try:
        assert berth("plan").returncode == 0
        check_supervised(NEUTRON_API)
        apply = subprocess.Popen(
            [str(BERTH), "--site", "aio", "apply", "--yes"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert apply.stderr is not None
        seen: list[str] = []
        try:
            for line in apply.stderr:
                seen.append(line)
                if f"create project/{slug}" in line and "✓" in line:
                    kill_now(NEUTRON_API)
                    break
            seen.extend(apply.stderr)
            assert apply.wait(timeout=300) == 5, "".join(seen)[-3000:]
        finally:
            start_and_wait(NEUTRON_API)
        output = "".join(seen)
        assert "Traceback" not in output
        errors = [ln for ln in seen if ln.startswith("Error:")]
        assert len(errors) == 1 and f"/{slug}" in errors[0], output[-3000:]
        assert "re-run" in output  # the hint says what to do
        assert len(list(conn.identity.projects(name=slug))) == 1

        converged = berth("apply", "--yes")
        assert converged.returncode == 0, converged.stderr[-3000:]
        assert berth("plan", "--detailed-exitcode").returncode == 0
        projects = list(conn.identity.projects(name=slug))
        assert len(projects) == 1, "re-run adopted the project instead of making another"
        subnets = list(conn.network.subnets(project_id=projects[0].id))
        assert len(subnets) == 4, "no duplicate subnet"
        pid = projects[0].id
        networks = list(conn.network.networks(project_id=pid))
        assert sorted(n.name for n in networks) == ["app", "cache", "db", "mgmt"]
        assert all("berth:managed" in n.tags and f"berth:tenant={slug}" in n.tags for n in networks)
        groups = [g.name for g in conn.network.security_groups(project_id=pid) if g.name != "default"]
        assert sorted(groups) == ["db", "web"]
        audit = berth("-o", "json", "audit", "list")
        assert '"result": "failed"' in audit.stdout and '"result": "ok"' in audit.stdout
    finally:
        berth("tenant", "destroy", slug, "--yes", "--reason", "test cleanup", "--delete-project")
