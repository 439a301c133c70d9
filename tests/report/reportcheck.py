#!/usr/bin/env python3
"""reportcheck.py - helpers for the mailwarden-report tests (issue 10).

  oracle LOG... --text REPORT.txt   recount LOG independently; compare with the text report
  html REPORT.html LOG...           HTML well-formed (strict tag balance) and its numbers
                                    equal the independent count
  syslog --start EPOCH [--step S]   read records (one per line) on stdin, write syslog lines
                                    with Postfix lines for the same queue ids
  gen N                             write an N-line synthetic log (benchmark) to stdout

The oracle is deliberately simple and separate from the C code: it shares no
parsing logic, so a bug in one is caught by the other.
"""
import argparse, gzip, html.parser, json, math, random, re, sys, time

ACTIONS = ["accept", "tag", "tempfail", "hold", "discard", "reject"]
STAMP = re.compile(r"^([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (\S+) ([^\s\[:]+)(?:\[\d+\])?: (.*)$")


def unescape(v):
    return re.sub(r"\\x([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), v)


def records(paths):
    """Yield (kind, dict) for each complete mailwarden record in the logs."""
    for p in paths:
        op = gzip.open if p.endswith(".gz") else open
        with op(p, "rt", encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                m = STAMP.match(line)
                if m:
                    prog, msg = m.group(3), m.group(4)
                else:
                    prog, msg = "mailwarden", line
                if prog != "mailwarden":
                    continue
                if msg.startswith("{"):
                    try:
                        d = json.loads(msg)
                    except ValueError:
                        continue
                    rec = {}
                    for k, v in d.items():
                        if isinstance(v, list):
                            rec[k] = ",".join(v) if v else "-"
                        elif v is None:
                            rec[k] = "-"
                        else:
                            rec[k] = str(v)
                elif msg.startswith("queue_id=") or msg.startswith("event="):
                    toks = msg.split(" ")
                    if any("=" not in t for t in toks):
                        continue          # damaged lines: the oracle skips them
                    rec = dict(t.split("=", 1) for t in toks)
                else:
                    continue
                if "event" in rec:
                    yield "event", rec
                elif "rcpt" in rec:
                    if "checks" in rec:
                        yield "rcpt", rec
                elif "elapsed_ms" in rec:
                    yield "msg", rec


def count(paths):
    c = {"actions": {a: 0 for a in ACTIONS}, "cust": {}, "rules": {}, "viruses": {},
         "spf": {}, "clear_dom": {}, "clear_client": {}, "messages": 0, "rcpts": 0,
         "events": {}}
    for kind, r in records(paths):
        if kind == "event":
            c["events"][r["event"]] = c["events"].get(r["event"], 0) + 1
            continue
        if kind == "rcpt":
            c["rcpts"] += 1
            continue
        c["messages"] += 1
        a = r.get("action", "other")
        c["actions"][a] = c["actions"].get(a, 0) + 1
        keys = r.get("customers", r.get("customer", "-")).split(",")
        spam, virus, tls = r.get("spam"), r.get("virus", ""), r.get("tls")
        for k in keys:
            s = c["cust"].setdefault(k, dict(messages=0, scanned=0, spam=0, viruses=0,
                                             held=0, rejected=0, known=0, clear=0))
            s["messages"] += 1
            if spam in ("yes", "no"):
                s["scanned"] += 1
                s["spam"] += spam == "yes"
            s["viruses"] += virus.startswith("infected:")
            s["held"] += a == "hold"
            s["rejected"] += a == "reject"
            if tls not in (None, "-") and not tls.startswith(("skipped", "error", "not_run")):
                s["known"] += 1
                s["clear"] += tls == "none"
        for rule in r.get("rules", "-").split(","):
            if rule != "-":
                c["rules"][rule] = c["rules"].get(rule, 0) + 1
        if virus.startswith("infected:"):
            c["viruses"][virus[9:]] = c["viruses"].get(virus[9:], 0) + 1
        if "spf" in r:
            res = r["spf"].split(":")[0]
            c["spf"][res] = c["spf"].get(res, 0) + 1
        if tls == "none":
            frm = r.get("from", "-")
            dom = "<>" if frm == "<>" else (frm.rsplit("@", 1)[1] if "@" in frm else "-")
            c["clear_dom"][dom] = c["clear_dom"].get(dom, 0) + 1
            cl = r.get("client", "-")
            c["clear_client"][cl] = c["clear_client"].get(cl, 0) + 1
    return c


def pct(a, b):
    return "-" if b == 0 else "%.1f" % (100.0 * a / b)


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def text_sections(text):
    """Split the text report into {heading: [row tokens]}."""
    secs, cur = {}, None
    for line in text.splitlines():
        if line and not line.startswith(" "):
            cur = secs.setdefault(line.strip(), [])
        elif cur is not None and line.strip():
            cur.append(line.split())
    return secs


def check_equal(what, want, got):
    if want != got:
        fail("%s: independent count %r, report shows %r" % (what, want, got))


def cmd_oracle(a):
    c = count(a.logs)
    secs = text_sections(open(a.text).read())
    rows = {r[0]: r for r in secs["Messages by action"][1:]}
    for act in ACTIONS:
        check_equal("messages with action " + act, c["actions"][act], int(rows[act][1]))
    check_equal("total messages", c["messages"], int(rows["total"][1]))
    inp = {" ".join(r[:-1]): int(r[-1]) for r in secs["Input"]}
    check_equal("recipient records", c["rcpts"], inp["recipient records"])
    cust = {r[0]: r for r in secs["Per customer"][1:] if not r[0].startswith("(")}
    check_equal("customers", sorted(c["cust"]), sorted(cust))
    for k, s in c["cust"].items():
        r = cust[k]
        got = (int(r[1]), r[2].rstrip("%"), int(r[3]), int(r[4]), int(r[5]), r[6].rstrip("%"))
        want = (s["messages"], pct(s["spam"], s["scanned"]), s["viruses"], s["held"],
                s["rejected"], pct(s["clear"], s["known"]))
        check_equal("customer " + k, want, got)
    for sec, key in (("Top rules", "rules"), ("Viruses", "viruses"), ("SPF results", "spf")):
        got = {r[0]: int(r[1]) for r in secs[sec][1:] if r[0] not in ("(none)", "...")}
        want = dict(sorted(c[key].items(), key=lambda kv: (-kv[1], kv[0]))[:a.top])
        check_equal(sec, want, got)
    for sec, key in (("Sending domains that delivered in clear text", "clear_dom"),
                     ("Client hosts that delivered in clear text", "clear_client")):
        got = {r[0]: int(r[1]) for r in secs[sec][1:] if r[0] != "(none)"}
        want = dict(sorted(c[key].items(), key=lambda kv: (-kv[1], kv[0]))[:a.top])
        check_equal(sec, want, got)
    print("oracle: %d messages, %d recipient records, %d customers agree" %
          (c["messages"], c["rcpts"], len(c["cust"])))


class Strict(html.parser.HTMLParser):
    """Well-formedness: every element closed in order, tables collected by id."""
    VOID = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.tables, self.cur, self.cell, self.ids = [], {}, None, None, set()
        self.errors = []

    def handle_starttag(self, tag, attrs):
        ad = dict(attrs)
        if "id" in ad:
            if ad["id"] in self.ids:
                self.errors.append("duplicate id " + ad["id"])
            self.ids.add(ad["id"])
        if tag == "table":
            self.cur = self.tables.setdefault(ad.get("id", "?"), [])
        elif tag == "tr" and self.cur is not None:
            self.cur.append([])
        elif tag in ("td", "th") and self.cur is not None:
            self.cell = ""
        if tag not in self.VOID:
            self.stack.append((tag, self.getpos()))
        for k, v in attrs:
            if k in ("src", "href") and v and not v.startswith("#"):
                self.errors.append("external resource %s=%s" % (k, v))

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append("</%s> at %s closes %s" % (tag, self.getpos(),
                               self.stack[-1] if self.stack else "nothing"))
            return
        self.stack.pop()
        if tag in ("td", "th") and self.cur is not None and self.cell is not None:
            self.cur[-1].append(self.cell.strip())
            self.cell = None
        elif tag == "table":
            self.cur = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def cmd_html(a):
    p = Strict()
    text = open(a.html, encoding="utf-8").read()
    p.feed(text)
    p.close()
    if p.stack:
        p.errors.append("unclosed: %s" % p.stack)
    for needle in ("<script", "http://", "https://", "url("):
        for m in re.finditer(re.escape(needle), text):
            ctx = text[max(0, m.start() - 20):m.end() + 30]
            if "xmlns" not in ctx:
                p.errors.append("external or active content: " + ctx)
    if p.errors:
        fail("HTML: " + "; ".join(p.errors[:10]))
    for svg in ("chart-hours", "chart-customers", "chart-rules"):
        if 'id="%s"' % svg not in text and a.wellformed_only is False:
            fail("HTML: chart %s missing" % svg)
    if a.wellformed_only:
        print("html: well-formed, %d tables" % len(p.tables))
        return
    c = count(a.logs)
    t = p.tables
    got = {r[0]: int(r[1]) for r in t["actions"][1:] if r[0] in ACTIONS}
    check_equal("HTML actions", {k: v for k, v in c["actions"].items() if k in ACTIONS}, got)
    check_equal("HTML total", c["messages"], int(t["actions"][-1][1]))
    cust = {r[0]: r for r in t["customers"][1:]}
    for k, s in c["cust"].items():
        r = cust[k]
        got = (int(r[1]), r[2], int(r[3]), int(r[4]), int(r[5]), r[6])
        want = (s["messages"], pct(s["spam"], s["scanned"]), s["viruses"], s["held"],
                s["rejected"], pct(s["clear"], s["known"]))
        check_equal("HTML customer " + k, want, got)
    got = {r[0]: int(r[1]) for r in t["rules"][1:] if r[0] != "none"}
    want = dict(sorted(c["rules"].items(), key=lambda kv: (-kv[1], kv[0]))[:a.top])
    check_equal("HTML rules", want, got)
    got = {r[0]: int(r[1]) for r in t["clear-domains"][1:] if r[0] != "none"}
    want = dict(sorted(c["clear_dom"].items(), key=lambda kv: (-kv[1], kv[0]))[:a.top])
    check_equal("HTML clear-text domains", want, got)
    # the charts agree with the tables: one labelled bar per rule shown
    bars = re.findall(r'<svg id="chart-rules".*?</svg>', text, re.S)
    if c["rules"] and (not bars or bars[0].count("<rect") != min(len(c["rules"]), a.top)):
        fail("HTML: rules chart has the wrong number of bars")
    print("html: well-formed, %d tables, numbers agree" % len(t))


def cmd_syslog(a):
    """Records on stdin -> syslog lines, as the milter and Postfix would log them."""
    t = a.start
    n = 0
    qid = "-"
    for rec in sys.stdin:
        rec = rec.rstrip("\n")
        if not rec:
            continue
        is_msg = " rcpt=" not in rec and '"rcpt":' not in rec
        if a.assign_qids:
            # --scan has no queue: give each message (and its recipient lines) an id
            if is_msg:
                qid = "%010X" % (0x3A00000000 + n * 7919)
            if rec.startswith("{"):
                d = json.loads(rec)
                d["queue_id"] = qid
                rec = json.dumps(d, separators=(",", ":"), ensure_ascii=False)
            else:
                rec = re.sub(r"^queue_id=\S+", "queue_id=" + qid, rec)
        m = re.match(r"queue_id=(\S+)", rec) or re.match(r'\{"queue_id":"([^"]+)"', rec)
        qid = m.group(1) if m else "-"
        st = time.strftime("%b %e %H:%M:%S", time.gmtime(t))
        act = re.search(r'action[=":]+(\w+)', rec)
        act = act.group(1) if act else "accept"
        if is_msg and qid != "-":
            print("%s mx1 postfix/smtpd[4711]: %s: client=unknown[192.0.2.1]" % (st, qid))
        print("%s mx1 mailwarden[999]: %s" % (st, rec))
        if is_msg and qid != "-":
            tail = "from=<a@example.org> to=<b@example.net> proto=ESMTP helo=<h>"
            if act == "hold":
                print("%s mx1 postfix/cleanup[4712]: %s: milter-hold: END-OF-MESSAGE from "
                      "unknown[192.0.2.1]: milter triggers HOLD action; %s" % (st, qid, tail))
            elif act in ("reject", "tempfail"):
                code = "5.7.1" if act == "reject" else "4.3.0"
                print("%s mx1 postfix/cleanup[4712]: %s: milter-reject: END-OF-MESSAGE from "
                      "unknown[192.0.2.1]: %s Rejected; %s" % (st, qid, code, tail))
            elif act == "discard":
                print("%s mx1 postfix/cleanup[4712]: %s: milter-discard: END-OF-MESSAGE from "
                      "unknown[192.0.2.1]: milter triggers DISCARD action; %s" % (st, qid, tail))
            else:
                print("%s mx1 postfix/local[4713]: %s: to=<b@example.net>, relay=local, "
                      "delay=0.1, dsn=2.0.0, status=sent (delivered to mailbox)" % (st, qid))
                print("%s mx1 postfix/qmgr[4714]: %s: removed" % (st, qid))
        if is_msg:
            n += 1
            t += a.step


def cmd_gen(a):
    """A synthetic but realistic log: records, recipient lines, Postfix and other lines."""
    rnd = random.Random(10)
    rules = ["BAYES_99", "URIBL_BLACK", "HTML_MESSAGE", "MISSING_DATE", "RDNS_NONE",
             "FREEMAIL_FROM", "DKIM_SIGNED", "SPF_HELO_NONE", "MIME_HTML_ONLY", "T_REMOTE_IMAGE"]
    customers = ["example.net", "example.com", "shop.example", "*", "-"]
    domains = ["partner%d.example" % i for i in range(200)] + ["gmail.example", "<>"]
    t0 = 1796000000
    out = sys.stdout
    lines = 0
    q = 0
    buf = []
    t = t0
    while lines < a.n:
        q += 1
        # busier by day than by night, as mail is
        hour = (t // 3600) % 24
        t += 1 + int(5 * (1 - math.cos(math.pi * (hour - 14) / 12)) * rnd.random())
        st = time.strftime("%b %e %H:%M:%S", time.gmtime(t))
        qid = "%010X" % (0x4F00000000 + q)
        dom = rnd.choice(domains)
        frm = "<>" if dom == "<>" else "user%d@%s" % (rnd.randrange(1000), dom)
        spam = rnd.random() < 0.3
        act = "accept"
        if spam:
            act = rnd.choice(["tag", "tag", "hold", "reject"])
        if rnd.random() < 0.01:
            act = "tempfail"
        tls = "none" if rnd.random() < 0.2 else "TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256"
        hit = ",".join(rnd.sample(rules, rnd.randrange(0, 5))) or "-"
        cust = rnd.choice(customers)
        virus = "infected:Eicar-Test-Signature" if rnd.random() < 0.002 else "clean"
        buf.append("%s mx1 postfix/smtpd[%d]: %s: client=mail.%s[198.51.100.%d]\n" %
                   (st, 1000 + q % 50, qid, dom.strip("<>") or "null", q % 250))
        buf.append("%s mx1 mailwarden[999]: queue_id=%s from=%s rcpts=1 size=%d action=%s "
                   "decided_by=spam client=198.51.100.%d flags=- customer=%s spam=%s "
                   "score=%.1f required=5.0 rules=%s virus=%s virus_ms=1.10 spf=pass "
                   "spf_domain=%s tls=%s earlier_cleartext_hops=0 elapsed_ms=%.2f\n" %
                   (st, qid, frm, rnd.randrange(800, 90000), act, q % 250, cust,
                    "yes" if spam else "no", 9.0 if spam else 1.0, hit, virus,
                    dom.strip("<>") or "-", tls, rnd.random() * 50))
        buf.append("%s mx1 mailwarden[999]: queue_id=%s rcpt=rcpt%d@%s rcpt_index=1 "
                   "customer=%s action=%s checks=spam,virus\n" %
                   (st, qid, q % 100, cust if "." in cust else "example.org", cust, act))
        tail = "from=<%s> to=<rcpt@example.org> proto=ESMTP helo=<h>" % frm.strip("<>")
        if act == "hold":
            buf.append("%s mx1 postfix/cleanup[4712]: %s: milter-hold: END-OF-MESSAGE from "
                       "unknown[198.51.100.%d]: milter triggers HOLD action; %s\n" %
                       (st, qid, q % 250, tail))
        elif act in ("reject", "tempfail"):
            buf.append("%s mx1 postfix/cleanup[4712]: %s: milter-reject: END-OF-MESSAGE from "
                       "unknown[198.51.100.%d]: %s Rejected; %s\n" %
                       (st, qid, q % 250, "5.7.1" if act == "reject" else "4.3.0", tail))
        else:
            buf.append("%s mx1 postfix/lmtp[4713]: %s: to=<rcpt@example.org>, relay=local, "
                       "delay=0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n" % (st, qid))
        if act in ("accept", "tag"):
            buf.append("%s mx1 postfix/qmgr[4714]: %s: removed\n" % (st, qid))
        else:
            buf.append("%s mx1 kernel: [%d.000] eth0: link ok\n" % (st, q))
        lines += 5
        if len(buf) > 5000:
            out.write("".join(buf))
            buf = []
    out.write("".join(buf))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("oracle")
    o.add_argument("logs", nargs="+")
    o.add_argument("--text", required=True)
    o.add_argument("--top", type=int, default=20)
    h = sub.add_parser("html")
    h.add_argument("html")
    h.add_argument("logs", nargs="+")
    h.add_argument("--top", type=int, default=20)
    h.add_argument("--wellformed-only", action="store_true")
    s = sub.add_parser("syslog")
    s.add_argument("--start", type=int, default=1795950000)
    s.add_argument("--step", type=int, default=97)
    s.add_argument("--assign-qids", action="store_true")
    g = sub.add_parser("gen")
    g.add_argument("n", type=int)
    a = ap.parse_args()
    {"oracle": cmd_oracle, "html": cmd_html, "syslog": cmd_syslog, "gen": cmd_gen}[a.cmd](a)


if __name__ == "__main__":
    main()
