#!/usr/bin/env bash
# The Debian packages as a user meets them: cpack builds librdssecure0,
# librdssecure-dev and rdssecure from this build; dpkg installs them; a
# consumer (both engines' headers, the drivers' own calls) builds against the
# system paths with pkg-config and runs; the installed rdssecure runs and its
# man page is found; the packages are removed again whatever happened.
# Needs root (dpkg); skipped (exit 77) without it.
#   deb.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 source=$2
if [ "$(id -u)" != 0 ]; then
  echo "SKIPPED: installing packages takes root"
  exit 77
fi
for p in librdssecure0 librdssecure-dev rdssecure; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    echo "SKIPPED: $p is installed on this machine already; this test installs and removes its own"
    exit 77
  fi
done
work=$(mktemp -d)
cleanup() {
  dpkg -P rdssecure librdssecure-dev librdssecure0 >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" >/dev/null)
debs=("$work"/librdssecure0_*.deb "$work"/librdssecure-dev_*.deb "$work"/rdssecure_*.deb)
for deb in "${debs[@]}"; do
  [ -f "$deb" ] || { echo "cpack made no $(basename "$deb")"; exit 1; }
done
[ "$(dpkg-deb -f "$work"/librdssecure-dev_*.deb Depends | grep -o 'librdssecure0 (= [^)]*)')" ] \
  || { echo "librdssecure-dev does not depend on its exact runtime"; exit 1; }
# (not `| grep -q`: with pipefail, grep's early exit fails the pipe)
contents=$(dpkg-deb -c "$work"/librdssecure0_*.deb)
grep -q 'librdssecure\.so\.0 -> ' <<<"$contents" || { echo "librdssecure0 lacks the soname link"; exit 1; }
dpkg -i "${debs[@]}" >/dev/null

echo "== a consumer against the system paths"
cc "$source/tests/install/consumer/consumer.c" $(pkg-config --cflags --libs rdssecure) -o "$work/consumer"
"$work/consumer"
echo "== the installed command"
rdssecure version
man -w rdssecure >/dev/null
man -w rdss_pg_connect >/dev/null
echo "packages install, build a consumer, run, and are removed"
