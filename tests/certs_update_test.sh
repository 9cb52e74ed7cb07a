#!/usr/bin/env bash
# certs/update refuses bad input without touching the committed files,
# rebuilds them identically from the edition they hold, names known editions,
# and never lets the bundle shrink unless told to. Runs on a copy of certs/.
#   certs_update_test.sh SOURCE_DIR
set -euo pipefail
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$src/certs/update" "$src/certs/rds-global-roots.pem" "$src/certs/rds-proxy-roots.pem" \
   "$src/certs/rds-global-roots.pins" "$src/certs/editions.txt" "$work/"
state() { (cd "$work" && sha256sum rds-*.pem rds-global-roots.pins); }
before=$(state)
failures=0

expect_refusal() { # description input expected-message [options...]
  local out description=$1 input=$2 expected=$3
  shift 3
  if out=$("$work/update" "$@" "$input" 2>&1); then
    echo "FAIL: accepted $description"; failures=$((failures + 1)); return
  fi
  grep -q -- "$expected" <<<"$out" || { echo "FAIL: $description: message lacks '$expected': $out"; failures=$((failures + 1)); }
  [ "$(state)" = "$before" ] || { echo "FAIL: $description changed the committed files"; exit 1; }
  echo "ok: refused $description"
}

head -c 5000 "$work/rds-global-roots.pem" > "$work/truncated.pem"
expect_refusal "a truncated download" "$work/truncated.pem" "truncated"
echo "<html>503 Service Unavailable</html>" > "$work/html.pem"
expect_refusal "an HTML error page" "$work/html.pem" "truncated or not PEM"
awk '{print} /END CERTIFICATE/ && ++n == 3 {exit}' "$work/rds-global-roots.pem" > "$work/three.pem"
expect_refusal "too few roots" "$work/three.pem" "only 3 regional roots"
# a non-CA certificate (a leaf) among the roots
openssl req -x509 -newkey rsa:2048 -nodes -keyout /dev/null -subj "/CN=Amazon RDS us-east-1 Root CA RSA2048 G1" \
  -addext "basicConstraints=critical,CA:FALSE" -days 30 -out "$work/leaf.pem" 2>/dev/null
cat "$work/leaf.pem" "$work/rds-global-roots.pem" > "$work/with-leaf.pem"
expect_refusal "a leaf certificate" "$work/with-leaf.pem" "is not a CA certificate"
# a root whose own signature is broken (openssl verify accepts it as a
# trusted certificate unless told to check self-signatures)
openssl req -x509 -newkey rsa:2048 -nodes -keyout /dev/null -subj "/CN=Amazon RDS us-east-1 Root CA RSA2048 G1" \
  -addext "basicConstraints=critical,CA:TRUE" -days 30 -outform DER -out "$work/forged.der" 2>/dev/null
size=$(stat -c %s "$work/forged.der")
# every bit of one signature byte flipped (writing a fixed 0xff left the
# signature intact whenever that byte already was 0xff: 1 run in 256)
at=$((size - 5))
byte=$(od -An -tu1 -j "$at" -N1 "$work/forged.der" | tr -d ' ')
# shellcheck disable=SC2059 # the format is the octal escape of the flipped byte
printf "\\$(printf '%03o' $((byte ^ 255)))" | dd of="$work/forged.der" bs=1 seek="$at" conv=notrunc 2>/dev/null
cmp -s <(printf "\\$(printf '%03o' "$byte")") <(dd if="$work/forged.der" bs=1 skip="$at" count=1 2>/dev/null) \
  && { echo "FAIL: the signature byte did not change"; exit 1; }
openssl x509 -inform DER -in "$work/forged.der" -out "$work/forged.pem"
cat "$work/forged.pem" "$work/rds-global-roots.pem" > "$work/with-forged.pem"
expect_refusal "a root with a broken self-signature" "$work/with-forged.pem" "is not a valid self-signed root"
# a certificate of neither set
openssl req -x509 -newkey rsa:2048 -nodes -keyout /dev/null -subj "/CN=Evil Root CA" \
  -addext "basicConstraints=critical,CA:TRUE" -days 30 -out "$work/evil.pem" 2>/dev/null
cat "$work/evil.pem" "$work/rds-global-roots.pem" > "$work/with-evil.pem"
expect_refusal "a foreign root" "$work/with-evil.pem" "neither an RDS regional root"

# Names and flags an attacker can plant in other attributes: a common name
# inside an OU, two common names, "CA:TRUE" as an OU of a CA:FALSE certificate
ca_ext="basicConstraints=critical,CA:TRUE"
make_root() { # file subject extension
  openssl req -x509 -newkey rsa:2048 -nodes -keyout /dev/null -subj "$2" -addext "$3" -days 30 -out "$1" 2>/dev/null
}
make_root "$work/ou-cn.pem" "/OU=xCN = Amazon RDS us-east-1 Root CA RSA2048 G3/CN=Evil Corp Root" "$ca_ext"
cat "$work/ou-cn.pem" "$work/rds-global-roots.pem" > "$work/with-ou-cn.pem"
expect_refusal "a foreign root whose OU holds an RDS name" "$work/with-ou-cn.pem" "(Evil Corp Root) is neither" --edition 2099-01
make_root "$work/two-cn.pem" "/CN=Evil Corp Root/CN=Amazon RDS us-east-1 Root CA RSA2048 G3" "$ca_ext"
cat "$work/two-cn.pem" "$work/rds-global-roots.pem" > "$work/with-two-cn.pem"
expect_refusal "a root with two common names" "$work/with-two-cn.pem" "does not have exactly one common name" --edition 2099-01
make_root "$work/ou-ca.pem" "/OU=CA:TRUE/CN=Amazon RDS us-east-1 Root CA RSA2048 G4" "basicConstraints=critical,CA:FALSE"
cat "$work/ou-ca.pem" "$work/rds-global-roots.pem" > "$work/with-ou-ca.pem"
expect_refusal "a CA:FALSE certificate with CA:TRUE as its OU" "$work/with-ou-ca.pem" "is not a CA certificate" --edition 2099-01
# The RDS Proxy roots are public web roots: only the committed ones, ever
make_root "$work/fake-proxy.pem" "/CN=Amazon Root CA 1" "$ca_ext"
cat "$work/rds-global-roots.pem" "$work/fake-proxy.pem" > "$work/with-fake-proxy.pem"
expect_refusal "a forged RDS Proxy root" "$work/with-fake-proxy.pem" "named like an RDS Proxy root but is not the committed one"
# An official date on other bytes
make_root "$work/extra.pem" "/CN=Amazon RDS us-east-1 Root CA RSA2048 G2" "$ca_ext"
cat "$work/rds-global-roots.pem" "$work/extra.pem" > "$work/with-extra.pem"
expect_refusal "--edition naming a known edition" "$work/with-extra.pem" "names a known edition" --edition 2026-09
expect_refusal "an unknown edition under --check" "$work/with-extra.pem" "not a known official edition" --check
printf '\n\n' > "$work/blank.pem"
expect_refusal "a file of blank lines" "$work/blank.pem" "truncated or not PEM"

# Good input: the committed files themselves, rebuilt identically; the
# global roots are the published edition, byte for byte, and named as such.
cat "$work/rds-global-roots.pem" "$work/rds-proxy-roots.pem" > "$work/all.pem"
out=$("$work/update" "$work/all.pem")
grep -q "108 regional roots, 5 RDS Proxy roots left out" <<<"$out" || { echo "FAIL: good input: $out"; exit 1; }
[ "$(state)" = "$before" ] || { echo "FAIL: rebuild differs"; exit 1; }
echo "ok: good input rebuilds the committed files identically"
out=$("$work/update" --check "$work/rds-global-roots.pem")
grep -q "edition: known official edition 2026-09 (108 roots" <<<"$out" || { echo "FAIL: edition not named: $out"; exit 1; }
grep -q "regions (36)" <<<"$out" || { echo "FAIL: regions: $out"; exit 1; }
echo "ok: the published edition is recognised"

