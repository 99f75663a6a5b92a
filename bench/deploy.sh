#!/usr/bin/env bash
# Devcloud deploy benchmark: `berth cloud down` (checking that no devcloud process is left), then a cold
# deploy from fresh state (warm pip and apt caches), then a no-op re-deploy; prints wall time, changed
# task counts, RAM (PSS) of the devcloud and the load average (the machine is shared: compare runs made
# side by side, not across days).
#
# DESTRUCTIVE for the devcloud on this machine: drops the OpenStack databases and removes /etc/berth,
# /var/lib/berth, /opt/berth (the virtualenv too, unless --keep-venv) and .berth/aio's secrets.
#   bash bench/deploy.sh [--keep-venv]
set -euo pipefail
cd "$(dirname "$0")/.."
keep_venv=0
[[ "${1:-}" == --keep-venv ]] && keep_venv=1

deploy() {  # prints "seconds changed"
  local t0 out
  t0=$EPOCHREALTIME
  out=$(uv run --frozen berth cloud deploy --site aio --skip-preflight --output json)
  python3 -c 'import json, sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.1f}", json.loads(sys.argv[3])["changed"])' \
    "$t0" "$EPOCHREALTIME" "$out"
}

devcloud_pss_mib() {  # PSS of OpenStack (the venv), MariaDB, RabbitMQ (beam, epmd), memcached and Ceph
  python3 - <<'PY'
import os, re
total = 0
pattern = re.compile(rb"/opt/berth/venv/|mariadbd|beam\.smp|epmd|memcached|ceph-(?:mon|mgr|osd)")
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        cmd = open(f"/proc/{pid}/cmdline", "rb").read()
        if not pattern.search(cmd):
            continue
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss:"):
                total += int(line.split()[1])
    except OSError:
        pass
print(total // 1024)
PY
}

leftovers() {  # devcloud processes still running (zombies excluded: they run nothing); nothing is killed here
  ps -eo pid=,stat=,args= | awk '$2 !~ /^Z/' \
    | grep -E '/opt/berth/venv/|mariadbd|beam\.smp|[e]pmd|[m]emcached|[c]eph-(mon|mgr|osd)' | grep -v grep || true
}

echo "== down"
uv run --frozen berth cloud down --site aio >/dev/null 2>&1 || true
left=$(leftovers)
if [[ -n "$left" ]]; then echo "down left processes running:"; echo "$left"; exit 1; fi
echo "down: no devcloud process left"

echo "== fresh state"
if [[ -x /etc/init.d/mariadb ]]; then
  /etc/init.d/mariadb start >/dev/null 2>&1 || true
  for _ in $(seq 30); do mysqladmin ping >/dev/null 2>&1 && break; sleep 1; done
  mysql -uroot -e "DROP DATABASE IF EXISTS keystone; DROP DATABASE IF EXISTS placement;
    DROP DATABASE IF EXISTS nova_api; DROP DATABASE IF EXISTS nova; DROP DATABASE IF EXISTS nova_cell0;
    DROP DATABASE IF EXISTS neutron; DROP DATABASE IF EXISTS cinder; DROP DATABASE IF EXISTS glance;" || true
  /etc/init.d/mariadb stop >/dev/null 2>&1 || true
fi
rm -rf /etc/berth /var/lib/berth /opt/berth/run /opt/berth/src .berth/aio/secrets .berth/aio/clouds.yaml
if [[ $keep_venv == 0 ]]; then rm -rf /opt/berth; fi

echo "== cold deploy (venv kept: $keep_venv)"
read -r cold_s cold_changed < <(deploy)
pss=$(devcloud_pss_mib)
echo "== no-op re-deploy"
read -r noop_s noop_changed < <(deploy)

printf '\n%-26s %8s %8s\n' "devcloud deploy" seconds changed
printf '%-26s %8s %8s\n' "cold (fresh state)" "$cold_s" "$cold_changed"
printf '%-26s %8s %8s\n' "no-op re-deploy" "$noop_s" "$noop_changed"
printf 'RAM (PSS) of the devcloud: %s MiB; cores: %s; load average: %s\n' \
  "$pss" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
