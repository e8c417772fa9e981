#!/bin/sh
# Fetch Mbed TLS's source (2.28 LTS) from Debian's `mbedtls` source package into
# hw/third_party/mbedtls (see fetch_debian_source.sh for how the archive is found).
# Usage: hw/scripts/fetch_mbedtls.sh [--force]
set -eu
exec sh "$(dirname "$0")/fetch_debian_source.sh" mbedtls mbedtls library/ssl_tls.c "$@"
