#!/usr/bin/env python3
"""librdssecure from Python through ctypes: no compiled extension.

Connects to PostgreSQL over verified TLS, probes a server's certificate
chain without credentials, and prints the typed name on failure -- the
name a program acts on (see CONTRACT's typed errors).

    python3 rdssecure_ctypes.py --conninfo 'host=db1... user=app dbname=app' \
        [--bundle global-bundle.pem] [--probe HOST:PORT] [--lib /path/librdssecure.so.0]

Exit status: 0 when everything was ok, else 10 + the first failure's code
(as the rdssecure CLI does).
"""
import argparse
import ctypes
import ctypes.util
import sys

RDSS_ENGINE_PG = 0
RDSS_DAYS_UNKNOWN = -2147483648


def load(path):
    """The library, with the prototypes this program uses (plain C types and
    opaque handles only: every handle is a void pointer here)."""
    lib = ctypes.CDLL(path or ctypes.util.find_library("rdssecure") or "librdssecure.so.0")
    handle, code, text = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
    out_handle = ctypes.POINTER(ctypes.c_void_p)
    for name, restype, argtypes in [
        ("rdss_version", text, []),
        ("rdss_config_new", handle, []),
        ("rdss_config_free", None, [handle]),
        ("rdss_config_set_bundle_file", code, [handle, text, out_handle]),
        ("rdss_config_set_timeout_ms", code, [handle, ctypes.c_long, out_handle]),
        ("rdss_error_code", code, [handle]),
        ("rdss_error_name", text, [code]),
        ("rdss_error_message", text, [handle]),
        ("rdss_error_free", None, [handle]),
        ("rdss_pg_connect", handle, [handle, text, out_handle]),
        ("rdss_pg_tls_info", code, [handle, out_handle, out_handle]),
        ("rdss_tls_info_version", text, [handle]),
        ("rdss_tls_info_free", None, [handle]),
        ("rdss_probe", code, [handle, code, text, code, out_handle, out_handle]),
        ("rdss_probe_report_anchor_family", text, [handle]),
        ("rdss_probe_report_days_until_expiry", ctypes.c_long, [handle]),
        ("rdss_probe_report_chain_length", ctypes.c_size_t, [handle]),
        ("rdss_probe_report_free", None, [handle]),
    ]:
        function = getattr(lib, name)
        function.restype, function.argtypes = restype, argtypes
    return lib


def failure(lib, err):
    """(code, "name: message") of an error handle, and frees it."""
    code = lib.rdss_error_code(err)
    line = "%s: %s" % (lib.rdss_error_name(code).decode(), lib.rdss_error_message(err).decode())
    lib.rdss_error_free(err)
    return code, line


def connect(lib, libpq, cfg, conninfo):
    err = ctypes.c_void_p()
    conn = lib.rdss_pg_connect(cfg, conninfo.encode(), ctypes.byref(err))
    if not conn:
        code, line = failure(lib, err)
        print("connect: " + line)
        return code
    info = ctypes.c_void_p()
    lib.rdss_pg_tls_info(conn, ctypes.byref(info), None)
    print("connect: ok over %s" % lib.rdss_tls_info_version(info).decode())
    lib.rdss_tls_info_free(info)
    libpq.PQfinish(conn)  # the PGconn is libpq's: any libpq call works on it
    return 0


def probe(lib, cfg, target):
    host, _, port = target.rpartition(":")
    report, err = ctypes.c_void_p(), ctypes.c_void_p()
    code = lib.rdss_probe(cfg, RDSS_ENGINE_PG, host.strip("[]").encode(), int(port),
                          ctypes.byref(report), ctypes.byref(err))
    if code != 0:
        _, line = failure(lib, err)
        print("probe: " + line)
    else:
        days = lib.rdss_probe_report_days_until_expiry(report)
        print("probe: ok, %d certificates, anchored by %s, %s days until the first expiry" % (
            lib.rdss_probe_report_chain_length(report),
            lib.rdss_probe_report_anchor_family(report).decode(),
            "unknown" if days == RDSS_DAYS_UNKNOWN else days))
    lib.rdss_probe_report_free(report)
    return code


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib", help="path of librdssecure.so.0 (default: the linker's search)")
    parser.add_argument("--bundle", help="an on-disk CA bundle instead of the embedded one")
    parser.add_argument("--conninfo", required=True, help="a libpq conninfo string or URI")
    parser.add_argument("--probe", help="HOST:PORT of a PostgreSQL server to probe")
    args = parser.parse_args()

    lib = load(args.lib)
    libpq = ctypes.CDLL(ctypes.util.find_library("pq") or "libpq.so.5")
    libpq.PQfinish.argtypes, libpq.PQfinish.restype = [ctypes.c_void_p], None
    print("librdssecure %s" % lib.rdss_version().decode())

    cfg = lib.rdss_config_new()
    err = ctypes.c_void_p()
    codes = []
    if args.bundle and lib.rdss_config_set_bundle_file(cfg, args.bundle.encode(), ctypes.byref(err)):
        code, line = failure(lib, err)
        print("bundle: " + line)
        codes.append(code)
    else:
        lib.rdss_config_set_timeout_ms(cfg, 5000, None)
        codes.append(connect(lib, libpq, cfg, args.conninfo))
        if args.probe:
            codes.append(probe(lib, cfg, args.probe))
    lib.rdss_config_free(cfg)
    failed = [c for c in codes if c != 0]
    return 10 + failed[0] if failed else 0


if __name__ == "__main__":
    sys.exit(main())
