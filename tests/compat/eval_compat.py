#!/usr/bin/env python3
"""
Eval tests (issue 5): SpamAssassin vs mailwarden on the `eval:` rules of the given
functions, and the verdict at 5.0, over the messages of compat.py's SpamAssassin
cache (compat-sa.tsv: run `make compat` once to build it).

Usage: eval_compat.py RULES_SCAN SA_CACHE FUNCTION[,FUNCTION...] [RULES_DIR]
Prints per rule: messages where both hit, only SpamAssassin, only mailwarden.
"""
import collections
import glob
import os
import re
import subprocess
import sys


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    rules_scan, cache, fns = sys.argv[1], sys.argv[2], set(sys.argv[3].split(","))
    rules = sys.argv[4] if len(sys.argv) > 4 else "/usr/share/spamassassin"
    sa = {}
    with open(cache) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) >= 3:
                sa[p[0]] = (float(p[1]), set(p[3].split(",")) if len(p) > 3 and p[3] else set())
    files = sorted(sa)
    evalfn = {}
    pat = re.compile(r"\s*(?:header|body|rawbody|full|uri|mimeheader)\s+(\S+)\s+eval:(\w+)\s*\(")
    for path in sorted(glob.glob(os.path.join(rules, "*.cf"))):
        with open(path, errors="replace") as f:
            for line in f:
                m = pat.match(line)
                if m:
                    evalfn[m.group(1)] = m.group(2)
    res = subprocess.run([rules_scan, "-r", rules, "-"], input="\n".join(files) + "\n",
                         capture_output=True, text=True, check=True)
    mw = {}
    for line in res.stdout.splitlines():
        p = line.split("\t")
        if len(p) >= 2:
            mw[p[0]] = (float(p[1]), set(p[2].split(",")) if len(p) > 2 and p[2] else set())
    agree = ham_sa = ham_mw = spam_sa = spam_mw = 0
    both, sa_only, mw_only = (collections.Counter() for _ in range(3))
    for f in files:
        s, sh = sa[f]
        m, mh = mw.get(f, (0.0, set()))
        s_spam, m_spam = s >= 5.0, round(m * 1000) / 1000 >= 5.0
        agree += s_spam == m_spam
        if "spam" in os.path.basename(os.path.dirname(f)):
            spam_sa += s_spam
            spam_mw += m_spam
        else:
            ham_sa += s_spam
            ham_mw += m_spam
        for r in sh | mh:
            if evalfn.get(r) in fns:
                if r in sh and r in mh:
                    both[r] += 1
                elif r in sh:
                    sa_only[r] += 1
                else:
                    mw_only[r] += 1
    n = len(files)
    print(f"verdict agreement at 5.0: {agree}/{n} ({100 * agree / n:.1f}%)")
    print(f"  ham called spam: SpamAssassin {ham_sa}, mailwarden {ham_mw}")
    print(f"  spam called spam: SpamAssassin {spam_sa}, mailwarden {spam_mw}")
    print(f"{'rule':32s} {'function':30s} both sa_only mw_only")
    for r in sorted(set(both) | set(sa_only) | set(mw_only)):
        print(f"{r:32s} {evalfn[r]:30s} {both[r]:4d} {sa_only[r]:7d} {mw_only[r]:7d}")
    print(f"total: both {sum(both.values())}, only SpamAssassin {sum(sa_only.values())}, "
          f"only mailwarden {sum(mw_only.values())}")


if __name__ == "__main__":
    main()
