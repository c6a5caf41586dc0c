#!/bin/sh
# Install Debian's Virtuoso for the second-real-store tests, only when it is missing.
# The tests start virtuoso-t themselves with a generated virtuoso.ini in a temporary
# directory on free ports (tests/virtuoso_server.py): the Debian service is never needed,
# and it is stopped if apt starts it.
set -eu
if command -v virtuoso-t >/dev/null 2>&1 && command -v isql-vt >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "virtuoso-t is missing; run as root (or: sudo apt-get install virtuoso-opensource)" >&2
    exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends virtuoso-opensource >/dev/null
if command -v service >/dev/null 2>&1; then
    service virtuoso-opensource-7 stop >/dev/null 2>&1 || true
fi
command -v virtuoso-t && command -v isql-vt
