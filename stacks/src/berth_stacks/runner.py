"""The Pulumi engine: one stack per agency tenant (`tenant-<slug>`) plus `platform`, driven through the
Automation API with inline programs, a `file://` backend under the site's state directory and the
passphrase secrets provider.

Every failure leaves as berth_core.errors.PulumiFailed (exit 7) with a hint, never a traceback. The Pulumi
CLI is not installable on the machines berth is built on, so only the missing-CLI path runs in tests
(docs/pulumi.md says what has and has not been exercised).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from berth_core.errors import PulumiFailed
from berth_core.site import Site
from berth_core.state import DesiredState
from berth_stacks.types import PLATFORM_STACK, tenant_stack_name

PASSPHRASE_ENV = "PULUMI_CONFIG_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret
PASSPHRASE_FILE_ENV = "PULUMI_CONFIG_PASSPHRASE_FILE"  # noqa: S105
_STDERR_LINES = 12  # enough of Pulumi's own words to act on, not a wall of text

Operation = Literal["preview", "up", "destroy"]
Program = Callable[[], None]
OnOutput = Callable[[str], None]


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


@dataclass(frozen=True)
class StackTarget:
    name: str
    program: Program


@dataclass(frozen=True)
class StackSummary:
    stack: str
    operation: Operation
    changes: Mapping[str, int] = field(default_factory=dict)  # create/update/delete/same -> count
    outputs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(count for op, count in self.changes.items() if op != "same")

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "operation": self.operation,
            "changes": dict(self.changes),
            "outputs": dict(self.outputs),
        }


def tenant_program(slug: str, desired: DesiredState) -> Program:
    def program() -> None:
        import pulumi

        from berth_stacks.tenant import AgencyTenant

        tenant = AgencyTenant(slug, desired)
        pulumi.export("projectId", tenant.project_id)

    return program


def platform_program(site: Site) -> Program:
    def program() -> None:
        import pulumi

        from berth_stacks.platform import Platform

        platform = Platform(site)
        pulumi.export("externalNetworkId", platform.external_network_id)

    return program


def tenant_targets(desired: DesiredState) -> list[StackTarget]:
    """One stack per tenant of the desired state, each holding only that tenant's resources."""
    return [
        StackTarget(tenant_stack_name(slug), tenant_program(slug, desired.for_tenants([slug])))
        for slug in desired.tenants
    ]


def platform_target(site: Site) -> StackTarget:
    return StackTarget(PLATFORM_STACK, platform_program(site))


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-_STDERR_LINES:])


@contextmanager
def _as_pulumi_failed(stack: str, operation: str) -> Iterator[None]:
    from pulumi.automation import errors

    try:
        yield
    except errors.ConcurrentUpdateError as error:
        raise PulumiFailed(
            f"stack {stack} is locked by another Pulumi update",
            hint="if no other apply runs, clear it with `pulumi cancel` in the stack's workspace",
        ) from error
    except errors.CommandError as error:
        detail = _tail(str(error))
        raise PulumiFailed(f"pulumi {operation} of stack {stack} failed", hint=detail) from error
    except (OSError, RuntimeError) as error:  # the CLI vanished, or the language host broke
        raise PulumiFailed(f"pulumi {operation} of stack {stack} failed: {error}") from error


class PulumiRunner:
    """Runs berth's stacks for one site. Construction refuses early: no CLI, no passphrase."""

    def __init__(
        self,
        site: str,
        pulumi_dir: Path,
        *,
        cloud: str,
        region: str,
        clouds_yaml: Path | None = None,
        on_output: OnOutput | None = None,
    ) -> None:
        require_pulumi_cli()
        require_passphrase()
        self.site = site
        self.pulumi_dir = pulumi_dir
        self.cloud = cloud
        self.region = region
        self.clouds_yaml = clouds_yaml
        self.on_output = on_output

    @property
    def project(self) -> str:
        return f"berth-{self.site}"

    def _stack(self, target: StackTarget) -> Any:
        from pulumi import automation as auto

        backend = self.pulumi_dir / "backend"
        work_dir = (
            self.pulumi_dir / "workspace"
        )  # keeps Pulumi.<stack>.yaml (the passphrase salt) across runs
        for path in (backend, work_dir):
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
        env = {} if self.clouds_yaml is None else {"OS_CLIENT_CONFIG_FILE": str(self.clouds_yaml)}
        opts = auto.LocalWorkspaceOptions(
            work_dir=str(work_dir),
            secrets_provider="passphrase",
            env_vars=env,
            project_settings=auto.ProjectSettings(
                name=self.project,
                runtime="python",
                backend=auto.ProjectBackend(url=backend.resolve().as_uri()),
            ),
        )
        with _as_pulumi_failed(target.name, "stack selection"):
            stack = auto.create_or_select_stack(
                stack_name=target.name, project_name=self.project, program=target.program, opts=opts
            )
            stack.set_config("openstack:cloud", auto.ConfigValue(self.cloud))
            stack.set_config("openstack:region", auto.ConfigValue(self.region))
        return stack

    def preview(self, target: StackTarget) -> StackSummary:
        stack = self._stack(target)
        with _as_pulumi_failed(target.name, "preview"):
            result = stack.preview(on_output=self.on_output, color="never")
        return StackSummary(
            target.name, "preview", {str(k): int(v) for k, v in result.change_summary.items()}
        )

    def up(self, target: StackTarget) -> StackSummary:
        stack = self._stack(target)
        with _as_pulumi_failed(target.name, "up"):
            result = stack.up(on_output=self.on_output, color="never")
        changes = result.summary.resource_changes or {}
        outputs = {k: v.value for k, v in result.outputs.items() if not v.secret}
        return StackSummary(target.name, "up", {str(k): int(v) for k, v in changes.items()}, outputs)

    def destroy(self, target: StackTarget) -> StackSummary:
        stack = self._stack(target)
        with _as_pulumi_failed(target.name, "destroy"):
            result = stack.destroy(on_output=self.on_output, color="never")
        changes = result.summary.resource_changes or {}
        return StackSummary(target.name, "destroy", {str(k): int(v) for k, v in changes.items()})
