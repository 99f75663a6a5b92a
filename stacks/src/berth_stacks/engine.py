"""Whether the Pulumi engine can run here, and which engine `--engine auto|pulumi|direct` means.

Cheap to import (no pulumi): the CLI asks before it loads anything heavy.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from typing import Literal

from berth_core.errors import PulumiFailed

PASSPHRASE_ENV = "PULUMI_CONFIG_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret
PASSPHRASE_FILE_ENV = "PULUMI_CONFIG_PASSPHRASE_FILE"  # noqa: S105

EngineRequest = Literal["auto", "pulumi", "direct"]
Engine = Literal["pulumi", "direct"]


def pulumi_cli_available() -> bool:
    return shutil.which("pulumi") is not None


def require_pulumi_cli() -> str:
    """The path of the `pulumi` CLI, or a clear PulumiFailed naming the way out."""
    path = shutil.which("pulumi")
    if path is None:
        raise PulumiFailed(
            "the Pulumi engine needs the `pulumi` CLI, and it is not on PATH",
            hint="install it (https://www.pulumi.com/docs/install/) or use --engine direct",
        )
    return path


def require_passphrase(environ: Mapping[str, str] | None = None) -> None:
    """Stack secrets are encrypted with a passphrase that only the environment may hold (never a file
    in the repository, never an argument that would show in `ps`)."""
    env = os.environ if environ is None else environ
    if env.get(PASSPHRASE_ENV) or env.get(PASSPHRASE_FILE_ENV):
        return
    raise PulumiFailed(
        f"{PASSPHRASE_ENV} is not set: berth's Pulumi stacks encrypt their secrets with a passphrase",
        hint=f"export {PASSPHRASE_ENV} (or {PASSPHRASE_FILE_ENV}) from the operators' secret store",
    )


def choose_engine(requested: EngineRequest) -> tuple[Engine, str]:
    """The engine to use and a sentence saying why (auto must say which it chose).

    `pulumi` without the CLI raises PulumiFailed (exit 7); `auto` falls back to the direct engine.
    """
    if requested == "direct":
        return "direct", "engine: direct (openstacksdk), as requested"
    if requested == "pulumi":
        require_pulumi_cli()
        return "pulumi", "engine: pulumi, as requested"
    if pulumi_cli_available():
        return "pulumi", "engine: pulumi (auto: the pulumi CLI is on PATH)"
    return "direct", "engine: direct (auto: no pulumi CLI on PATH)"
