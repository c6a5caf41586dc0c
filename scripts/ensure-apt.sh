#!/bin/sh
# Install a Debian package when one of its programs is missing:
#     [SERVICE=name] ensure-apt.sh PACKAGE PROGRAM...
# A program counts as present when it is on PATH or in /usr/sbin (not on every user's PATH).
# If apt starts the package's SERVICE, it is stopped: our scripts and tests run the program
# themselves, with their own configuration, and never need the service.
set -eu
package=$1
shift
missing=
for program in "$@"; do
    if ! command -v "$program" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$program" ]; then
        missing=$program
    fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "$missing is missing; run as root (or: sudo apt-get install $package)" >&2
    exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$package" >/dev/null
if [ -n "${SERVICE:-}" ] && command -v service >/dev/null 2>&1; then
    service "$SERVICE" stop >/dev/null 2>&1 || true
fi
for program in "$@"; do
    command -v "$program" >/dev/null 2>&1 || [ -x "/usr/sbin/$program" ]
done
