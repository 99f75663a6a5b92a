"""Backup archives on disk: a round trip, and every way an archive is refused (exit 12) with nothing staged:
another key, another site, a flipped byte, a truncated file, a foreign file, a forged manifest."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from berth_cli.backup.archive import open_archive, write_archive
from berth_cli.backup.key import BackupKey, new_key_file, read_key_file
from berth_core.backup import DATABASE_MEMBER, Manifest, ManifestError, parse_manifest, state_member
from berth_core.errors import ArchiveRefused, ExitCode, UsageError

MANIFEST = Manifest(
    site="aio",
    created="2026-12-04T20:00:00Z",
    berth_version="0.1.0",
    release="2026.1",
    clustered=False,
    members=(),
)


@pytest.fixture
def sources(tmp_path: Path) -> dict[str, Path]:
    files = {
        DATABASE_MEMBER: os.urandom(3 * (1 << 20) + 17),  # several chunks, not a multiple of one
        "keystone/fernet-keys/0": b"fernet zero",
        "state/audit.jsonl": b'{"seq": 1}\n',
        "state/secrets/passwords.yml": b"admin: not-shown\n",
    }
    out = {}
    for name, data in files.items():
        path = tmp_path / "src" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        out[name] = path
    return out


@pytest.fixture
def key() -> BackupKey:
    return BackupKey(os.urandom(32))


def test_an_archive_round_trips_every_member_and_its_manifest(tmp_path, sources, key):
    archive = tmp_path / "aio.berth-backup"
    written = write_archive(archive, key, MANIFEST, sources)
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    assert b"not-shown" not in archive.read_bytes() and b"fernet zero" not in archive.read_bytes()
    work = tmp_path / "work"
    work.mkdir()
    with open_archive(archive, key, "aio", work) as opened:
        assert opened.manifest == written
        assert sorted(m.name for m in opened.manifest.members) == sorted(sources)
        for name, source in sources.items():
            assert opened.path(name).read_bytes() == source.read_bytes(), name
            member = opened.manifest.member(name)
            assert member is not None and member.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
        staged = opened.root
    assert not staged.exists(), "the staged members are removed after the block"


def refused(archive: Path, key: BackupKey, site: str, work: Path) -> ArchiveRefused:
    work.mkdir(exist_ok=True)
    with pytest.raises(ArchiveRefused) as raised, open_archive(archive, key, site, work):
        pass
    assert raised.value.exit_code == ExitCode.ARCHIVE_REFUSED
    assert list(work.iterdir()) == [], "nothing stays staged from a refused archive"
    return raised.value


def test_another_key_is_named_as_such(tmp_path, sources, key):
    archive = tmp_path / "a"
    write_archive(archive, key, MANIFEST, sources)
    error = refused(archive, BackupKey(os.urandom(32)), "aio", tmp_path / "w")
    assert "made with another key" in error.message and key.key_id.hex() in error.message


def test_another_sites_archive_is_refused(tmp_path, sources, key):
    archive = tmp_path / "a"
    write_archive(archive, key, MANIFEST, sources)
    assert "a backup of site 'aio', not of 'lab'" in refused(archive, key, "lab", tmp_path / "w").message


@pytest.mark.parametrize("where", [20, 200, 1 << 20, -20, -3])
def test_one_flipped_byte_anywhere_is_caught(tmp_path, sources, key, where):
    archive = tmp_path / "a"
    write_archive(archive, key, MANIFEST, sources)
    data = bytearray(archive.read_bytes())
    data[where] ^= 0x01
    archive.write_bytes(bytes(data))
    message = refused(archive, key, "aio", tmp_path / "w").message
    assert "altered" in message or "another key" in message or "site" in message, message


def test_a_truncated_archive_is_refused(tmp_path, sources, key):
    archive = tmp_path / "a"
    write_archive(archive, key, MANIFEST, sources)
    archive.write_bytes(archive.read_bytes()[: 2 << 20])
    assert "altered or is truncated" in refused(archive, key, "aio", tmp_path / "w").message


def test_a_file_that_is_not_an_archive_is_refused(tmp_path, key):
    other = tmp_path / "backup.tar.gz"
    other.write_bytes(b"\x1f\x8b" + os.urandom(100))
    assert "not a berth backup archive" in refused(other, key, "aio", tmp_path / "w").message
    assert "cannot be read" in refused(tmp_path / "missing", key, "aio", tmp_path / "w").message


def seal(archive: Path, key: BackupKey, site: str, members: dict[str, bytes | None]) -> None:
    """An archive written by hand with the right key: what a key holder could forge (None: a symlink)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    from berth_cli.backup.archive import _header

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/shadow"
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    nonce = os.urandom(12)
    header = _header(key, site, nonce)
    enc = Cipher(algorithms.AES(key.secret), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(header)
    body = enc.update(buffer.getvalue()) + enc.finalize()
    archive.write_bytes(header + body + enc.tag)


def test_a_forged_manifest_is_refused_even_under_the_right_key(tmp_path, key):
    """The manifest lies about a member: the checksums catch it."""
    data = b"the database"
    manifest = MANIFEST.to_dict() | {
        "members": [{"name": DATABASE_MEMBER, "size": len(data), "sha256": "0" * 64}]
    }
    archive = tmp_path / "forged"
    seal(archive, key, "aio", {DATABASE_MEMBER: data, "MANIFEST.json": json.dumps(manifest).encode()})
    assert "checksum does not match the manifest" in refused(archive, key, "aio", tmp_path / "w").message
    seal(
        archive,
        key,
        "aio",
        {DATABASE_MEMBER: data, "state/extra": b"x", "MANIFEST.json": json.dumps(manifest).encode()},
    )
    assert "not listed" in refused(archive, key, "aio", tmp_path / "w").message


def test_manifest_names_must_stay_inside_their_parts():
    base = MANIFEST.to_dict()
    for bad in ("../etc/passwd", "/etc/passwd", "state/../../x", "database", "other/file", "state/a b"):
        data = {**base, "members": [{"name": bad, "size": 1, "sha256": "a" * 64}]}
        with pytest.raises(ManifestError):
            parse_manifest(data)
    with pytest.raises(ManifestError, match=r"no database/mariabackup\.tar\.gz"):
        parse_manifest({**base, "members": [{"name": "state/x", "size": 1, "sha256": "a" * 64}]})
    with pytest.raises(ManifestError, match="format"):
        parse_manifest({**base, "format": 2})


def test_state_members_skip_what_is_regenerated():
    assert state_member("audit.jsonl") == "state/audit.jsonl"
    assert state_member("pki/ca.crt") == "state/pki/ca.crt"
    assert state_member("ansible/20261204/stdout") is None
    assert state_member("lock") is None


def test_key_files_are_private_and_never_overwritten(tmp_path):
    path = tmp_path / "keys" / "aio.key"
    key = new_key_file(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert read_key_file(path) == key
    assert key.secret.hex() not in repr(key)
    with pytest.raises(UsageError, match="already there"):
        new_key_file(path)
    path.chmod(0o644)
    with pytest.raises(UsageError, match="readable by others"):
        read_key_file(path)
    path.chmod(0o600)
    path.write_text("berth-backup-key-1:c2hvcnQ=\n")
    with pytest.raises(UsageError, match="not a berth backup key"):
        read_key_file(path)
    with pytest.raises(UsageError, match="no such key file"):
        read_key_file(tmp_path / "none.key")


def test_a_tar_member_that_is_not_a_file_is_refused(tmp_path, key):
    archive = tmp_path / "a"
    seal(archive, key, "aio", {"state/evil": None})
    assert "is not a regular file" in refused(archive, key, "aio", tmp_path / "w").message
    seal(archive, key, "aio", {"../outside": b"x"})
    assert "is not inside one of" in refused(archive, key, "aio", tmp_path / "w").message
    assert not (tmp_path / "outside").exists()
