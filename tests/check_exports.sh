#!/usr/bin/env bash
# The shared library exports the public API and nothing else: every dynamic
# symbol starts with rdss_, and every one is declared in a public header.
#   check_exports.sh LIBRARY INCLUDE_DIR
set -euo pipefail
lib=$1 include=$2
symbols=$(nm -D --defined-only "$lib" | awk '{print $3}' | sort -u)
[ -n "$symbols" ] || { echo "no exported symbols in $lib"; exit 1; }
status=0
count=0
for symbol in $symbols; do
  count=$((count + 1))
  case "$symbol" in
    rdss_*) ;;
    *) echo "exported but not rdss_: $symbol"; status=1; continue ;;
  esac
  grep -rqw -- "$symbol" "$include" || { echo "exported but in no public header: $symbol"; status=1; }
done
# and the other way round: every public function is exported
for declared in $(grep -rhoE 'RDSS_API [^(]*\brdss_[a-z0-9_]+\(' "$include" | grep -oE 'rdss_[a-z0-9_]+\($' | tr -d '('); do
  grep -qx -- "$declared" <<<"$symbols" || { echo "declared but not exported: $declared"; status=1; }
done
echo "$count exported symbols checked"
exit $status
