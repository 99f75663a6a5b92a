"""Host preflight, the pure part: what each role requires, and verdicts on what a host measured.

The CLI (berth_cli.preflight) connects, runs one probe per host and parses it into `Facts`; here those
facts become pass / warn / fail results, each failure with the thing the operator should do about it.
No network, no subprocess, no clock: everything here is tested with plain values.
"""

from berth_core.preflight.capacity import TOLERANCE, Measured, compare_capacity
from berth_core.preflight.requirements import (
    BASE,
    GROUP_DEFAULTS,
    SETTINGS_VAR,
    Requirements,
    Strictness,
    combine,
    group_requirements,
    version_key,
)
from berth_core.preflight.results import (
    STATUS_ORDER,
    CheckResult,
    Status,
    auth_failed,
    hostkey_changed,
    hostkey_unknown,
    ssh_timeout,
    unreachable,
    worst,
)
from berth_core.preflight.verdicts import DiskFacts, Facts, evaluate

__all__ = [
    "BASE",
    "GROUP_DEFAULTS",
    "SETTINGS_VAR",
    "STATUS_ORDER",
    "TOLERANCE",
    "CheckResult",
    "DiskFacts",
    "Facts",
    "Measured",
    "Requirements",
    "Status",
    "Strictness",
    "auth_failed",
    "combine",
    "compare_capacity",
    "evaluate",
    "group_requirements",
    "hostkey_changed",
    "hostkey_unknown",
    "ssh_timeout",
    "unreachable",
    "version_key",
    "worst",
]
