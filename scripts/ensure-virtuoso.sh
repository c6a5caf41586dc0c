#!/bin/sh
# Debian's Virtuoso for the second-real-store tests. The tests start virtuoso-t themselves
# with a generated virtuoso.ini in a temporary directory on free ports (bench/virtuoso_server.py).
export SERVICE=virtuoso-opensource-7
exec sh "$(dirname "$0")/ensure-apt.sh" virtuoso-opensource virtuoso-t isql-vt
