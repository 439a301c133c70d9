#!/usr/bin/env python3
"""mwtest.py - small helpers for the shell test harness (tests/lib/*.sh).

Subcommands (each bounded in time, exit 0 on success, 1 with a message on failure):
  wait-listen SPEC TIMEOUT [PID]  wait until a milter socket (unix:/p, local:/p,
                                inet:port@host) accepts a connection; give up
                                early when process PID has exited
  port-free PORT                exit 0 if nothing listens on 127.0.0.1:PORT and we can bind it
  smtp HOST PORT FILE [--from A] [--rcpt A]... [--helo N] [--timeout S]
                                send FILE (RFC 5322 bytes) by SMTP; print every
                                server reply as one line "CODE TEXT" (multi-line
                                replies joined with ' | '), prefixed by the command
                                ("connect", "ehlo", "mail", "rcpt", "data", "dot",
                                "quit"); stops at the first 4xx/5xx reply (exit 0:
                                the replies are the result, the caller asserts them)
  normalise-json                read JSON lines on stdin, print them with
                                elapsed_ms/virus_ms/…_ms set to 0 and keys kept in order
  check-json                    read lines on stdin; each must be one JSON object
  golden-json EXPECTED.json     read one JSON line on stdin; every top-level key of
                                EXPECTED must be present with an equal value (after
                                *_ms normalisation); other keys (stages added later)
                                are ignored.  Prints the differences.
  golden-kv EXPECTED.log        read one log record on stdin; every key=value token
                                of EXPECTED must be in it, in the same order
                                (elapsed_ms and *_ms values are not compared)
  maildir-find DIR NEEDLE       print the path of the one file under DIR/{new,cur}
                                whose bytes contain NEEDLE
"""
import json
import os
import socket
import sys
import time


def die(msg):
    sys.stderr.write("mwtest.py: %s\n" % msg)
    sys.exit(1)


def parse_spec(spec):
    if spec.startswith("unix:") or spec.startswith("local:"):
        return socket.AF_UNIX, spec.split(":", 1)[1]
    if spec.startswith("inet:"):
        rest = spec[5:]
        port, _, host = rest.partition("@")
        return socket.AF_INET, (host or "127.0.0.1", int(port))
    die("unsupported socket spec %r" % spec)


