#!/usr/bin/env python3
"""
Score the development corpus with SpamAssassin (spamd --local, Bayes/AWL off) and write
one line per message: path TAB score TAB required TAB comma-separated rule names.
The output is the SpamAssassin side of compat.py (which calls this when no cache exists).
"""
import argparse
import concurrent.futures
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sa_spamd import Spamd, corpus_files  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="/var/cache/mailwarden/corpus")
    ap.add_argument("--rules-dir", default="/usr/share/spamassassin")
    ap.add_argument("--limit", type=int, help="messages per group (default all)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()

    files = corpus_files(a.corpus, limit=a.limit)
    tmp = a.output + ".part"
    with Spamd(a.rules_dir, children=a.jobs) as sd, open(tmp, "w") as out:
        def one(item):
            with open(item[1], "rb") as f:
                return item, sd.symbols(f.read())
        with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
            for n, (item, (score, req, names)) in enumerate(ex.map(one, files), 1):
                out.write(f"{item[1]}\t{score}\t{req}\t{','.join(names)}\n")
                if n % 500 == 0:
                    print(f"sa_run: {n}/{len(files)}", file=sys.stderr, flush=True)
    os.replace(tmp, a.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
