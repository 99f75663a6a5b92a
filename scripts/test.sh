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
if [[ $# -eq 0 && "${BERTH_SERIAL_TESTS:-0}" != 1 ]]; then
  # The whole suite: the lab layer (pristine hosts in their own network namespaces, on the lab's bridge;
  # mostly waiting on SSH, apt and service starts) runs beside the other layers instead of after them,
  # which halves the wall time on 2 cores. The two share nothing: the lab never touches the devcloud on
  # 127.0.0.1 nor the ssh tests' 10.250.0.0/16. BERTH_SERIAL_TESTS=1 runs one layer after the other.
  # labone's one-host deploy (marker beyond_ci, ~12 min) does not fit CI's budget beside site lab's HA
  # test, which deploys the same roles onto five pristine hosts; BERTH_FULL_LAB=1 runs it as well.
  lab_markers="lab and not beyond_ci"
  [[ "${BERTH_FULL_LAB:-0}" == 1 ]] && lab_markers="lab"
  lab_log=$(mktemp /tmp/berth-lab-tests.XXXXXX)
  uv run --frozen pytest -m "$lab_markers" -p no:cacheprovider >"$lab_log" 2>&1 &
  lab_pid=$!
  uv run --frozen pytest -m "not lab"
  rc=$?
  wait "$lab_pid"
  lab_rc=$?
  echo "== the lab layer (run beside the others)"
  cat "$lab_log"
  rm -f "$lab_log"
  [[ $rc -eq 0 ]] && rc=$lab_rc
else
  uv run --frozen pytest "$@"
  rc=$?
fi
set -e
# pytest exits 5 when a selection collected nothing: that is a broken suite, not a pass.
exit "$rc"
