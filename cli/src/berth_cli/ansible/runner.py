"""Run a playbook through ansible-runner: a fresh private data dir per run, artifacts kept under the
site's state directory, events streamed to a handler, failures raised as AnsibleFailed (exit code 6)."""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from berth_cli.ansible.args import PlaybookRun, runner_kwargs, search_path
from berth_cli.ansible.events import RunTally
from berth_core.errors import AnsibleFailed


@dataclass(frozen=True)
class RunResult:
    status: str
    rc: int
    tally: RunTally
    artifact_dir: Path
    seconds: float


def new_ident(playbook: str) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    return f"{stamp}-{Path(playbook).stem}-{secrets.token_hex(3)}"


def ansible_tools_dir() -> Path | None:
    """Where the Ansible installed with berth keeps ansible-playbook: beside berth's own interpreter.

    A virtualenv's `bin` is not on PATH when berth runs as `.venv/bin/berth` (a service manager, a symlink
    in /usr/local/bin), and ansible-runner looks ansible-playbook up in PATH. None: not installed there.
    """
    candidates = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent)]
    for folder in candidates:
        if folder and os.access(Path(folder) / "ansible-playbook", os.X_OK):
            return Path(folder)
    return None


def run_playbook(
    run: PlaybookRun,
    artifacts_root: Path,
    event_handler: Callable[[dict[str, Any]], bool],
    tally: RunTally,
) -> RunResult:
    """Run and return the result; raise AnsibleFailed naming host, task and message on failure."""
    import ansible_runner

    artifacts_root.mkdir(parents=True, exist_ok=True)
    artifacts_root.chmod(0o700)
    ident = new_ident(run.playbook)
    private = Path(tempfile.mkdtemp(prefix="berth-ansible-"))
    started = time.monotonic()
    try:
        result = ansible_runner.run(
            **runner_kwargs(
                run,
                private,
                artifacts_root,
                ident,
                path=search_path(ansible_tools_dir(), os.environ.get("PATH", "")),
            ),
            event_handler=event_handler,
        )
    finally:
        shutil.rmtree(private, ignore_errors=True)
    seconds = time.monotonic() - started
    outcome = RunResult(
        status=str(result.status),
        rc=int(result.rc if result.rc is not None else -1),
        tally=tally,
        artifact_dir=artifacts_root / ident,
        seconds=seconds,
    )
    if outcome.status == "successful" and outcome.rc == 0:
        return outcome
    raise failure_error(outcome, run)


def failure_error(outcome: RunResult, run: PlaybookRun) -> AnsibleFailed:
    hint = f"artifacts: {outcome.artifact_dir}"
    if outcome.status == "timeout":
        return AnsibleFailed(f"{run.playbook} timed out after {run.timeout_s} s", hint=hint)
    failures = outcome.tally.failures
    if not failures:
        return AnsibleFailed(
            f"{run.playbook} failed (status {outcome.status}, rc {outcome.rc})",
            hint=f"{hint} (see its stdout)",
        )
    first = failures[0]
    more = f" (and {len(failures) - 1} more failure(s))" if len(failures) > 1 else ""
    return AnsibleFailed(f"host {first.host}, task '{first.task}': {first.message}{more}", hint=hint)
