#!/usr/bin/env bash
# Installs everything the test suite needs: system packages listed in .ci/apt/*.txt
# (browsers, fonts, libraries; installed with apt-get when missing) and the Python
# packages of cxgap[test] at the pinned versions of constraints.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=$(cat .ci/apt/*.txt 2>/dev/null | sed 's/#.*//' | tr -s ' \n' ' ' || true)
missing=""
for pkg in $packages; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "installing system packages:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "missing system packages (install them as root):$missing" >&2
  fi
fi
python -m pip install --quiet -c constraints.txt -e ".[test]"
