#!/usr/bin/env python3
"""
SpamAssassin compatibility: score the development corpus (easy-ham-1 + spam-1) with
SpamAssassin itself (spamd --local, Bayes and auto-whitelist off, see sa_spamd.py)
and with mailwarden's rule engine (tests/compat/rules-scan: the same header parser,
MIME model and rule engine as the spam stage), both with Debian's rules, and print

  - per rule: messages where both hit, only SpamAssassin, only mailwarden;
  - F1 over all message x rule hits of the rules in scope: regex rules (header,
    mimeheader, body, rawbody, full, uri, exists:) and the metas built only on
    them, leaving out rules on SpamAssassin's X-Spam-Relays-* pseudo-headers
    (they need the Received-chain trust model of the eval issue);
  - verdict agreement at the threshold (5.0).

Usage: compat.py --rules-scan PATH [--sa-cache FILE] [--limit N] [--markdown FILE]
"""
import argparse
import os
import subprocess
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sa_spamd import corpus_files  # noqa: E402


def read_tsv(path, ncols):
    out = {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < ncols:
                continue
            out[parts[0]] = parts
    return out


def rule_table(rules_scan, rules):
    res = subprocess.run([rules_scan, "-t", "-r", rules], capture_output=True, text=True,
                         check=True)
    table = {}
    for line in res.stdout.splitlines():
        name, kind, test, state, score, extra = line.split("\t")
        table[name] = dict(kind=kind, test=test, state=state, score=float(score),
                           deps=extra.split(",") if test == "meta" and extra else [],
                           field=extra if test != "meta" else "")
    return table


def scope_of(table):
    """Rules in scope: regex-type rules except relay pseudo-header ones, and metas
    whose every dependency is in scope (undefined names count as constant 0)."""
    memo = {}

    def ok(name, depth=0):
        if name in memo:
            return memo[name]
        r = table.get(name)
        if r is None:
            return True          # undefined: SpamAssassin reads it as 0
        if depth > 100:
            return False
        if r["test"] == "eval":
            res = False
        elif r["test"] == "meta":
            memo[name] = False   # a loop is not in scope
            res = all(ok(d, depth + 1) for d in r["deps"] if d != "?")
        else:
            res = not r["field"].lower().startswith("x-spam-relays-")
        memo[name] = res
        return res

    return {n for n, r in table.items()
            if ok(n) and not n.startswith("__") and r["score"] != 0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules-scan", required=True)
    ap.add_argument("--rules", default="/usr/share/spamassassin")
    ap.add_argument("--corpus", default="/var/cache/mailwarden/corpus")
    ap.add_argument("--sa-cache", help="sa_run.py output to reuse (created if missing)")
    ap.add_argument("--limit", type=int, help="messages per group")
    ap.add_argument("--threshold", type=float, default=5.0)
    ap.add_argument("--markdown", help="write the summary as Markdown here")
    ap.add_argument("--top", type=int, default=40)
    a = ap.parse_args()

    files = [p for _, p in corpus_files(a.corpus, limit=a.limit)]
    here = os.path.dirname(os.path.abspath(__file__))
    sa_path = a.sa_cache or "compat-sa.tsv"
    if not os.path.exists(sa_path):
        cmd = [sys.executable, os.path.join(here, "sa_run.py"), "--corpus", a.corpus,
               "--rules-dir", a.rules, "-o", sa_path]
        if a.limit:
            cmd += ["--limit", str(a.limit)]
        print("compat: running SpamAssassin:", " ".join(cmd), file=sys.stderr)
        subprocess.run(cmd, check=True)
    sa = read_tsv(sa_path, 4)
    missing = [p for p in files if p not in sa]
    if missing:
        sys.exit(f"compat: {len(missing)} messages missing from {sa_path}; delete it to rerun")

    res = subprocess.run([a.rules_scan, "-r", a.rules, "-"], input="\n".join(files) + "\n",
                         capture_output=True, text=True, check=True)
    mw = {}
    for line in res.stdout.splitlines():
        p, score, names = line.split("\t")
        mw[p] = (float(score), set(names.split(",")) if names else set())
    if len(mw) != len(files):
        sys.exit(f"compat: rules-scan scored {len(mw)} of {len(files)} messages")

    table = rule_table(a.rules_scan, a.rules)
    scope = scope_of(table)
    both, sa_only, mw_only = Counter(), Counter(), Counter()
    verdict = Counter()
    for p in files:
        s_score = float(sa[p][1])
        s_rules = set(x for x in sa[p][3].split(",") if x)
        m_score, m_rules = mw[p]
        s_in, m_in = s_rules & scope, m_rules & scope
        for r in s_in & m_in:
            both[r] += 1
        for r in s_in - m_in:
            sa_only[r] += 1
        for r in m_in - s_in:
            mw_only[r] += 1
        group = "spam" if "/spam-1/" in p else "ham"
        verdict[(group, s_score >= a.threshold, round(m_score, 3) >= a.threshold)] += 1

    tp, fn, fp = sum(both.values()), sum(sa_only.values()), sum(mw_only.values())
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    agree = sum(v for (g, s, m), v in verdict.items() if s == m)
    lines = []
    out = lines.append
    out(f"messages: {len(files)} (easy-ham-1 + spam-1), rules: {a.rules}")
    out(f"rules in scope (regex rules and metas built only on them, scoring, "
        f"no X-Spam-Relays-*): {len(scope)} of {len(table)} defined")
    out(f"message x rule hits in scope: both {tp}, only SpamAssassin {fn}, "
        f"only mailwarden {fp}")
    out(f"precision {tp / (tp + fp) if tp + fp else 1:.4f}, "
        f"recall {tp / (tp + fn) if tp + fn else 1:.4f}, F1 {f1:.4f}")
    out(f"verdict agreement at {a.threshold}: {agree}/{len(files)} "
        f"({100.0 * agree / len(files):.1f}%)")
    for g in ("ham", "spam"):
        n = sum(v for (gg, _, _), v in verdict.items() if gg == g)
        sa_spam = sum(v for (gg, s, _), v in verdict.items() if gg == g and s)
        mw_spam = sum(v for (gg, _, m), v in verdict.items() if gg == g and m)
        out(f"  {g}: {n} messages, called spam by SpamAssassin {sa_spam}, "
            f"by mailwarden {mw_spam}")
    out("")
    out(f"rules with disagreements (top {a.top}): name both sa_only mw_only")
    worst = sorted((r for r in scope if sa_only[r] or mw_only[r]),
                   key=lambda r: -(sa_only[r] + mw_only[r]))
    for r in worst[:a.top]:
        out(f"  {r:32s} {both[r]:5d} {sa_only[r]:5d} {mw_only[r]:5d}")
    out(f"rules hit by both with full agreement: "
        f"{sum(1 for r in scope if both[r] and not sa_only[r] and not mw_only[r])}")
    text = "\n".join(lines)
    print(text)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write("```\n" + text + "\n```\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
