"""A backup archive on disk: one tar stream of members plus MANIFEST.json, encrypted with AES-256-GCM.

Layout: a header (magic, format, the key's id, the site, a random nonce), the ciphertext, the 16-byte GCM
tag. The header is authenticated with the content (GCM's associated data): nothing in the file can be
changed without the tag failing. Members are streamed through the cipher in both directions, so an archive
of any size needs little memory; when reading, members are staged in a private directory and handed to the
caller only after the tag and every checksum of the manifest matched.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import struct
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from berth_cli.backup.key import BackupKey
from berth_core.backup import (
    MANIFEST_NAME,
    Manifest,
    ManifestError,
    Member,
    check_member_name,
    content_mismatches,
    parse_manifest,
)
from berth_core.errors import ArchiveRefused

MAGIC = b"BERTHBAK"
FORMAT = 1
NONCE_BYTES = 12
TAG_BYTES = 16
CHUNK = 1 << 20
_FIXED = struct.Struct(">8sB8sB")  # magic, format, key id, length of the site's name


def _header(key: BackupKey, site: str, nonce: bytes) -> bytes:
    name = site.encode("utf-8")
    return _FIXED.pack(MAGIC, FORMAT, key.key_id, len(name)) + name + nonce


class _HashingReader(io.RawIOBase):
    """A file read once, for tarfile, while its SHA-256 is taken."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.digest = raw, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        return data


class _Encrypting(io.RawIOBase):
    """Where tarfile writes: each chunk is encrypted on its way to the file."""

    def __init__(self, out: IO[bytes], encryptor: Any) -> None:
        self.out, self.encryptor = out, encryptor

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.out.write(self.encryptor.update(bytes(data)))
        return len(data)