def process_alive(pid):
    try:
        with open("/proc/%s/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def wait_listen(spec, timeout, pid=None):
    family, addr = parse_spec(spec)
    deadline = time.monotonic() + float(timeout)
    last = None
    while time.monotonic() < deadline:
        if pid is not None and not process_alive(pid):
            die("process %s exited before %s accepted connections" % (pid, spec))
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(1.0)
        try:
            s.connect(addr)
            s.close()
            return 0
        except OSError as e:
            last = e
        finally:
            s.close()
        time.sleep(0.05)
    die("nothing accepts connections on %s after %ss (last error: %s)" % (spec, timeout, last))


def port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", int(port)))
    except OSError:
        return 1
    finally:
        s.close()
    return 0


class Smtp:
    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.f = self.sock.makefile("rb")

    def reply(self):
        lines = []
        while True:
            line = self.f.readline()
            if not line:
                lines.append("000 connection closed by server")
                break
            line = line.decode("utf-8", "replace").rstrip("\r\n")
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                break
        code = lines[-1][:3]
        text = " | ".join(l[4:] for l in lines)
        return code, text

    def cmd(self, line):
        self.sock.sendall(line.encode("utf-8") + b"\r\n")
        return self.reply()


def smtp(argv):
    if len(argv) < 3:
        die("usage: smtp HOST PORT FILE [--from A] [--rcpt A]... [--helo N] [--timeout S]")
    host, port, path = argv[0], argv[1], argv[2]
    sender, rcpts, helo, timeout = "sender@example.net", [], "client.example.net", 60.0
    i = 3
    while i < len(argv):
        opt = argv[i]
        if i + 1 >= len(argv):
            die("option %s needs a value" % opt)
        val = argv[i + 1]
        if opt == "--from":
            sender = val
        elif opt == "--rcpt":
            rcpts.append(val)
        elif opt == "--helo":
            helo = val
        elif opt == "--timeout":
            timeout = float(val)
        else:
            die("unknown option %s" % opt)
        i += 2
    if not rcpts:
        rcpts = ["user@example.test"]
    with open(path, "rb") as fp:
        data = fp.read()
    # Normalise to CRLF and dot-stuff, as an SMTP client must.
    data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    if data.startswith(b"."):
        data = b"." + data
    data = data.replace(b"\r\n.", b"\r\n..")

    out = sys.stdout

    def show(step, res):
        out.write("%s %s %s\n" % (step, res[0], res[1]))
        out.flush()
        return res[0].startswith("2") or res[0].startswith("3")

    try:
        s = Smtp(host, port, timeout)
        if not show("connect", s.reply()):
            return 0
        if not show("ehlo", s.cmd("EHLO " + helo)):
            return 0
        if not show("mail", s.cmd("MAIL FROM:<%s>" % sender)):
            s.cmd("QUIT")
            return 0
        ok_rcpt = 0
        for r in rcpts:
            if show("rcpt", s.cmd("RCPT TO:<%s>" % r)):
                ok_rcpt += 1
        if ok_rcpt == 0:
            s.cmd("QUIT")
            return 0
        if not show("data", s.cmd("DATA")):
            s.cmd("QUIT")
            return 0
        s.sock.sendall(data + b".\r\n")
        show("dot", s.reply())
        show("quit", s.cmd("QUIT"))
    except OSError as e:
        out.write("error 000 %s\n" % e)
    return 0


def zero_ms(obj):
    if isinstance(obj, dict):
        return {k: (0 if k.endswith("_ms") and isinstance(v, (int, float)) else zero_ms(v))
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [zero_ms(v) for v in obj]
    return obj


def normalise_json():
    n = 0
    for line in sys.stdin:
        n += 1
        try:
            obj = json.loads(line)
        except ValueError as e:
            die("line %d is not JSON: %s: %r" % (n, e, line[:200]))
        sys.stdout.write(json.dumps(zero_ms(obj), indent=1, sort_keys=False) + "\n")
    return 0


def check_json():
    n = 0
    for line in sys.stdin:
        n += 1
        try:
            obj = json.loads(line)
        except ValueError as e:
            die("line %d is not JSON: %s: %r" % (n, e, line[:200]))
        if not isinstance(obj, dict):
            die("line %d is JSON but not an object" % n)
    if n == 0:
        die("no output at all")
    return 0


def golden_json(expected_path):
    with open(expected_path) as f:
        expected = json.load(f)
    line = sys.stdin.readline()
    try:
        actual = json.loads(line)
    except ValueError as e:
        die("output is not JSON: %s: %r" % (e, line[:300]))
    actual = zero_ms(actual)
    expected = zero_ms(expected)
    bad = []
    for k, v in expected.items():
        if k not in actual:
            bad.append("key %r missing (expected %s)" % (k, json.dumps(v)))
        elif actual[k] != v:
            bad.append("key %r: expected %s, got %s" % (k, json.dumps(v), json.dumps(actual[k])))
    if bad:
        die("%s:\n  %s\n  whole output: %s" % (expected_path, "\n  ".join(bad), line.strip()))
    return 0


def golden_kv(expected_path):
    with open(expected_path) as f:
        want = [t for t in f.read().split() if t]
    line = sys.stdin.readline().strip()
    got = line.split(" ")
    pos = 0
    for t in want:
        key = t.split("=", 1)[0]
        for i in range(pos, len(got)):
            g = got[i]
            if g == t or (key.endswith("_ms") and g.startswith(key + "=")):
                pos = i + 1
                break
        else:
            die("%s: token %r not found (in order) in record: %s" % (expected_path, t, line))
    return 0


def maildir_find(d, needle):
    hits = []
    for sub in ("new", "cur"):
        p = os.path.join(d, sub)
        if not os.path.isdir(p):
            continue
        for name in sorted(os.listdir(p)):
            fp = os.path.join(p, name)
            with open(fp, "rb") as f:
                if needle.encode() in f.read():
                    hits.append(fp)
    if len(hits) != 1:
        die("expected exactly one message containing %r in %s, found %d" % (needle, d, len(hits)))
    print(hits[0])
    return 0


def main():
    if len(sys.argv) < 2:
        die("usage: mwtest.py COMMAND ...")
    cmd, argv = sys.argv[1], sys.argv[2:]
    if cmd == "wait-listen" and len(argv) in (2, 3):
        return wait_listen(*argv)
    if cmd == "port-free" and len(argv) == 1:
        return port_free(argv[0])
    if cmd == "smtp":
        return smtp(argv)
    if cmd == "normalise-json" and not argv:
        return normalise_json()
    if cmd == "check-json" and not argv:
        return check_json()
    if cmd == "golden-json" and len(argv) == 1:
        return golden_json(argv[0])
    if cmd == "golden-kv" and len(argv) == 1:
        return golden_kv(argv[0])
    if cmd == "maildir-find" and len(argv) == 2:
        return maildir_find(argv[0], argv[1])
    die("bad command line: %s" % " ".join(sys.argv[1:]))


if __name__ == "__main__":
    sys.exit(main())
