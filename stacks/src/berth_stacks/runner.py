"""The Pulumi engine driven through the Automation API: inline programs (berth_stacks.programs), a
`file://` backend under the site's state directory, the passphrase secrets provider, and the OpenStack
provider configured from a clouds.yaml cloud name.

Every failure leaves as berth_core.errors.PulumiFailed (exit 7) with a hint, never a traceback. The Pulumi
CLI is not installable on the machines berth is built on, so only the refusals (no CLI, no passphrase)
run in tests; docs/pulumi.md says what has and has not been exercised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, Literal

from berth_core.errors import PulumiFailed
from berth_core.site import Site
from berth_core.state import DesiredState
from berth_stacks.engine import require_passphrase, require_pulumi_cli
from berth_stacks.programs import StackTarget, site_targets

_STDERR_LINES = 12  # enough of Pulumi's own words to act on, not a wall of text

Operation = Literal["preview", "up", "destroy"]
OnOutput = Callable[[str], None]


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


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-_STDERR_LINES:])


@contextmanager
def pulumi_errors_as_berth(stack: str, operation: str) -> Iterator[None]:
    from pulumi.automation import errors

    try:
        yield
    except errors.ConcurrentUpdateError as error:
        raise PulumiFailed(
            f"stack {stack} is locked by another Pulumi update",
            hint="if no other apply runs, clear it with `pulumi cancel` in the stack's workspace",
        ) from error
    except errors.CommandError as error:
        raise PulumiFailed(f"pulumi {operation} of stack {stack} failed", hint=_tail(str(error))) from error
    except (OSError, RuntimeError) as error:  # the CLI vanished, or the language host broke
        raise PulumiFailed(f"pulumi {operation} of stack {stack} failed: {error}") from error


def change_counts(changes: Mapping[Any, Any] | None) -> dict[str, int]:
    return {str(getattr(op, "value", op)): int(n) for op, n in (changes or {}).items()}


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
        self.pulumi_dir = pulumi_dir  # .berth/<site>/pulumi/
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
        with pulumi_errors_as_berth(target.name, "stack selection"):
            stack = auto.create_or_select_stack(
                stack_name=target.name, project_name=self.project, program=target.program, opts=opts
            )
            # inline programs do not declare their plugins: install the one matching the Python SDK
            stack.workspace.install_plugin("openstack", f"v{version('pulumi-openstack')}")
            stack.set_config("openstack:cloud", auto.ConfigValue(self.cloud))
            stack.set_config("openstack:region", auto.ConfigValue(self.region))
        return stack

    def preview(self, target: StackTarget) -> StackSummary:
        stack = self._stack(target)
        with pulumi_errors_as_berth(target.name, "preview"):
            result = stack.preview(on_output=self.on_output, color="never")
        return StackSummary(target.name, "preview", change_counts(result.change_summary))

    def up(self, target: StackTarget) -> StackSummary:
        stack = self._stack(target)
        with pulumi_errors_as_berth(target.name, "up"):
            result = stack.up(on_output=self.on_output, color="never")
        outputs = {k: v.value for k, v in result.outputs.items() if not v.secret}
        return StackSummary(target.name, "up", change_counts(result.summary.resource_changes), outputs)

    def destroy(self, target: StackTarget) -> StackSummary:
        stack = self._stack(target)
        with pulumi_errors_as_berth(target.name, "destroy"):
            result = stack.destroy(on_output=self.on_output, color="never")
        return StackSummary(target.name, "destroy", change_counts(result.summary.resource_changes))

    def apply_site(self, site: Site, desired: DesiredState, *, preview: bool = False) -> list[StackSummary]:
        """The platform stack first (tenants look its network, pool and flavors up by name), then one
        stack per tenant. Stops at the first failure, which names its stack."""
        run = self.preview if preview else self.up
        return [run(target) for target in site_targets(site, desired)]