# An expired root (old editions carried the 2019 CAs) is dropped and named.
openssl req -new -newkey rsa:2048 -nodes -keyout "$work/expired.key" -out "$work/expired.csr" \
  -subj "/CN=Amazon RDS us-east-1 Root CA RSA2048 G0" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE\n' > "$work/ca.ext"
openssl x509 -req -in "$work/expired.csr" -signkey "$work/expired.key" -days -1 -extfile "$work/ca.ext" \
  -out "$work/expired.pem" 2>/dev/null
cat "$work/expired.pem" "$work/rds-global-roots.pem" > "$work/with-expired.pem"
out=$("$work/update" "$work/with-expired.pem")
grep -q "dropped (expired): Amazon RDS us-east-1 Root CA RSA2048 G0" <<<"$out" || { echo "FAIL: expired root: $out"; exit 1; }
grep -q "edition: known official edition 2026-09" <<<"$out" || { echo "FAIL: edition less the expired root: $out"; exit 1; }
[ "$(state)" = "$before" ] || { echo "FAIL: the expired root was kept"; exit 1; }
echo "ok: an expired root is dropped and named"

# A bundle must never shrink by accident: an input without three pinned,
# unexpired roots is refused, --check included, and named root by root.
awk '/BEGIN CERTIFICATE/ { n++ } n > 3 { print }' "$work/rds-global-roots.pem" > "$work/shrunk.pem"
expect_refusal "an input that drops three roots" "$work/shrunk.pem" "would drop 3 embedded roots that have not expired"
out=$("$work/update" --check "$work/shrunk.pem" 2>&1) && { echo "FAIL: --check accepted a shrinking input"; exit 1; }
grep -q "would drop 3" <<<"$out" || { echo "FAIL: --check does not say it would refuse: $out"; exit 1; }
[ "$(grep -c '^missing from the input, not expired: Amazon RDS ' <<<"$out")" = 3 ] \
  || { echo "FAIL: the dropped roots are not named: $out"; exit 1; }
grep -q "NOT a known official edition" <<<"$out" || { echo "FAIL: unknown edition not said: $out"; exit 1; }
# Told to drop, it still needs to know which edition it is writing.
expect_refusal "an unknown edition without --edition" "$work/shrunk.pem" "not a known official edition" --allow-drop
expect_refusal "a malformed --edition" "$work/shrunk.pem" "takes YYYY-MM" --allow-drop --edition 2026-9
out=$("$work/update" --allow-drop --edition 2027-01 "$work/shrunk.pem")
grep -q "^edition 2027-01$" "$work/rds-global-roots.pins" || { echo "FAIL: edition not pinned"; exit 1; }
grep -q "^roots 105$" "$work/rds-global-roots.pins" || { echo "FAIL: root count not pinned"; exit 1; }
[ "$(grep -c '^root ' "$work/rds-global-roots.pins")" = 105 ] || { echo "FAIL: fingerprints not pinned"; exit 1; }
[ "$(sha256sum < "$work/rds-global-roots.pem" | cut -d' ' -f1)" = "$(sed -n 's/^file-sha256 //p' "$work/rds-global-roots.pins")" ] \
  || { echo "FAIL: file-sha256 does not match the file written"; exit 1; }
echo "ok: --allow-drop --edition writes the smaller bundle and its pins"
# Back to the full edition: adding roots needs no permission.
"$work/update" "$src/certs/rds-global-roots.pem" > /dev/null
[ "$(state)" = "$before" ] || { echo "FAIL: the full edition did not restore the committed files"; exit 1; }
echo "ok: an edition that adds roots is accepted"

[ "$failures" = 0 ] || exit 1
