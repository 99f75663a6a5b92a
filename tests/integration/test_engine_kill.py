"""An apply process killed with SIGKILL in the middle of its work: the re-run converges, with no
duplicate and nothing left unowned (marker `openstack`; the services keep running throughout).

The child applies a two-network tenant and prints one line per progress event, waiting for the
parent's go at each change it starts; the parent lets the Nth change start, gives it a moment to be
in flight, and kills the child by its PID: between a create and whatever follows it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.openstack

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from tests.integration.test_engine_apply import SITE, manifest, plan_for
    from berth_cloud import apply, connect

    cloud = connect(None, Path({clouds!r}))
    plan, desired, observed = plan_for(cloud, [manifest({slug!r}, egress=True)])

    def report(event):
        print(event.status, event.key, flush=True)
        if event.status == "start":
            sys.stdin.readline()  # lock-step with the parent, so the kill lands where it means to

    apply(cloud, plan, desired, observed, progress=report, workers=1)
    print("finished", flush=True)
    """
)


@pytest.mark.parametrize("kill_at", [3, 7, 9, 11])  # of 14 changes: network, router, interface, group
def test_a_killed_apply_converges_on_re_run(clouds_yaml, kill_at):
    from berth_cloud import apply, connect, purge_tenant
    from tests.integration.test_engine_apply import SITE, manifest, neutron, plan_for

    slug = f"it-{uuid.uuid4().hex[:8]}"
    script = CHILD.format(root=str(ROOT), clouds=str(clouds_yaml), slug=slug)
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    cloud = connect(None, clouds_yaml)
    try:
        started = 0
        assert child.stdout is not None and child.stdin is not None
        for line in child.stdout:
            if line.startswith("start"):
                started += 1
                child.stdin.write("go\n")
                child.stdin.flush()
                if started == kill_at:
                    time.sleep(0.1)  # let the request go out; not a timing assertion
                    os.kill(child.pid, signal.SIGKILL)
                    break
        child.wait(timeout=60)
        assert child.returncode == -signal.SIGKILL

        plan, desired, observed = plan_for(cloud, [manifest(slug, egress=True)])
        assert plan.has_changes
        apply(cloud, plan, desired, observed)
        plan, desired, observed = plan_for(cloud, [manifest(slug, egress=True)])
        assert not plan.has_changes
        assert all(observed.resources[k].managed for k in desired.resources)  # nothing left unowned
        pid = observed.resources[f"project/{slug}"].ref
        for path, field, names in (
            ("/networks", "networks", ["app", "db"]),
            ("/subnets", "subnets", ["app", "db"]),
            ("/routers", "routers", [f"{slug}-router"]),
        ):
            assert sorted(x["name"] for x in neutron(cloud, path, field, project_id=pid)) == names
        groups = [g["name"] for g in neutron(cloud, "/security-groups", "security_groups", project_id=pid)]
        assert sorted(g for g in groups if g != "default") == ["db", "web"]  # Neutron makes "default"
    finally:
        if child.poll() is None:
            child.kill()
        from berth_cloud.observe import list_projects

        if any(p["name"] == slug for p in list_projects(cloud, SITE)):
            purge_tenant(cloud, SITE, slug, delete_project=True)
        cloud.close()
