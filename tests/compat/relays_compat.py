#!/usr/bin/env python3
"""
relays_compat.py - compare mailwarden's relay analysis (relays-scan) with
SpamAssassin's own (sa_relays.pl) on the development corpus, pseudo-header by
pseudo-header and relay by relay.

    relays_compat.py RELAYS_SCAN SA_RELAYS_PL [--cache FILE] [--show N] [FILES...]

SpamAssassin's side is cached in FILE (default sa-relays.tsv in the current
directory); delete it to rerun (about 30 s).  Exits 1 when any message differs, so
it can serve as a test.
"""
import argparse
import glob
import os
import subprocess
import sys

CORPUS = os.environ.get("MW_CORPUS", "/var/cache/mailwarden/corpus")
NAMES = ["Trusted", "Untrusted", "Internal", "External"]


def run(cmd, files):
    out = subprocess.run(cmd, input="\n".join(files) + "\n", capture_output=True,
                         text=True, errors="replace", check=True).stdout
    res = {}
    for line in out.splitlines():
        f = line.split("\t")
        res[f[0]] = (f[1:] + ["", "", "", ""])[:4]
    return res


def relays(s):
    return [r + "]" for r in s.split(" ]") if r.strip()] if s else []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("relays_scan")
    ap.add_argument("sa_relays")
    ap.add_argument("--cache", default="sa-relays.tsv")
    ap.add_argument("--show", type=int, default=10)
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    files = a.files or sorted(glob.glob(f"{CORPUS}/easy-ham-1/*.txt") +
                              glob.glob(f"{CORPUS}/spam-1/*.txt"))
    if not files:
        sys.exit(f"no messages (corpus in {CORPUS}: scripts/fetch-corpus.sh)")
    if os.path.exists(a.cache) and not a.files:
        sa = {}
        with open(a.cache, errors="replace") as fh:
            for line in fh:
                f = line.rstrip("\n").split("\t")
                sa[f[0]] = (f[1:] + ["", "", "", ""])[:4]
    else:
        sa = run(["perl", a.sa_relays], files)
        if not a.files:
            with open(a.cache, "w") as fh:
                for k in files:
                    if k in sa:
                        fh.write("\t".join([k] + list(sa[k])) + "\n")
    mw = run([a.relays_scan, "-"], files)
    same = 0
    per = [0, 0, 0, 0]
    rel_same = rel_all = 0
    shown = 0
    for f in files:
        s, m = sa.get(f), mw.get(f)
        if s is None or m is None:
            continue
        if list(s) == list(m):
            same += 1
        for i in range(4):
            if s[i] == m[i]:
                per[i] += 1
        rs, rm = relays(s[1]), relays(m[1])
        rel_all += max(len(rs), len(rm))
        rel_same += sum(1 for x, y in zip(rs, rm) if x == y)
        if list(s) != list(m) and shown < a.show:
            shown += 1
            print(f"--- {f}")
            for i in range(4):
                if s[i] != m[i]:
                    print(f"  {NAMES[i]}\n    SA: {s[i]}\n    mw: {m[i]}")
    n = len(files)
    print(f"messages: {n}; all four pseudo-headers equal: {same} ({100.0 * same / n:.1f}%)")
    for i in range(4):
        print(f"  X-Spam-Relays-{NAMES[i]}: equal in {per[i]}")
    if rel_all:
        print(f"  untrusted relays equal: {rel_same}/{rel_all} ({100.0 * rel_same / rel_all:.1f}%)")
    sys.exit(0 if same == n else 1)


if __name__ == "__main__":
    main()
