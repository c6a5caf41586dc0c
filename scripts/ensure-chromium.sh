#!/bin/sh
# Install Debian's chromium for the browser tests, only when it is missing.
# Playwright's own browser download cannot work here (no network but the package
# registries), so the tests drive the distribution's build instead.
set -eu
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "chromium is missing; run as root (or: sudo apt-get install chromium)" >&2
    exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium
