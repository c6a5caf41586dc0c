#!/bin/sh
# Install Debian's Apache httpd for the w3id redirect tests, only when it is missing.
# The tests start their own instance (own ServerRoot, config and port in a temp dir); the
# package's system service is neither configured nor needed.
set -eu
if command -v apache2 >/dev/null 2>&1 || [ -x /usr/sbin/apache2 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "apache2 is missing; run as root (or: sudo apt-get install apache2)" >&2
    exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends apache2 >/dev/null
[ -x /usr/sbin/apache2 ]
