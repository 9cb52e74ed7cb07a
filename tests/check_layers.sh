#!/usr/bin/env bash
# lib/ is in layers (docs/ARCHITECTURE.md): a file may include headers of its
# own folder and of folders below it, never above, and the two engine
# adapters never include each other. Fails naming each include that breaks it.
#   check_layers.sh SOURCE_DIR
set -euo pipefail
cd "$1/lib"
declare -A rank=([core]=0 [net]=1 [policy]=1 [trust]=2 [tls]=3 [anchors]=4 [connect]=5 [pg]=6 [mysql]=6)
status=0 checked=0
for dir in */; do
  dir=${dir%/}
  [ -n "${rank[$dir]:-}" ] || { echo "lib/$dir: a folder with no layer (add it to check_layers.sh and docs/ARCHITECTURE.md)"; status=1; continue; }
  for file in "$dir"/*.[ch]; do
    while IFS= read -r used; do
      checked=$((checked + 1))
      if [ -z "${rank[$used]:-}" ]; then
        echo "lib/$file includes from '$used', which is no folder of lib/"; status=1
      elif [ "${rank[$used]}" -gt "${rank[$dir]}" ] || { [ "$used" != "$dir" ] && [ "${rank[$used]}" = "${rank[$dir]}" ]; }; then
        echo "lib/$file ($dir, layer ${rank[$dir]}) includes $used (layer ${rank[$used]}): a layer may use only those below it"; status=1
      fi
    done < <(sed -n 's|^#include "\([a-z_]*\)/[a-z_]*\.h".*|\1|p' "$file" | grep -vx rdssecure || true)
  done
done
echo "$checked includes between lib/ folders checked"
exit $status