def write_archive(path: Path, key: BackupKey, manifest: Manifest, sources: Mapping[str, Path]) -> Manifest:
    """Write the archive of `sources` (member name -> file) to `path` (0600, atomically: a failed backup
    leaves no file behind); `manifest` gives the site and dates, the members are measured here. Returns the
    manifest as written."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    nonce = os.urandom(NONCE_BYTES)
    header = _header(key, manifest.site, nonce)
    encryptor = Cipher(algorithms.AES(key.secret), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(header)
    members: list[Member] = []
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(header)
            with tarfile.open(
                fileobj=_Encrypting(out, encryptor), mode="w|", format=tarfile.PAX_FORMAT
            ) as tar:
                for name in sorted(sources):
                    with sources[name].open("rb") as raw:
                        info = tarfile.TarInfo(check_member_name(name))
                        info.size, info.mode = os.fstat(raw.fileno()).st_size, 0o600
                        reader = _HashingReader(raw)
                        tar.addfile(info, reader)
                        members.append(Member(name, info.size, reader.digest.hexdigest()))
                written = replace(manifest, members=tuple(sorted(members)))
                data = json.dumps(written.to_dict(), indent=1, sort_keys=True).encode("utf-8")
                info = tarfile.TarInfo(MANIFEST_NAME)
                info.size, info.mode = len(data), 0o600
                tar.addfile(info, io.BytesIO(data))
            out.write(encryptor.finalize())
            out.write(encryptor.tag)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return written


@dataclass(frozen=True)
class ArchiveHeader:
    site: str
    key_id: bytes
    nonce: bytes
    raw: bytes


def read_header(path: Path, stream: IO[bytes]) -> ArchiveHeader:
    """The header at the start of `stream`; ArchiveRefused when the file is not a berth backup."""
    fixed = stream.read(_FIXED.size)
    if len(fixed) < _FIXED.size or not fixed.startswith(MAGIC):
        raise ArchiveRefused(f"{path}: not a berth backup archive", hint="berth cloud backup writes them")
    _, version, key_id, name_length = _FIXED.unpack(fixed)
    if version != FORMAT:
        raise ArchiveRefused(f"{path}: archive format {version} is not {FORMAT} (written by another berth?)")
    name, nonce = stream.read(name_length), stream.read(NONCE_BYTES)
    if len(name) != name_length or len(nonce) != NONCE_BYTES:
        raise ArchiveRefused(f"{path}: the archive is truncated")
    try:
        site = name.decode("utf-8")
    except UnicodeDecodeError:
        raise ArchiveRefused(f"{path}: not a berth backup archive (its site name is not text)") from None
    return ArchiveHeader(site, key_id, nonce, fixed + name + nonce)


class _Decrypting(io.RawIOBase):
    """The plaintext of `length` bytes of ciphertext (the tag after them is checked by `finish`)."""

    def __init__(self, stream: IO[bytes], decryptor: Any, length: int) -> None:
        self.stream, self.decryptor, self.left = stream, decryptor, length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.stream.read(min(len(buffer), self.left, CHUNK))
        self.left -= len(data)
        plain = self.decryptor.update(data)
        buffer[: len(plain)] = plain
        return len(plain)

    def finish(self) -> None:
        """Read what the tar did not need, then check the tag (InvalidTag when anything was altered)."""
        while self.left:
            data = self.stream.read(min(self.left, CHUNK))
            if not data:
                break
            self.left -= len(data)
            self.decryptor.update(data)
        self.decryptor.finalize_with_tag(self.stream.read(TAG_BYTES))


def _stage(tar: tarfile.TarFile, staging: Path) -> tuple[dict[str, tuple[int, str]], bytes | None]:
    """Write every member under `staging` by its checked name; (name -> (size, sha256), manifest bytes)."""
    found: dict[str, tuple[int, str]] = {}
    manifest: bytes | None = None
    for info in tar:
        if not info.isfile():
            raise ManifestError(f"member {info.name!r} is not a regular file")
        source = tar.extractfile(info)
        if source is None:
            raise ManifestError(f"member {info.name!r} cannot be read")
        if info.name == MANIFEST_NAME:
            manifest = source.read(1 << 22)
            continue
        target = staging / check_member_name(info.name)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        digest, size = hashlib.sha256(), 0
        with target.open("xb") as out:  # "x": a member named twice is refused, never overwritten
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        target.chmod(0o600)
        found[info.name] = (size, digest.hexdigest())
    return found, manifest


@dataclass(frozen=True)
class OpenedArchive:
    manifest: Manifest
    root: Path  # the members, by name, in a private directory removed when the context ends

    def path(self, member: str) -> Path:
        return self.root / member


@contextmanager
def open_archive(path: Path, key: BackupKey, site: str, work_dir: Path) -> Iterator[OpenedArchive]:
    """The verified content of the archive at `path`, staged under `work_dir` for the block.

    ArchiveRefused (exit 12) for a file that is not a berth archive, another site's, made with another key,
    altered or truncated, or whose members do not match its manifest; nothing is handed over then."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    try:
        stream = path.open("rb")
    except OSError as bad:
        raise ArchiveRefused(f"{path}: cannot be read ({bad.strerror or type(bad).__name__})") from None
    staging = Path(tempfile.mkdtemp(prefix="berth-restore-", dir=work_dir))
    try:
        with stream:
            header = read_header(path, stream)
            if header.site != site:
                raise ArchiveRefused(f"{path}: a backup of site {header.site!r}, not of {site!r}")
            if header.key_id != key.key_id:
                raise ArchiveRefused(
                    f"{path}: made with another key (key id {header.key_id.hex()}, this key's {key.key_id.hex()})",
                    hint="restore with the key file the backup was made with",
                )
            length = os.fstat(stream.fileno()).st_size - len(header.raw) - TAG_BYTES
            if length < 0:
                raise ArchiveRefused(f"{path}: the archive is truncated")
            decryptor = Cipher(algorithms.AES(key.secret), modes.GCM(header.nonce)).decryptor()
            decryptor.authenticate_additional_data(header.raw)
            plain = _Decrypting(stream, decryptor, length)
            problem = ""
            try:
                with tarfile.open(fileobj=io.BufferedReader(plain, CHUNK), mode="r|") as tar:
                    found, manifest_bytes = _stage(tar, staging)
            except (tarfile.TarError, ManifestError, EOFError, OSError) as bad:
                problem = str(bad) or type(bad).__name__  # reported only once the tag says why
            try:
                plain.finish()
            except InvalidTag:
                raise ArchiveRefused(
                    f"{path}: the archive was altered or is truncated (its authentication tag does not match)"
                ) from None
            if problem:
                raise ArchiveRefused(f"{path}: {problem}")
            manifest = _manifest(path, manifest_bytes, found)
        if manifest.site != site:
            raise ArchiveRefused(f"{path}: its manifest is of site {manifest.site!r}, not of {site!r}")
        yield OpenedArchive(manifest, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _manifest(path: Path, data: bytes | None, found: dict[str, tuple[int, str]]) -> Manifest:
    if data is None:
        raise ArchiveRefused(f"{path}: the archive has no {MANIFEST_NAME}")
    try:
        manifest = parse_manifest(json.loads(data))
    except (ValueError, ManifestError) as bad:
        raise ArchiveRefused(f"{path}: {MANIFEST_NAME}: {bad}") from None
    problems = content_mismatches(manifest, found)
    if problems:
        raise ArchiveRefused(
            f"{path}: {problems[0]}" + (f" (and {len(problems) - 1} more)" if problems[1:] else "")
        )
    return manifest
