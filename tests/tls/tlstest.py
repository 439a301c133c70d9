#!/usr/bin/env python3
"""Helpers for the TLS audit end-to-end test (issue 9).

  send HOST PORT FILE --from A --rcpt A [--starttls --cafile CA [--cert C --key K]]
      Send FILE over SMTP with Python's smtplib, optionally after STARTTLS with
      certificate verification against CA (and a client certificate).  Prints
      "tls VERSION CIPHER BITS" or "clear", then "dot CODE TEXT".  30 s timeout.
  headers FILE NAME...
      Print every NAME field of the message in FILE as "NAME: value", unfolded,
      one per line (one process for all the fields a test looks at).
"""
import email.parser
import email.policy
import smtplib
import ssl
import sys


def die(msg):
    sys.stderr.write("tlstest.py: %s\n" % msg)
    sys.exit(1)


def send(argv):
    host, port, path = argv[0], int(argv[1]), argv[2]
    opts = {"--from": None, "--cafile": None, "--cert": None, "--key": None}
    rcpts, starttls, i = [], False, 3
    while i < len(argv):
        a = argv[i]
        if a == "--starttls":
            starttls = True
            i += 1
        elif a == "--rcpt" and i + 1 < len(argv):
            rcpts.append(argv[i + 1])
            i += 2
        elif a in opts and i + 1 < len(argv):
            opts[a] = argv[i + 1]
            i += 2
        else:
            die("bad argument %r" % a)
    with open(path, "rb") as f:
        data = f.read()
    s = smtplib.SMTP(host, port, local_hostname="client.sender.example", timeout=30)
    try:
        s.ehlo()
        if starttls:
            ctx = ssl.create_default_context(cafile=opts["--cafile"])
            if opts["--cert"]:
                ctx.load_cert_chain(opts["--cert"], opts["--key"])
            code, text = s.starttls(context=ctx)
            if code != 220:
                die("STARTTLS refused: %d %s" % (code, text))
            s.ehlo()
            name, version, bits = s.sock.cipher()
            print("tls %s %s %d" % (version, name, bits))
        else:
            print("clear")
        s.mail(opts["--from"])
        for r in rcpts:
            code, text = s.rcpt(r)
            if code >= 300:
                die("RCPT %s: %d %s" % (r, code, text.decode(errors="replace")))
        code, text = s.data(data)
        print("dot %d %s" % (code, text.decode(errors="replace")))
    finally:
        try:
            s.quit()
        except (smtplib.SMTPException, OSError):
            pass
    return 0


def headers(path, names):
    with open(path, "rb") as f:
        msg = email.parser.BytesParser(policy=email.policy.compat32).parse(f, headersonly=True)
    for name in names:
        for v in msg.get_all(name) or []:
            print("%s: %s" % (name, " ".join(str(v).split())))
    return 0


def main():
    argv = sys.argv[1:]
    if len(argv) >= 3 and argv[0] == "send":
        return send(argv[1:])
    if len(argv) >= 3 and argv[0] == "headers":
        return headers(argv[1], argv[2:])
    die("bad command line: %s" % " ".join(argv))


if __name__ == "__main__":
    sys.exit(main())
