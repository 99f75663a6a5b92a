"""Pure argument building for one ansible-runner invocation: which playbook, inventory, limit, tags,
check mode, extra vars and the PATH it runs under. No I/O here, so every combination is unit-tested."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from berth_core.errors import UsageError

# Extra vars end up on ansible-playbook's command line and in ansible-runner's files: never secrets.
_SECRET_NAME = re.compile(r"(password|passwd|secret|token|private_key)", re.IGNORECASE)
_HOST_PATTERN = re.compile(r"^[A-Za-z0-9_.:\[\]*!&,\-]+$")
_TAG = re.compile(r"^[A-Za-z0-9_-]+$")
DEFAULT_TIMEOUT_S = 3600
KEEP_ARTIFACT_RUNS = 30  # ~2 MB per site deploy: the last runs are kept, older ones rotated away


@dataclass(frozen=True)
class PlaybookRun:
    """What to run. Paths are absolute; `secrets_file` is passed by path, its content never leaves it."""

    playbooks_dir: Path
    playbook: str
    inventory: Path
    secrets_file: Path | None = None
    limit: str | None = None
    tags: tuple[str, ...] = ()
    skip_tags: tuple[str, ...] = ()
    check: bool = False
    diff: bool = False
    extravars: dict[str, Any] = field(default_factory=dict)
    timeout_s: int = DEFAULT_TIMEOUT_S
    forks: int | None = None


def parse_tags(text: str | None) -> tuple[str, ...]:
    """`--tags a,b` as a tuple; each tag is a plain word."""
    if not text:
        return ()
    tags = tuple(t.strip() for t in text.split(",") if t.strip())
    for tag in tags:
        if not _TAG.match(tag):
            raise UsageError(f"invalid tag {tag!r}", hint="tags are words of letters, digits, '_' and '-'")
    return tags


def check_limit(limit: str | None) -> str | None:
    if limit is None or limit == "":
        return None
    if not _HOST_PATTERN.match(limit):
        raise UsageError(f"invalid --limit {limit!r}", hint="use host or group names separated by commas")
    return limit


def extravars_for(run: PlaybookRun) -> dict[str, Any]:
    """Extra vars of a run: the caller's plus the secrets file's path. Refuses anything named like a secret."""
    extravars = dict(run.extravars)
    for name in extravars:
        if _SECRET_NAME.search(name):
            raise UsageError(
                f"refusing to pass {name!r} as an extra var",
                hint="secrets go in the site's secrets file, never on ansible-playbook's command line",
            )
    if run.secrets_file is not None:
        extravars["berth_secrets_file"] = str(run.secrets_file)
    return extravars


def cmdline_for(run: PlaybookRun) -> str:
    flags = []
    if run.check:
        flags.append("--check")
    if run.diff:
        flags.append("--diff")
    return " ".join(flags)


def search_path(tools_dir: Path | None, inherited: str) -> str:
    """PATH for ansible-playbook: the directory of berth's own Ansible first (ansible-runner looks the
    command up in this PATH, and ansible-playbook finds its sibling tools there), then the caller's."""
    entries = [e for e in inherited.split(os.pathsep) if e]
    if tools_dir is None:
        return os.pathsep.join(entries)
    return os.pathsep.join([str(tools_dir), *(e for e in entries if e != str(tools_dir))])


def runner_kwargs(
    run: PlaybookRun, private_data_dir: Path, artifact_dir: Path, ident: str, *, path: str | None = None
) -> dict[str, Any]:
    """Keyword arguments for `ansible_runner.run` (without the callbacks); `path` is the PATH to run under."""
    playbook = run.playbooks_dir / run.playbook
    kwargs: dict[str, Any] = {
        "private_data_dir": str(private_data_dir),
        "project_dir": str(run.playbooks_dir),
        "playbook": str(playbook),
        "inventory": str(run.inventory),
        "artifact_dir": str(artifact_dir),
        "ident": ident,
        "extravars": extravars_for(run),
        "envvars": {
            "ANSIBLE_CONFIG": str(run.playbooks_dir / "ansible.cfg"),
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_NOCOLOR": "1",
            # ansible-runner sets this to False unless it is given, and ssh keeps the first value of an
            # option, so an inventory's `-o StrictHostKeyChecking=yes` came too late: checking stays on.
            "ANSIBLE_HOST_KEY_CHECKING": "True",
        },
        "suppress_env_files": True,
        "rotate_artifacts": KEEP_ARTIFACT_RUNS,
        "timeout": run.timeout_s,
        "quiet": True,
    }
    if path is not None:
        kwargs["envvars"]["PATH"] = path
    if run.limit:
        kwargs["limit"] = run.limit
    if run.tags:
        kwargs["tags"] = ",".join(run.tags)
    if run.skip_tags:
        kwargs["skip_tags"] = ",".join(run.skip_tags)
    cmdline = cmdline_for(run)
    if cmdline:
        kwargs["cmdline"] = cmdline
    if run.forks:
        kwargs["forks"] = run.forks
    return kwargs
