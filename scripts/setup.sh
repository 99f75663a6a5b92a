#!/usr/bin/env bash
# Set up a fresh machine for berth: the Debian packages berth's tests and playbooks need before Ansible runs,
# uv, and the locked Python environment (.venv). Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# Packages needed before the playbooks run (they install the rest themselves) and by the test layers:
# openssh-server + iproute2 for the sshd test hosts in network namespaces, python3-apt for Ansible's apt
# module, prometheus for the exporter's scrape tests.
# debootstrap builds the lab hosts' Debian tree (tests/lab, docs/lab.md).
# ceph-common: the deploy host reads a Ceph site (`berth cloud status`, the exporter) with berth's read-only key.
APT_PACKAGES=(openssh-server openssh-client iproute2 python3-apt python3-venv prometheus sudo git debootstrap ceph-common)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d keeps apt from starting daemons (prometheus) that the tests start themselves on loopback.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

if ! command -v uv >/dev/null 2>&1; then
  echo "setup: installing uv"
  python3 -m pip install -q uv
fi
uv sync --frozen --quiet
echo "setup: ready ($(uv run --frozen berth --version 2>/dev/null || echo berth))"
