#!/usr/bin/env bash
# The whole test suite, from a fresh machine: set up, make sure the devcloud is up, then run every layer
# (unit, Pulumi mocks, Ansible against sshd test hosts, integration against the real devcloud).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/unit -x`.
# BERTH_NO_DEVCLOUD=1 skips bringing the devcloud up (its tests then skip and say why).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

if [[ "${BERTH_NO_DEVCLOUD:-0}" != 1 ]]; then
  if ! uv run --frozen berth cloud status --site aio >/dev/null 2>&1; then
    echo "test: devcloud not answering; deploying it (cold: a few minutes)"
    uv run --frozen berth cloud deploy --site aio --skip-preflight
  fi
fi

set +e
uv run --frozen pytest "$@"
rc=$?
set -e
# pytest exits 5 when a selection collected nothing: that is a broken suite, not a pass.
exit "$rc"
