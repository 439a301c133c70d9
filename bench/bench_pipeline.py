#!/usr/bin/env python3
"""
make bench-pipeline: CPU per message of mailwarden's whole pipeline - header parse,
TLS audit, MIME model, ClamAV (libclamav in process), SPF (libspf2), spam rules with
the native evals and the relay analysis - against SpamAssassin's spamd on the same
messages, in one run.

mailwarden: `mailwarden --scan --json` (the daemon's mw_scan(), one process for all
messages) with Debian's SpamAssassin rules, the test signature database
(tests/av/av_mail.py mkdb) with clamav_tmpdir on tmpfs, and SPF answered from the test
zone (tests/spf/zone, no network): every message gets an SPF pass for MAIL FROM and
HELO.  Its CPU is getrusage(RUSAGE_CHILDREN) of a run over all messages minus a run
over one message (start-up: configuration, rule compilation, engine load).
The JSON records give the wall time per message and of the virus stage.

spamd: SpamAssassin 4 (spamd --local, Bayes and AWL off, one child), CPU of the
daemon and its children around the scoring loop, as in bench_rules.py.  rspamd, when
installed (it is not a dependency): Debian's stock configuration as a private instance,
CPU of its scanning worker; its network checks fail at once (no network here).

Prints the figures and the ratio; exits 1 when mailwarden is not at least 20 times
cheaper than spamd (issue 4's target for the rule engine, here for everything).
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "compat"))
from sa_spamd import corpus_files, spamd_cpu  # noqa: E402


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def scan(mailwarden, conf, files, out):
    cmd = [mailwarden, "-c", conf, "--scan", "--json", "--client-ip", "192.0.2.1",
           "--client-name", "mail.pass.test", "--helo", "helo.test",
           "--from", "alice@pass.test", "--rcpt", "user@example.net"] + files
    c0, t0 = children_cpu(), time.monotonic()
    with open(out, "w") as fh:
        res = subprocess.run(cmd, stdout=fh, stderr=subprocess.PIPE, text=True,
                             timeout=7200)
    if res.returncode not in (0, 1):
        sys.exit(f"bench: mailwarden --scan failed ({res.returncode}):\n{res.stderr[-2000:]}")
    return children_cpu() - c0, time.monotonic() - t0


RSPAMD_LOCAL = {
    "worker-normal.inc": 'bind_socket = "127.0.0.1:{port}";\ncount = 1;\n',
    "worker-controller.inc": 'bind_socket = "127.0.0.1:{cport}";\ncount = 1;\n',
    "worker-proxy.inc": "enabled = false;\n",
    # no network here: every DNS question fails at once instead of timing out
    "options.inc": 'dns {{\n nameserver = ["127.0.0.1:1"];\n timeout = 0.1s;\n'
                   ' retransmits = 0;\n}}\n',
    "logging.inc": 'type = "file";\nfilename = "{log}";\nlevel = "error";\n',
}


def rspamd_cpu(files, tmp, port=21433):
    """rspamd 3 with Debian's stock configuration as a private instance on loopback
    (its own local.d: ports, no proxy, DNS failing fast); CPU of its scanning worker
    over the files, sent by one rspamc.  None when rspamd is not installed."""
    if shutil.which("rspamd") is None or shutil.which("rspamc") is None:
        return None
    d = os.path.join(tmp, "rspamd")
    for sub in ("local/local.d", "db", "run", "log"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    for name, text in RSPAMD_LOCAL.items():
        with open(os.path.join(d, "local", "local.d", name), "w") as fh:
            fh.write(text.format(port=port, cport=port + 1,
                                 log=os.path.join(d, "log", "rspamd.log")))
    proc = subprocess.Popen(
        ["rspamd", "-c", "/etc/rspamd/rspamd.conf", "-f", "-u", "root", "-g", "root",
         "--insecure", f"--var=LOCAL_CONFDIR={d}/local", f"--var=DBDIR={d}/db",
         f"--var=RUNDIR={d}/run", f"--var=LOGDIR={d}/log"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        worker = None
        for _ in range(300):          # its regex compilation takes a while
            out = subprocess.run(["pgrep", "-f", f"rspamd: normal process \\(127.0.0.1:{port}\\)"],
                                 capture_output=True, text=True).stdout.split()
            if out and subprocess.run(["rspamc", "-h", f"127.0.0.1:{port}", files[0]],
                                      capture_output=True, text=True).stdout.count("Action:"):
                worker = int(out[0])
                break
            time.sleep(1)
        if worker is None:
            return None

        def cpu():
            with open(f"/proc/{worker}/stat") as fh:
                f = fh.read().rsplit(")", 1)[1].split()
            return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
        c0, t0 = cpu(), time.monotonic()
        res = subprocess.run(["rspamc", "-h", f"127.0.0.1:{port}", "-n", "1"] + files,
                             capture_output=True, text=True, timeout=7200)
        time.sleep(0.5)
        if res.stdout.count("Action:") != len(files):
            return None
        return cpu() - c0, time.monotonic() - t0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mailwarden", required=True)
    ap.add_argument("--rules", default="/usr/share/spamassassin")
    ap.add_argument("--corpus", default="/var/cache/mailwarden/corpus")
    ap.add_argument("--limit", type=int, default=500, help="messages per group")
    ap.add_argument("--no-spamd", action="store_true", help="mailwarden only")
    a = ap.parse_args()

    files = [p for _, p in corpus_files(a.corpus, limit=a.limit)]
    n = len(files)
    tmp = tempfile.mkdtemp(prefix="bench-pipeline.")
    shm = tempfile.mkdtemp(prefix="bench-pipeline.", dir="/dev/shm")
    try:
        db = os.path.join(tmp, "db")
        subprocess.run([sys.executable, os.path.join(SRC, "tests", "av", "av_mail.py"),
                        "mkdb", db], check=True)
        conf = os.path.join(tmp, "mailwarden.conf")
        with open(conf, "w") as fh:
            fh.write(f"rules = {a.rules}\n"
                     f"clamav_database = {db}\n"
                     f"clamav_tmpdir = {shm}\n"
                     f"tmpdir = {tmp}\n"
                     f"spf_test_zone = {os.path.join(SRC, 'tests', 'spf', 'zone')}\n"
                     "hostname = mx.example.net\n")
        print(f"bench-pipeline: {n} messages (easy-ham-1 + spam-1, {a.limit} per group), "
              f"rules {a.rules}, ClamAV test database, SPF from the test zone")
        one_cpu, _ = scan(a.mailwarden, conf, files[:1], os.path.join(tmp, "one.jsonl"))
        all_cpu, all_wall = scan(a.mailwarden, conf, files, os.path.join(tmp, "all.jsonl"))
        stages = {}
        actions = {}
        with open(os.path.join(tmp, "all.jsonl")) as fh:
            recs = [json.loads(line) for line in fh if line.strip()]
        if len(recs) != n:
            sys.exit(f"bench: {len(recs)} records for {n} messages")
        for r in recs:
            actions[r["action"]] = actions.get(r["action"], 0) + 1
            stages["total"] = stages.get("total", 0.0) + float(r.get("elapsed_ms") or 0)
            stages["virus"] = stages.get("virus", 0.0) + float(r["virus"].get("elapsed_ms") or 0)
            if r.get("virus", {}).get("status") != "done" or r.get("spf", {}).get("status") != "done":
                sys.exit(f"bench: a stage did not run on {r['file']}: virus "
                         f"{r.get('virus', {}).get('status')}, spf {r.get('spf', {}).get('status')}")
        mw_per = (all_cpu - one_cpu) / (n - 1) * 1000
        print(f"mailwarden --scan, whole pipeline: {mw_per:8.3f} ms CPU/message "
              f"({all_cpu:.2f} s CPU for {n}, start-up {one_cpu:.2f} s CPU, {all_wall:.1f} s wall)")
        if stages:
            print("  wall per stage (mean ms/message): " +
                  ", ".join(f"{k} {v / n:.3f}" for k, v in sorted(stages.items())))
        print("  actions: " + ", ".join(f"{k} {v}" for k, v in sorted(actions.items())))
        if a.no_spamd:
            return 0
        sa_cpu, sa_wall = spamd_cpu(a.rules, files)
        sa_per = sa_cpu / n * 1000
        print(f"spamd (SpamAssassin, --local, rules only): {sa_per:8.3f} ms CPU/message "
              f"({sa_cpu:.2f} s CPU, {sa_wall:.1f} s wall)")
        rs = rspamd_cpu(files, tmp)
        if rs is None:
            print("rspamd: not installed (apt-get install rspamd) or did not start: skipped")
        else:
            rs_per = rs[0] / n * 1000
            print(f"rspamd (Debian's stock configuration, DNS failing fast): {rs_per:8.3f} ms "
                  f"CPU/message ({rs[0]:.2f} s CPU, {rs[1]:.1f} s wall); "
                  f"ratio rspamd / mailwarden {rs_per / mw_per:.1f}x")
        print(f"ratio spamd / mailwarden pipeline: {sa_per / mw_per:.1f}x (target >= 20x; "
              f"brief: 50x and under 2 ms)")
        return 0 if sa_per / mw_per >= 20 else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(shm, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
