#!/bin/sh
# Debian's nginx for `make serve-public` and its tests. Only the binary is used: kg
# serve-public runs it with its own configuration and prefix (src/kg/deploy/nginx.py).
export SERVICE=nginx
exec sh "$(dirname "$0")/ensure-apt.sh" nginx nginx
