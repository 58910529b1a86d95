#!/bin/sh
# Regenerate vmimages/packages.lock from the Debian mirror
# ($ROLLOUTLAB_DEBIAN_MIRROR, default http://deb.debian.org/debian).
# Extra arguments go to the generator, e.g. -suite bookworm -o -
set -eu
cd "$(dirname "$0")/.."
exec go run ./vmimages/lockgen "$@"
