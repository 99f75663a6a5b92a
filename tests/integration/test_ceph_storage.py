"""The devcloud's block storage is real: glance keeps images in Ceph's images pool, cinder makes volumes
in the volumes pool, and their bytes are the bytes a tenant put there (read back from Ceph itself).

Reads Ceph with the admin keyring on the devcloud host (the tests run there, as root); `rbd` comes from
Debian's ceph-common, which the deploy installs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import CLOUDS_YAML, Berth, wait_for

pytestmark = pytest.mark.openstack

IMAGE_BYTES = 6 * 1024 * 1024  # several RBD objects at glance's 8 MiB chunks' 4 MiB object size


def rbd(*args: str) -> str:
    return subprocess.run(["rbd", *args], check=True, capture_output=True, text=True, timeout=60).stdout


def rbd_images(pool: str) -> set[str]:
    return set(rbd("ls", pool).split())


def rbd_head_digest(spec: str, length: int) -> str:
    """SHA-256 of the first `length` bytes of an RBD image, exported by Ceph itself."""
    exported = subprocess.run(["rbd", "export", spec, "-"], check=True, capture_output=True, timeout=120)
    return hashlib.sha256(exported.stdout[:length]).hexdigest()


def volume_available(conn: Any, volume: Any) -> Any:
    return conn.block_storage.wait_for_status(volume, "available", failures=["error"], wait=180)


def test_an_image_and_a_volume_made_from_it_hold_the_tenants_bytes(
    conn: Any, unique: str, cleanup: list[Any]
) -> None:
    data = os.urandom(IMAGE_BYTES)
    digest = hashlib.sha256(data).hexdigest()
    image = conn.image.create_image(
        name=unique, data=data, disk_format="raw", container_format="bare", allow_duplicates=True
    )
    cleanup.append(lambda: conn.image.delete_image(image, ignore_missing=True))
    wait_for("image active", lambda: conn.image.get_image(image.id).status == "active")
    assert image.id in rbd_images("images"), "glance stored the image outside Ceph"
    assert rbd_head_digest(f"images/{image.id}", IMAGE_BYTES) == digest

    volume = conn.block_storage.create_volume(name=unique, size=1, image_id=image.id)
    cleanup.append(lambda: conn.block_storage.delete_volume(volume, ignore_missing=True))
    volume_available(conn, volume)
    name = f"volume-{volume.id}"
    assert name in rbd_images("volumes")
    # raw in RBD: the volume is a copy-on-write clone of the image's snapshot, not a download
    assert f"images/{image.id}@snap" in rbd("info", f"volumes/{name}")
    assert rbd_head_digest(f"volumes/{name}", IMAGE_BYTES) == digest

    conn.block_storage.delete_volume(volume)
    conn.block_storage.wait_for_delete(volume, wait=120)
    assert name not in rbd_images("volumes"), "deleting the volume left its RBD image"
    conn.image.delete_image(image)
    wait_for("image gone from Ceph", lambda: image.id not in rbd_images("images"), timeout=60)


def test_a_qcow2_image_becomes_a_raw_volume_with_the_same_content(
    conn: Any, unique: str, cleanup: list[Any], tmp_path: Path
) -> None:
    """The path Tempest's smoke set failed on the fake driver: cinder downloads the image, converts it with
    qemu-img and imports it into Ceph."""
    raw = tmp_path / "disk.raw"
    data = os.urandom(IMAGE_BYTES)
    raw.write_bytes(data)
    qcow2 = tmp_path / "disk.qcow2"
    subprocess.run(
        ["qemu-img", "convert", "-f", "raw", "-O", "qcow2", str(raw), str(qcow2)], check=True, timeout=60
    )
    image = conn.image.create_image(
        name=unique,
        data=qcow2.read_bytes(),
        disk_format="qcow2",
        container_format="bare",
        allow_duplicates=True,
    )
    cleanup.append(lambda: conn.image.delete_image(image, ignore_missing=True))
    wait_for("image active", lambda: conn.image.get_image(image.id).status == "active")
    volume = conn.block_storage.create_volume(name=unique, size=1, image_id=image.id)
    cleanup.append(lambda: conn.block_storage.delete_volume(volume, ignore_missing=True))
    volume_available(conn, volume)
    assert rbd_head_digest(f"volumes/volume-{volume.id}", IMAGE_BYTES) == hashlib.sha256(data).hexdigest()


def test_cinder_reports_cephs_real_capacity(conn: Any) -> None:
    """Capacity admission sums cinder's pools (berth_core.capacity.volume_inventory): with Ceph they
    report a size, the pool's, instead of the fake driver's 'infinite'."""
    pools = list(conn.block_storage.backend_pools())
    ceph = [p for p in pools if p.name.endswith("@ceph#ceph")]
    assert ceph, f"no ceph backend among {[p.name for p in pools]}"
    total = float(ceph[0].capabilities["total_capacity_gb"])
    ceph_df = subprocess.run(
        ["ceph", "df", "--format", "json"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    volumes = next(p for p in json.loads(ceph_df)["pools"] if p["name"] == "volumes")
    expected_gib = (volumes["stats"]["stored"] + volumes["stats"]["max_avail"]) / 2**30
    assert total == pytest.approx(expected_gib, rel=0.1)


def test_status_shows_the_cluster_healthy_with_its_pools(berth: Berth) -> None:
    """Through berth's read-only client that the deploy left on the deploy host (.berth/aio/ceph)."""
    isolated = Path(os.environ["BERTH_STATE_DIR"]) / "aio" / "ceph"
    shutil.copytree(CLOUDS_YAML.parent / "ceph", isolated)  # the devcloud's own state, read at import
    code, out, err = berth("-o", "json", "cloud", "status")
    status = json.loads(out)
    assert code == 0 and status["healthy"], (status, err)
    ceph = next(c for c in status["clusters"] if c["name"] == "ceph")
    assert ceph["healthy"] and ceph["summary"]["health"] == "HEALTH_OK", ceph
    pools = {row["pool"]: row for row in ceph["rows"]}
    assert {"images", "volumes", "vms"} <= set(pools)
    assert all(pools[p]["max_avail_bytes"] > 0 for p in ("images", "volumes", "vms"))
    shutil.rmtree(isolated)
    code, out, _ = berth("-o", "json", "cloud", "status")
    assert "clusters" not in json.loads(out), "a site without a Ceph client has no Ceph section"
