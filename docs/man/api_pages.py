#!/usr/bin/env python3
"""The man 3 pages of the public API, written from the public headers.

    api_pages.py INCLUDE_DIR OUT_DIR
    api_pages.py --list            the page names, for the build

The headers' comments are the API's documentation; this turns each group of
functions into one scdoc page (OUT_DIR/<page>.3.scd) with its declarations
and their comments, so the pages cannot drift from the headers, and writes
OUT_DIR/aliases.txt: one line "<function> <page>" per public function, for
the one-line pages that point `man <function>` at its group's page. A
public function that belongs to no group fails the build."""
import os
import re
import sys

# page: (header, first words of the section banners it takes, or None for
# the whole header), its one-line summary
PAGES = {
    "rdss_error": ("rdssecure.h", ["Typed errors", "Error objects"],
                   "typed errors and error objects"),
    "rdss_config": ("rdssecure.h", ["Configuration"],
                    "the trust, deadline and verify-name of connects"),
    "rdss_bundle": ("rdssecure.h", ["Bundle inspection"],
                    "inspect a CA bundle and the embedded editions"),
    "rdss_probe": ("rdssecure.h", ["Probe"],
                   "a server's certificate chain without credentials"),
    "rdss_tls_info": ("rdssecure.h", ["TLS facts", "Enforcement audit"],
                      "the TLS of a connection, and whether the server enforces it"),
    "rdss_library": ("rdssecure.h", ["Version", "Counters", "Process-wide state"],
                     "version, counters and process-wide state"),
    "rdss_pg": ("pg.h", None, "verified connects with libpq"),
    "rdss_mysql": ("mysql.h", None, "verified connects with MariaDB Connector/C"),
}

BANNER = re.compile(r"/\* -{20,}\n((?: \*.*\n)+?) \* -{20,} \*/\n")


def sections(text):
    """(title, body) per banner section of a header; body up to the next."""
    found = list(BANNER.finditer(text))
    for i, m in enumerate(found):
        title = "\n".join(line[3:].rstrip() for line in m.group(1).splitlines())
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        yield title, text[m.end():end]


def entries(body):
    """(comment, declarations) pairs: a comment and the RDSS_API / typedef
    declarations that follow it."""
    out = []
    comment, decls = "", []
    pos = 0
    token = re.compile(r"/\*.*?\*/|(?:RDSS_API|typedef)[^;{]*(?:\{[^}]*\}[^;]*)?;|#[^\n]*\n", re.S)
    for m in token.finditer(body):
        piece = m.group(0)
        if piece.startswith("/*"):
            if decls:
                out.append((comment, decls))
                comment, decls = "", []
            text = re.sub(r"^/\*+ ?|\*/$", "", piece).strip()
            text = "\n".join(re.sub(r"^ ?\* ?", "", line) for line in text.splitlines())
            comment = (comment + "\n" + text).strip() if not decls else text
        elif piece.startswith("#"):
            if piece.startswith("#define") and not piece.rstrip().endswith("_H"):
                decls.append(piece.strip())  # a public macro: the comment before it is its own
            continue
        else:
            # continuation lines were aligned after "RDSS_API ": move them back
            text = piece.strip()
            if text.startswith("RDSS_API "):
                text = "\n".join(line[len("RDSS_API "):] if i and line.startswith(" " * len("RDSS_API ")) else line
                                 for i, line in enumerate(text[len("RDSS_API "):].splitlines()))
            decls.append(text)
        pos = m.end()
    if decls:
        out.append((comment, decls))
    return out


def literal(text):
    return "```\n" + text + "\n```\n"


def main():
    if sys.argv[1:] == ["--list"]:
        print(";".join(PAGES))
        return
    include, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    headers = {}
    for name in ("rdssecure.h", "pg.h", "mysql.h"):
        with open(os.path.join(include, "rdssecure", name), encoding="utf-8") as f:
            headers[name] = f.read()
    aliases, documented = [], set()
    for page, (header, wanted, summary) in PAGES.items():
        text = headers[header]
        if wanted is None:
            intro = re.match(r"/\*(.*?)\*/", text, re.S).group(1)
            parts = [("", text[text.index("*/") + 2:])]
        else:
            intro = ""
            parts = [(t, b) for t, b in sections(text) if any(t.startswith(w) for w in wanted)]
            if len(parts) != len(wanted):
                sys.exit(f"api_pages.py: {page}: sections {wanted} not all found in {header}")
        lines = [f"{page}(3)", "", "# NAME", "", f"{page} - {summary}", "", "# SYNOPSIS", "",
                 literal(f"#include <rdssecure/{header}>\n\ncc app.c $(pkg-config --cflags --libs rdssecure)"),
                 "# DESCRIPTION", ""]
        if intro:
            lines.append(literal("\n".join(re.sub(r"^ ?\* ?", "", l) for l in intro.strip().splitlines())))
        for title, body in parts:
            if title:
                heading = re.split(r"[.:(]", title.splitlines()[0])[0].strip()
                rest = title[len(heading):].lstrip(".: \n")
                lines += [f"## {heading}", ""] + ([literal(rest)] if rest else [])
            for comment, decls in entries(body):
                lines.append(literal("\n".join(decls)))
                if comment:
                    lines.append(literal(comment))
                for d in decls:
                    m = re.search(r"\b(rdss_[A-Za-z0-9_]+)\s*\(", d)
                    if m and not d.startswith("typedef"):
                        aliases.append(f"{m.group(1)} {page}")
                        documented.add(m.group(1))
        lines += ["# SEE ALSO", "", "librdssecure(3), rdssecure(1)", ""]
        with open(os.path.join(out_dir, f"{page}.3.scd"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
    public = set()
    for text in headers.values():
        public |= set(re.findall(r"RDSS_API[^;(]*?\b(rdss_[A-Za-z0-9_]+)\s*\(", text))
    missing = sorted(public - documented)
    if missing:
        sys.exit("api_pages.py: no page documents " + ", ".join(missing))
    with open(os.path.join(out_dir, "aliases.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(sorted(aliases)) + "\n")


if __name__ == "__main__":
    main()
