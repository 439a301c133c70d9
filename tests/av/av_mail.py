#!/usr/bin/env python3
"""av_mail.py - test data and checks for the virus scanning script tests (issue 6).

  av_mail.py mkdb DIR                 signature database from clamav-testfiles:
                                      test.hdb (MD5 of clam.exe) + eicar.ndb
  av_mail.py attachments OUTDIR       every clamav-testfiles file three ways: base64
                                      attachment, inside a zip attachment, inside a
                                      forwarded message/rfc822; prints the file names
  av_mail.py ham CORPUSDIR N OUTDIR   link a deterministic sample of N corpus messages
  av_mail.py check JSONL MODE [ACTION]
        MODE infected: every record infected with the test signature (action ACTION),
             except clam_cache_emax.tgz, which must report limit MaxRecursion;
        MODE clean: no record infected, none failed;
        MODE tempfail: every record tempfailed 451 4.3.0 with virus error.
Exit 0 on success; on failure prints "FAIL: ..." per problem and exits 1.
"""
import email.message
import email.policy
import hashlib
import io
import json
import os
import sys
import zipfile

TESTFILES = "/usr/share/clamav-testfiles"
SIG = "ClamAV-Test-File.UNOFFICIAL"
# Built to exceed ClamAV's limits: inside a mail it nests past MaxRecursion 17
# before the test executable is reached (as ClamAV's own tests expect of it).
LIMIT_FILES = {"clam_cache_emax.tgz": "MaxRecursion"}


def eicar():
    # Assembled at run time so that no file in the repository carries it.
    return ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*").encode()


def mkdb(d):
    os.makedirs(d, exist_ok=True)
    exe = open(os.path.join(TESTFILES, "clam.exe"), "rb").read()
    with open(os.path.join(d, "test.hdb"), "w") as f:
        f.write("%s:%d:ClamAV-Test-File\n" % (hashlib.md5(exe).hexdigest(), len(exe)))
    with open(os.path.join(d, "eicar.ndb"), "w") as f:
        f.write("Mailwarden-Test-Eicar:0:*:%s\n" % eicar().hex())


def testfiles():
    names = sorted(n for n in os.listdir(TESTFILES) if not n.startswith("."))
    if len(names) < 40:
        raise SystemExit("FAIL: only %d files in %s" % (len(names), TESTFILES))
    return names


def base_msg(subject):
    m = email.message.EmailMessage(policy=email.policy.SMTP)
    m["Received"] = "from client.example.org by mx.example.net"
    m["From"] = "sender@example.org"
    m["To"] = "rcpt@example.net"
    m["Subject"] = subject
    m["Message-ID"] = "<%s@example.org>" % hashlib.md5(subject.encode()).hexdigest()
    m.set_content("Please find the file attached.\n")
    return m


def attach(m, data, filename, ctype="application/octet-stream"):
    main, sub = ctype.split("/")
    m.add_attachment(data, maintype=main, subtype=sub, filename=filename)


def attachments(outdir):
    os.makedirs(outdir, exist_ok=True)
    for name in testfiles():
        data = open(os.path.join(TESTFILES, name), "rb").read()
        m = base_msg("base64 " + name)
        attach(m, data, name)
        write(outdir, "b64-" + name, m)

        zbuf = io.BytesIO()
        with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(name, data)
        m = base_msg("zip " + name)
        attach(m, zbuf.getvalue(), name + ".zip", "application/zip")
        write(outdir, "zip-" + name, m)

        inner = base_msg("original " + name)
        attach(inner, data, name)
        m = base_msg("Fwd: " + name)
        m.add_attachment(inner)		# message/rfc822
        write(outdir, "fwd-" + name, m)


def write(outdir, stem, m):
    path = os.path.join(outdir, stem + ".eml")
    with open(path, "wb") as f:
        f.write(m.as_bytes())
    print(path)


def ham(corpus, n, outdir):
    os.makedirs(outdir, exist_ok=True)
    files = sorted(f for f in os.listdir(corpus) if f.endswith(".txt"))
    if not files:
        raise SystemExit("FAIL: no messages in " + corpus)
    step = max(1, len(files) // n)
    for f in files[::step][:n]:
        dst = os.path.join(outdir, f[:-4] + ".eml")
        os.symlink(os.path.join(corpus, f), dst)
        print(dst)


def check(jsonl, mode, action=None):
    problems = []
    recs = [json.loads(l) for l in open(jsonl) if l.strip()]
    if not recs:
        problems.append("no records in " + jsonl)
    for r in recs:
        f = os.path.basename(r["file"])
        v = r.get("virus") or {}
        hdrs = {k: val for k, val in r.get("headers", [])}
        if mode == "infected":
            base = f.split("-", 1)[1][:-4]
            if base in LIMIT_FILES:
                if v.get("result") != "limit" or v.get("limit") != LIMIT_FILES[base]:
                    problems.append("%s: expected limit %s, got %s" % (f, LIMIT_FILES[base], v))
                continue
            if v.get("result") != "infected" or v.get("name") != SIG:
                problems.append("%s: not detected: %s" % (f, v))
                continue
            if r["action"] != action:
                problems.append("%s: action %s, expected %s" % (f, r["action"], action))
            if hdrs.get("X-Virus-Status") != "Infected (%s)" % SIG:
                problems.append("%s: X-Virus-Status %r" % (f, hdrs.get("X-Virus-Status")))
            if action == "reject":
                rep = r.get("reply") or {}
                if rep.get("code") != 550 or rep.get("xcode") != "5.7.1" or SIG not in rep.get("text", ""):
                    problems.append("%s: reply %s" % (f, rep))
        elif mode == "clean":
            if v.get("status") != "done" or v.get("result") != "clean":
                problems.append("%s: not clean: %s" % (f, v))
            elif hdrs.get("X-Virus-Status") != "Clean" or not hdrs.get("X-Virus-Scanned", "").startswith("mailwarden "):
                problems.append("%s: headers %s" % (f, hdrs))
        elif mode == "tempfail":
            rep = r.get("reply") or {}
            if v.get("status") != "error" or r["action"] != "tempfail" or rep.get("code") != 451 \
                    or rep.get("xcode") != "4.3.0":
                problems.append("%s: expected tempfail on scanner error: %s %s" % (f, r["action"], v))
        else:
            raise SystemExit("FAIL: unknown mode " + mode)
    for p in problems[:40]:
        print("FAIL: " + p)
    if len(problems) > 40:
        print("FAIL: ... and %d more" % (len(problems) - 40))
    print("checked %d records (%s): %d problems" % (len(recs), mode, len(problems)))
    return 1 if problems else 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "mkdb":
        mkdb(argv[2])
    elif len(argv) >= 3 and argv[1] == "attachments":
        attachments(argv[2])
    elif len(argv) >= 5 and argv[1] == "ham":
        ham(argv[2], int(argv[3]), argv[4])
    elif len(argv) >= 4 and argv[1] == "check":
        return check(argv[2], argv[3], argv[4] if len(argv) > 4 else None)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
