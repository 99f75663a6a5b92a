"""Demo principals' secrets file: created 0600 whatever the umask, appended, never echoed."""

from __future__ import annotations

import os

from berth_cloud.principals import _append_secret, principals_of, read_password
from berth_core.manifest import TenantManifest


def test_secrets_file_is_private_and_keeps_the_last_password(tmp_path, capsys):
    path = tmp_path / "secrets" / "members.jsonl"
    old = os.umask(0o000)
    try:
        _append_secret(path, "nguyen.van.an", "first-value")
        _append_secret(path, "nguyen.van.an", "second-value")
    finally:
        os.umask(old)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert read_password(path, "nguyen.van.an") == "second-value"
    assert read_password(path, "nobody") is None
    out = capsys.readouterr()
    assert "value" not in out.out + out.err


def test_principals_of_collects_users_and_groups():
    manifest = TenantManifest.model_validate(
        {
            "apiVersion": "berth/v1",
            "kind": "Tenant",
            "metadata": {
                "name": "so-y-te",
                "displayName": "Sở Y tế",
                "agency": "SYT",
                "contact": {"name": "An", "email": "it@syt.example.vn"},
            },
            "spec": {
                "quota": {"class": "small"},
                "members": [
                    {"user": "nguyen.van.an", "role": "member"},
                    {"group": "syt-auditors", "role": "reader"},
                ],
            },
        }
    )
    assert principals_of([manifest]) == {("user", "nguyen.van.an"), ("group", "syt-auditors")}
