#!/bin/sh
# Fetch a Debian source package into hw/third_party/<dir>: the board's third-party
# code (lwIP, Mbed TLS) comes from Debian's source packages, never committed.
#
# The archive is the one this machine's apt already uses: the URIs and Suites of
# /etc/apt/sources.list.d/*.sources (and /etc/apt/sources.list, if any) are turned
# into a private deb-src list in a temporary directory; /etc is never touched.
# Idempotent: exits at once when the tree is already there (its marker file exists).
#
# Usage: hw/scripts/fetch_debian_source.sh PACKAGE DIR MARKER [--force]
#   PACKAGE  the source package (lwip, mbedtls)
#   DIR      the folder under hw/third_party to unpack into
#   MARKER   a file, relative to the tree, that proves the layout (src/core/tcp.c)
# Needs apt-get, and dpkg-source (dpkg-dev) or patch to unpack.
set -eu

if [ $# -lt 3 ]; then
    echo "usage: $0 PACKAGE DIR MARKER [--force]" >&2
    exit 2
fi
package=$1
here=$(cd "$(dirname "$0")" && pwd)
dest=$(cd "$here/.." && pwd)/third_party/$2
marker=$3
stamp="$dest/.fetched"
me="fetch $package"

force=0
if [ "${4:-}" = "--force" ]; then
    force=1 # fetch again; the old tree is replaced only once the new one is unpacked
fi
if [ "$force" = 0 ] && [ -f "$stamp" ] && [ -f "$dest/$marker" ]; then
    exit 0
fi

command -v apt-get >/dev/null 2>&1 || { echo "$me: apt-get is required" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/nxpop3-$package.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/src"

# Build the private deb-src list from the machine's own apt sources.
list="$work/private.sources"
: > "$list"
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # Each stanza: collect URIs, Suites, Components, Signed-By; emit one deb-src stanza.
    awk -v out="$list" '
        function flush() {
            if (uris != "" && suites != "") {
                printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n", uris, suites, (comps == "" ? "main" : comps) >> out
                if (signed != "") printf "Signed-By: %s\n", signed >> out
                printf "\n" >> out
            }
            uris = ""; suites = ""; comps = ""; signed = ""
        }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        /^URIs:/       { sub(/^URIs:[ \t]*/, "");       uris = $0;   next }
        /^Suites:/     { sub(/^Suites:[ \t]*/, "");     suites = $0; next }
        /^Components:/ { sub(/^Components:[ \t]*/, ""); comps = $0;  next }
        /^Signed-By:/  { sub(/^Signed-By:[ \t]*/, "");  signed = $0; next }
        END { flush() }
    ' "$f"
done
if [ -f /etc/apt/sources.list ]; then
    # One-line format "deb [opts] URI suite components...": one deb822 stanza each
    # (the options are dropped, except that apt then uses its default keyrings).
    awk -v out="$list" '
        $1 == "deb" {
            i = 2
            if (substr($2, 1, 1) == "[") {
                while (i <= NF && substr($i, length($i), 1) != "]") i++
                i++
            }
            if (i + 1 > NF) next
            comps = ""
            for (j = i + 2; j <= NF; j++) comps = comps (comps == "" ? "" : " ") $j
            printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n\n", $i, $(i + 1), (comps == "" ? "main" : comps) >> out
        }
    ' /etc/apt/sources.list
fi
if [ ! -s "$list" ]; then
    echo "$me: no apt sources found in /etc/apt" >&2
    exit 1
fi

aptopts="-o Dir::Etc::SourceList=$list -o Dir::Etc::SourceParts=/dev/null \
 -o Dir::State::Lists=$work/lists -o Dir::Cache=$work/cache \
 -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Sandbox::User=root"

echo "$me: updating a private source index" >&2
# shellcheck disable=SC2086
apt-get -q $aptopts update >"$work/update.log" 2>&1 || { cat "$work/update.log" >&2; exit 1; }
echo "$me: downloading the $package source package" >&2
# shellcheck disable=SC2086
(cd "$work/src" && apt-get -q $aptopts source --download-only "$package") >"$work/source.log" 2>&1 \
    || { cat "$work/source.log" >&2; exit 1; }

dsc=$(ls "$work/src"/${package}_*.dsc 2>/dev/null | head -n 1)
[ -n "$dsc" ] || { echo "$me: no .dsc downloaded" >&2; exit 1; }
if command -v dpkg-source >/dev/null 2>&1; then
    dpkg-source --no-check -x "$dsc" "$work/src/unpacked" >"$work/unpack.log" 2>&1 \
        || { cat "$work/unpack.log" >&2; exit 1; }
else
    # Without dpkg-dev: unpack the upstream and Debian tarballs, apply the series by hand.
    command -v patch >/dev/null 2>&1 || { echo "$me: needs dpkg-source (dpkg-dev) or patch" >&2; exit 1; }
    orig=$(ls "$work/src"/${package}_*.orig.tar.* 2>/dev/null | head -n 1)
    debtar=$(ls "$work/src"/${package}_*.debian.tar.* 2>/dev/null | head -n 1)
    [ -n "$orig" ] && [ -n "$debtar" ] || { echo "$me: source tarballs missing" >&2; exit 1; }
    mkdir -p "$work/src/unpacked"
    tar -xf "$orig" -C "$work/src/unpacked" --strip-components=1
    tar -xf "$debtar" -C "$work/src/unpacked"
    series="$work/src/unpacked/debian/patches/series"
    if [ -f "$series" ]; then
        grep -v '^[[:space:]]*\(#\|$\)' "$series" | while read -r name _; do
            patch -s -p1 -d "$work/src/unpacked" < "$work/src/unpacked/debian/patches/$name" \
                || { echo "$me: patch $name failed" >&2; exit 1; }
        done
    fi
fi
[ -f "$work/src/unpacked/$marker" ] || { echo "$me: unexpected tree layout" >&2; exit 1; }

rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$work/src/unpacked" "$dest"
basename "$dsc" > "$stamp"
echo "$me: source in $dest ($(cat "$stamp"))" >&2
