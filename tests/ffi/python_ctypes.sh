#!/usr/bin/env bash
# Runs examples/python/rdssecure_ctypes.py against the local PostgreSQL: the
# shared library through ctypes, a verified connect, a probe, and the typed
# name of a failure.
#   python_ctypes.sh PYTHON LIBRARY ENVDIR SOURCE_DIR
set -euo pipefail
python=$1 lib=$2 envdir=$3 src=$4
. "$envdir/postgres.env"
example="$src/examples/python/rdssecure_ctypes.py"
root="$envdir/pki/root.pem"
base="port=$PG_PORT user=$PG_USER dbname=$PG_DATABASE"
fail() { echo "FAIL: $*" >&2; echo "$out" >&2; exit 1; }

out=$("$python" "$example" --lib "$lib" --bundle "$root" \
  --conninfo "host=localhost $base password=$PG_PASSWORD" --probe "127.0.0.1:$PG_PORT") \
  || fail "a good connect and probe exited $?"
grep -q '^connect: ok over TLSv1\.' <<<"$out" || fail "no verified connect"
grep -q '^probe: ok, 2 certificates, anchored by rds-ca-rsa2048-g1' <<<"$out" || fail "no probe report"

status=0
out=$("$python" "$example" --lib "$lib" --bundle "$root" \
  --conninfo "host=127.0.0.1 $base password=wrong") || status=$?
[ "$status" = 15 ] || fail "a wrong password exited $status, not 15 (auth)"
grep -q '^connect: auth: ' <<<"$out" || fail "the typed name is not printed"

status=0
out=$("$python" "$example" --lib "$lib" --bundle "$envdir/pki/untrusted-root.pem" \
  --conninfo "host=127.0.0.1 $base password=$PG_PASSWORD" --probe "127.0.0.1:$PG_PORT") || status=$?
[ "$status" = 11 ] || fail "an untrusted root exited $status, not 11 (cert_verify)"
grep -q '^probe: cert_verify: ' <<<"$out" || fail "the probe does not say cert_verify"
echo "ok: python ctypes example"
