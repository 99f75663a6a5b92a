"""berth's cephx keys are the keys Ceph's own tool makes and reads (ceph-authtool, from Debian's ceph-common)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from berth_core.cephx import encode_cephx_key, is_cephx_key, new_cephx_key


@given(st.binary(min_size=16, max_size=16), st.floats(min_value=0, max_value=2**31, allow_nan=False))
def test_every_encoded_key_is_well_formed(secret: bytes, created: float) -> None:
    assert is_cephx_key(encode_cephx_key(secret, created))


@pytest.mark.parametrize("text", ["", "not base64!", "AQ==", encode_cephx_key(b"x" * 15, 0)])
def test_malformed_keys_are_told_apart(text: str) -> None:
    assert not is_cephx_key(text)


def test_new_keys_differ() -> None:
    assert new_cephx_key() != new_cephx_key()


def test_ceph_authtool_keys_pass_the_check() -> None:
    tool = shutil.which("ceph-authtool")
    if tool is None:
        pytest.skip("ceph-authtool is not installed (Debian's ceph-common; .ci/run installs it)")
    made = subprocess.run([tool, "--gen-print-key"], check=True, capture_output=True, text=True)
    assert is_cephx_key(made.stdout.strip())


def test_ceph_authtool_accepts_berths_key(tmp_path: Path) -> None:
    tool = shutil.which("ceph-authtool")
    if tool is None:
        pytest.skip("ceph-authtool is not installed (Debian's ceph-common; .ci/run installs it)")
    key = new_cephx_key()
    keyring = tmp_path / "keyring"
    subprocess.run(
        [tool, "--create-keyring", str(keyring), "--name", "client.test", "--add-key", key],
        check=True,
        capture_output=True,
    )
    printed = subprocess.run(
        [tool, str(keyring), "--name", "client.test", "--print-key"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert printed.stdout.strip() == key
