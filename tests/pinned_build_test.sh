#!/usr/bin/env bash
# The build refuses to embed a certs/rds-global-roots.pem that is not the
# file its pins record, so a library always embeds the edition it reports.
# Configures a copy of the source tree (library only) twice: as committed,
# then with one certificate of the bundle left out.
#   pinned_build_test.sh SOURCE_DIR
set -euo pipefail
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
(cd "$src" && tar --exclude=./build --exclude=./.git -cf - .) | tar -C "$work/src" -xf -
configure() {
  cmake -S "$work/src" -B "$work/build-$1" -DRDSSECURE_BUILD_TESTS=OFF -DRDSSECURE_BUILD_CLI=OFF \
        -DRDSSECURE_WITH_POSTGRES=OFF -DRDSSECURE_WITH_MYSQL=OFF 2>&1
}
out=$(configure committed) || { echo "FAIL: the committed tree does not configure: $out"; exit 1; }
echo "ok: the committed bundle matches its pins"
pem="$work/src/certs/rds-global-roots.pem"
awk '/BEGIN CERTIFICATE/ { n++ } n != 2 { print }' "$pem" > "$pem.new" && mv "$pem.new" "$pem"
if out=$(configure edited); then
  echo "FAIL: a bundle that is not the pinned file configured"; exit 1
fi
tr -s " \n" "  " <<<"$out" | grep -q "is not the pinned file" || { echo "FAIL: the refusal does not say why: $out"; exit 1; }
echo "ok: a bundle edited by hand is refused at configure time"

# certs/update --edition can pin any date on any bytes; configure then
# refuses unless editions.txt lists that date with those bytes, so the
# library never names an edition it does not embed.
rm -rf "$work/src/certs" && cp -r "$src/certs" "$work/src/certs"
sed -i 's/^edition .*/edition 2099-01/' "$work/src/certs/rds-global-roots.pins"
if out=$(configure unlisted); then
  echo "FAIL: an edition missing from editions.txt configured"; exit 1
fi
tr -s " \n" "  " <<<"$out" | grep -q "which is not a line of certs/editions.txt" \
  || { echo "FAIL: the refusal does not say why: $out"; exit 1; }
echo "ok: a pinned edition that editions.txt does not list is refused"
rm -rf "$work/src/certs" && cp -r "$src/certs" "$work/src/certs"
sed -i 's/^roots .*/roots 108);int x=(1/' "$work/src/certs/rds-global-roots.pins"
if out=$(configure malformed); then
  echo "FAIL: a malformed pins file configured"; exit 1
fi
tr -s " \n" "  " <<<"$out" | grep -q "'roots' is malformed" || { echo "FAIL: malformed pins: $out"; exit 1; }
echo "ok: a malformed pins value never reaches the generated C"
