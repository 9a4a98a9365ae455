#!/usr/bin/env bash
# Debian packages the app and its tests need; installed only when missing (never a browser download).
set -euo pipefail
need=()
for pkg in fonts-dejavu-core fonts-noto-core libpango-1.0-0 libpangoft2-1.0-0 chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing system packages: ${need[*]} (install them with apt-get)" >&2
  fi
fi
