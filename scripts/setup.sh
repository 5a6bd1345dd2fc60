#!/usr/bin/env bash
# Fresh-machine set-up shared by the README's two commands and CI: Debian packages (when we
# can install them), npm dependencies, and the TypeScript build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=$(grep -v '^\s*#' scripts/debian-packages.txt | grep -v '^\s*$' | tr '\n' ' ')
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages:$missing"
    # Bounded: a mirror that stops answering fails the set-up instead of hanging it.
    timeout 900 apt-get update -qq
    DEBIAN_FRONTEND=noninteractive timeout 1200 apt-get install -y -qq $missing >/dev/null
  else
    echo "setup: missing Debian packages (install them for offline voice and browser tests):$missing" >&2
  fi
fi

# Reinstall only when the lockfile changed since the last install. `npm ci` installs exactly the
# lockfile and never rewrites it, so a fresh clone stays clean (`npm install` used to add the
# other platforms' optional biome binaries to package-lock.json).
if [ ! -f node_modules/.roomkit-lock ] || ! cmp -s package-lock.json node_modules/.roomkit-lock; then
  # Bounded, and tried twice: a registry download that stalls would otherwise hang the set-up.
  timeout 900 npm ci --no-audit --no-fund || {
    echo "setup: npm ci failed or took over 15 minutes (exit $?); trying once more" >&2
    timeout 900 npm ci --no-audit --no-fund
  }
  cp package-lock.json node_modules/.roomkit-lock
fi
npm run --silent build
