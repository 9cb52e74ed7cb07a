#!/usr/bin/env bash
# certs/update refuses bad input without touching the committed files, and
# rebuilds them identically from good input. Runs on a copy of certs/.
#   certs_update_test.sh SOURCE_DIR
set -euo pipefail
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$src/certs/update" "$src/certs/rds-global-roots.pem" "$src/certs/rds-proxy-roots.pem" "$work/"
before=$(cd "$work" && sha256sum rds-*.pem)
failures=0

expect_refusal() { # description input expected-message
  local out
  if out=$("$work/update" "$2" 2>&1); then
    echo "FAIL: accepted $1"; failures=$((failures + 1)); return
  fi
  grep -q -- "$3" <<<"$out" || { echo "FAIL: $1: message lacks '$3': $out"; failures=$((failures + 1)); }
  [ "$(cd "$work" && sha256sum rds-*.pem)" = "$before" ] || { echo "FAIL: $1 changed the committed files"; exit 1; }
  echo "ok: refused $1"
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
# a certificate of neither set
openssl req -x509 -newkey rsa:2048 -nodes -keyout /dev/null -subj "/CN=Evil Root CA" \
  -addext "basicConstraints=critical,CA:TRUE" -days 30 -out "$work/evil.pem" 2>/dev/null
cat "$work/evil.pem" "$work/rds-global-roots.pem" > "$work/with-evil.pem"
expect_refusal "a foreign root" "$work/with-evil.pem" "neither an RDS regional root"

# Good input: the committed files themselves, rebuilt identically.
cat "$work/rds-global-roots.pem" "$work/rds-proxy-roots.pem" > "$work/all.pem"
out=$("$work/update" "$work/all.pem")
grep -q "87 regional roots, 5 proxy roots" <<<"$out" || { echo "FAIL: good input: $out"; exit 1; }
[ "$(cd "$work" && sha256sum rds-*.pem)" = "$before" ] || { echo "FAIL: rebuild differs"; exit 1; }
echo "ok: good input rebuilds the committed files identically"

[ "$failures" = 0 ] || exit 1
