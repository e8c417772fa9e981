#!/bin/sh
# Fetch lwIP's source from Debian's `lwip` source package into hw/third_party/lwip
# (see fetch_debian_source.sh for how the archive is found).
# Usage: hw/scripts/fetch_lwip.sh [--force]
set -eu
exec sh "$(dirname "$0")/fetch_debian_source.sh" lwip lwip src/core/tcp.c "$@"
