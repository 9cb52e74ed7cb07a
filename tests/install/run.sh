#!/usr/bin/env bash
# Installs the build into a fresh prefix, then builds and runs a consumer
# program (both engines' headers, the drivers' own calls) two ways:
# pkg-config and CMake's find_package(rdssecure); builds the examples with
# the README's pkg-config line; runs the installed CLI as installed.
# (Static linking is not tried: on Debian, libpq's static dependencies
# libpgcommon/libpgport come only with postgresql-server-dev-15.)
#   run.sh BUILD_DIR [EXTRA_CFLAGS]
set -euo pipefail
build=$1 extra_cflags=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
source=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

cmake --install "$build" --prefix "$prefix" >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
libdir=$(pkg-config --variable=libdir rdssecure)
[ -f "$libdir/librdssecure.so.0" ] || { echo "no soname link in $libdir"; exit 1; }
[ -x "$prefix/bin/rdssecure" ] || { echo "CLI not installed"; exit 1; }
for doc in LICENSE NOTICE CHANGELOG.md; do
  [ -s "$prefix/share/doc/rdssecure/$doc" ] || { echo "$doc not installed"; exit 1; }
done
if command -v scdoc >/dev/null; then # the build makes the man pages when scdoc is there
  for page in man1/rdssecure.1 man3/librdssecure.3 man3/rdss_config.3 man3/rdss_config_new.3; do
    [ -s "$prefix/share/man/$page" ] || { echo "man page $page not installed"; exit 1; }
  done
  MANPATH="$prefix/share/man" man -w rdss_pg_connect >/dev/null || { echo "man rdss_pg_connect finds nothing"; exit 1; }
fi

echo "== pkg-config, shared"
# shellcheck disable=SC2046,SC2086
cc $extra_cflags "$here/consumer/consumer.c" $(pkg-config --cflags --libs rdssecure) -o "$work/shared"
LD_LIBRARY_PATH="$libdir" "$work/shared"
# (not `ldd | grep -q`: with pipefail, grep's early exit fails the pipe)
linked=$(LD_LIBRARY_PATH="$libdir" ldd "$work/shared")
grep -q "$libdir/librdssecure.so.0" <<<"$linked" \
  || { echo "consumer is not linked to the installed library"; exit 1; }

echo "== the examples, with the README's pkg-config line"
for example in pg_connect mysql_connect connect_stats bundle_info; do
  # shellcheck disable=SC2046,SC2086
  cc $extra_cflags "$source/examples/$example.c" $(pkg-config --cflags --libs rdssecure) -o "$work/$example"
done

echo "== the installed CLI, as installed (no LD_LIBRARY_PATH)"
"$prefix/bin/rdssecure" version

echo "== find_package(rdssecure)"
cmake -S "$here/consumer" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_FLAGS="$extra_cflags" -DCMAKE_EXE_LINKER_FLAGS="$extra_cflags" >/dev/null
cmake --build "$work/cmake" >/dev/null
"$work/cmake/consumer"
echo "installed library works through pkg-config and find_package"
