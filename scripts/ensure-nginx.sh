#!/bin/sh
# Install Debian's nginx for `make serve-public` and its tests, only when it is missing.
# Only the binary is used: kg serve-public runs it with its own configuration and prefix,
# so the Debian service (and its /etc/nginx) is never needed; it is stopped if apt starts it.
set -eu
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "nginx is missing; run as root (or: sudo apt-get install nginx)" >&2
    exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends nginx >/dev/null
# Where apt started the packaged service, stop it: it would hold port 80 for nothing.
if command -v service >/dev/null 2>&1; then
    service nginx stop >/dev/null 2>&1 || true
fi
[ -x /usr/sbin/nginx ] || command -v nginx
