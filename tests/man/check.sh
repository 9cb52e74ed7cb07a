#!/usr/bin/env bash
# The man pages as a reader meets them: groff finds nothing to warn about in
# any page, every `man FUNCTION` page leads to an existing page, and
# rdssecure(1) names every command, option, exit status and environment
# variable `rdssecure --help` lists and every JSON field the commands that
# need no server print; every function the library exports has a page.
#   check.sh MAN_DIR CLI SOURCE_DIR LIBRARY
set -euo pipefail
man_dir=$1 cli=$2 source=$3 library=$4
failed=0
fail() { echo "FAIL: $*"; failed=1; }

for page in "$man_dir"/man1/*.1 "$man_dir"/man3/*.3; do
  if head -n 1 "$page" | grep -q '^\.so '; then
    target=$(sed -n 's/^\.so //p' "$page")
    [ -f "$man_dir/$target" ] || fail "$page points at $target, which is not there"
    continue
  fi
  warnings=$(groff -ww -z -man "$page" 2>&1 || true)
  [ -z "$warnings" ] || fail "$page: $warnings"
done

exported=$(nm -D --defined-only "$library" | awk '$2 == "T" && $3 ~ /^rdss_/ {print $3}')
for symbol in $exported; do
  [ -f "$man_dir/man3/$symbol.3" ] || fail "the library exports $symbol, and no man page has its name"
done

page_source="$source/docs/man/rdssecure.1.scd"
help=$("$cli" --help)
# the words of the help: commands, --options, exit statuses, variables
for word in $(grep -o -- '--[a-z][a-z-]*' <<<"$help" | sort -u) \
            version connect probe audit bundle list verify regions expiry help \
            $(grep -oE '^  [0-9]+ ' <<<"$help" | tr -d ' ') \
            $(grep -oE '^  [A-Z][A-Z_]+' <<<"$help" | tr -d ' '); do
  grep -qF -- "$word" "$page_source" || fail "rdssecure(1) does not mention '$word' (rdssecure --help does)"
done
for code in $(seq 11 21); do
  name=$(grep -E "^  $code " <<<"$help" | awk '{print $2}')
  grep -qF -- "$name" "$page_source" || fail "rdssecure(1) does not name exit status $code ($name)"
done
# JSON fields of the commands that need no server
fields=$(for args in "version" "bundle list" "bundle verify" "bundle regions" "bundle expiry --within 1"; do
  # shellcheck disable=SC2086
  "$cli" $args --json || true
done | python3 -c 'import json,sys
keys=set()
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items(): keys.add(k); walk(v)
    elif isinstance(o, list):
        for v in o: walk(v)
for line in sys.stdin:
    walk(json.loads(line))
print("\n".join(sorted(keys)))')
for field in $fields; do
  grep -qF -- "*$field*" "$page_source" || fail "rdssecure(1) does not document the JSON field '$field'"
done
[ "$failed" = 0 ] && echo "man pages: no groff warning; every alias resolves; rdssecure(1) covers the help and the JSON fields"
exit "$failed"
