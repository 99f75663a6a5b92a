"""The manifests a change touches, from git: the base revision against the working tree.

Through the git CLI (subprocess; berth_core never runs one). Renames are followed (`-M`), files not yet
committed count as added, and only manifest files (*.yaml, *.yml, not hidden) under the manifests folder
are reviewed. The base side of a file is its content at the base revision (`git show BASE:path`).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from berth_core.errors import BerthError, UsageError
from berth_core.loader import MANIFEST_SUFFIXES

FileStatus = Literal["added", "modified", "deleted", "renamed"]
_STATUS: dict[str, FileStatus] = {"A": "added", "M": "modified", "D": "deleted", "R": "renamed", "C": "added"}


@dataclass(frozen=True)
class FileChange:
    status: FileStatus
    old: str | None  # path at the base, relative to the repository's top (None: added)
    new: str | None  # path in the working tree (None: deleted)


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    git = shutil.which("git")
    if git is None:
        raise UsageError("berth review needs the git command", hint="apt-get install git")
    # no shell; the only text from outside is --base, checked to be no option (verify_base)
    return subprocess.run([git, "-C", str(repo), *args], capture_output=True, check=False)  # noqa: S603


def _checked(repo: Path, *args: str) -> bytes:
    done = _git(repo, *args)
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip()
        raise BerthError(f"git {' '.join(args)} failed: {said}")
    return done.stdout


def repository_top(folder: Path) -> Path:
    done = _git(folder, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise UsageError(
            f"{folder} is not inside a git repository", hint="berth review compares git revisions"
        )
    return Path(done.stdout.decode("utf-8").strip())


def verify_base(repo: Path, base: str) -> str:
    """The base's commit id; a base that names no commit is a usage error (exit 2)."""
    if base.startswith("-"):  # never let a ref be read as an option of git
        raise UsageError(f"--base {base!r} is not a git revision")
    done = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{base}^{{commit}}")
    if done.returncode != 0:
        raise UsageError(
            f"--base {base!r} names no commit in {repo}",
            hint="give a branch, tag or commit that exists (in CI: fetch the target branch first)",
        )
    return done.stdout.decode("utf-8").strip()


def _is_manifest(path: str, folder: str) -> bool:
    inside = path.startswith(folder + "/") if folder else True
    rest = path[len(folder) + 1 :] if folder else path
    hidden = any(part.startswith(".") for part in rest.split("/"))
    return inside and path.endswith(MANIFEST_SUFFIXES) and not hidden


def changed_manifests(repo: Path, base: str, manifests_dir: Path) -> list[FileChange]:
    """Every manifest file added, modified, renamed or deleted between `base` and the working tree."""
    folder = manifests_dir.resolve().relative_to(repo.resolve()).as_posix()
    folder = "" if folder == "." else folder
    raw = _checked(repo, "diff", "--name-status", "-M", "-z", "--no-ext-diff", base, "--", folder or ".")
    fields = raw.decode("utf-8", "surrogateescape").split("\0")
    changes: list[FileChange] = []
    i = 0
    while i < len(fields) and fields[i]:
        letter = fields[i][0]
        status = _STATUS.get(letter, "modified")
        if letter in "RC":  # a rename or copy names its source, then its destination
            source, path = fields[i + 1], fields[i + 2]
            i += 3
        else:
            source = path = fields[i + 1]
            i += 2
        old = None if status == "added" else source
        changes.append(FileChange(status, old, None if status == "deleted" else path))
    untracked = _checked(repo, "ls-files", "--others", "--exclude-standard", "-z", "--", folder or ".")
    for path in untracked.decode("utf-8", "surrogateescape").split("\0"):
        if path:
            changes.append(FileChange("added", None, path))
    return [c for c in changes if any(p is not None and _is_manifest(p, folder) for p in (c.old, c.new))]


def base_content(repo: Path, base: str, path: str) -> bytes:
    """The file's bytes at the base revision."""
    return _checked(repo, "show", f"{base}:{path}")
