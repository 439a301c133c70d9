#!/usr/bin/env python3
"""
make bench-rules: CPU per message, SpamAssassin (spamd --local, Bayes/AWL off) against
mailwarden's rule engine (rules-scan: header parser + MIME model + rules, the spam
stage's work), the same Debian rule set and the same corpus, in one run.

spamd's CPU is read from /proc for the daemon and its children (reaped children
included) around the scoring loop, so start-up and rule compilation are not counted;
rules-scan reports its own getrusage() CPU for the scoring loop the same way.  The
prefilter is measured on and off.
"""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "tests", "compat"))
from sa_spamd import corpus_files, spamd_cpu  # noqa: E402

SUMMARY = re.compile(r"(\d+) messages, ([\d.]+) s CPU")
LOADED = re.compile(r"loaded in ([\d.]+) s CPU")


def run_mailwarden(rules_scan, rules, files, extra):
    res = subprocess.run([rules_scan, "-q", "-r", rules] + extra + ["-"],
                         input="\n".join(files) + "\n", capture_output=True, text=True,
                         check=True, timeout=3600)
    m = SUMMARY.search(res.stderr)
    load = LOADED.search(res.stderr)
    if not m or int(m.group(1)) != len(files):
        sys.exit("bench: rules-scan did not score every message:\n" + res.stderr)
    return float(m.group(2)), float(load.group(1)) if load else 0.0, res.stderr.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules-scan", required=True)
    ap.add_argument("--rules", default="/usr/share/spamassassin")
    ap.add_argument("--corpus", default="/var/cache/mailwarden/corpus")
    ap.add_argument("--limit", type=int, default=500, help="messages per group")
    a = ap.parse_args()

    files = [p for _, p in corpus_files(a.corpus, limit=a.limit)]
    n = len(files)
    print(f"bench-rules: {n} messages (easy-ham-1 + spam-1, {a.limit} per group), "
          f"rules {a.rules}")

    mw_cpu, mw_load, mw_line = run_mailwarden(a.rules_scan, a.rules, files, [])
    nopf_cpu, _, nopf_line = run_mailwarden(a.rules_scan, a.rules, files, ["-n"])

    sa_cpu, sa_wall = spamd_cpu(a.rules, files)

    sa_per = sa_cpu / n * 1000
    mw_per = mw_cpu / n * 1000
    nopf_per = nopf_cpu / n * 1000
    print(f"spamd (SpamAssassin, --local):   {sa_per:9.3f} ms CPU/message "
          f"({sa_cpu:.2f} s CPU, {sa_wall:.1f} s wall)")
    print(f"mailwarden rules, prefilter on:  {mw_per:9.3f} ms CPU/message "
          f"({mw_cpu:.2f} s CPU; rule set load {mw_load:.3f} s CPU)")
    print(f"mailwarden rules, prefilter off: {nopf_per:9.3f} ms CPU/message "
          f"({nopf_cpu:.2f} s CPU)")
    print(f"ratio spamd / mailwarden: {sa_per / mw_per:.1f}x "
          f"(target >= 20x); prefilter speed-up {nopf_per / mw_per:.2f}x")
    print("rules-scan:", mw_line.splitlines()[-1])
    print("rules-scan -n:", nopf_line.splitlines()[-1])
    return 0 if sa_per / mw_per >= 20 else 1


if __name__ == "__main__":
    sys.exit(main())
