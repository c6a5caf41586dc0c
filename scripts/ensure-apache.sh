#!/bin/sh
# Debian's Apache httpd for the w3id redirect tests. The tests start their own instance (own
# ServerRoot, config and port in a temp dir); the package's system service is never needed.
export SERVICE=apache2
exec sh "$(dirname "$0")/ensure-apt.sh" apache2 apache2
