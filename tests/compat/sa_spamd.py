"""
Run SpamAssassin's own engine (spamd --local, Bayes and auto-whitelist off) on a
private unix socket and score messages through the SPAMD protocol.

Used by the compatibility tool (compat.py) and the benchmark (bench/bench_rules.py).
spamd is SpamAssassin itself with the same rule files as `spamassassin -L`; it is
used instead of one `spamassassin` process per message because Perl's start-up
(~1.5 s) would otherwise dominate both the run time and the CPU comparison.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

SA_SITE_DIR = "/etc/spamassassin"


def _proc_cpu(pid):
    """utime+stime(+children reaped) of one process, in seconds, or 0 if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    # fields[0] is state (field 3); utime=14 stime=15 cutime=16 cstime=17
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / tick


def _children(pid):
    out = []
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            out = [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


class Spamd:
    def __init__(self, rules_dir="/usr/share/spamassassin", children=2, workdir=None):
        if shutil.which("spamd") is None:
            raise RuntimeError("spamd not found: install the spamassassin package")
        self.own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="mw-rules-sa.")
        os.chmod(self.workdir, 0o755)
        self.site = os.path.join(self.workdir, "site")
        os.makedirs(self.site, exist_ok=True)
        # Same plugins as the installed SpamAssassin (the .pre files), none of the
        # local policy, and the learning features off so results are reproducible.
        for name in os.listdir(SA_SITE_DIR):
            if name.endswith(".pre"):
                shutil.copy(os.path.join(SA_SITE_DIR, name), self.site)
        with open(os.path.join(self.site, "local.cf"), "w") as f:
            f.write("use_bayes 0\nbayes_auto_learn 0\nuse_auto_whitelist 0\n"
                    "use_txrep 0\nskip_rbl_checks 1\n")
        self.sock = os.path.join(self.workdir, "spamd.sock")
        self.pidfile = os.path.join(self.workdir, "spamd.pid")
        self.log = open(os.path.join(self.workdir, "spamd.log"), "w")
        self.proc = subprocess.Popen(
            ["spamd", "--local", "--nouser-config", "-u", "nobody",
             f"--configpath={rules_dir}", f"--siteconfigpath={self.site}",
             f"--socketpath={self.sock}", "--socketmode=0666",
             f"--max-children={children}", f"--min-children={children}",
             "--min-spare=1", "--max-spare=" + str(children),
             "--syslog=stderr", f"--pidfile={self.pidfile}"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("spamd exited early, see " + self.log.name)
            if os.path.exists(self.sock):
                try:
                    self.symbols(b"Subject: ping\n\nping\n")
                    return
                except OSError:
                    pass
            time.sleep(0.5)
        self.close()
        raise RuntimeError("spamd did not start within 120 s")

    def cpu_seconds(self):
        """CPU used so far by spamd and its children (live and reaped)."""
        pids = [self.proc.pid] + _children(self.proc.pid)
        return sum(_proc_cpu(p) for p in pids)

    def symbols(self, msg, timeout=300):
        """Returns (score, required, [rule names]) for one message (bytes)."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(self.sock)
            s.sendall(b"SYMBOLS SPAMC/1.5\r\nContent-length: %d\r\n\r\n" % len(msg) + msg)
            s.shutdown(socket.SHUT_WR)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        finally:
            s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("SPAMD/") or " 0 " not in lines[0]:
            raise RuntimeError("spamd error: " + lines[0])
        score = required = None
        for ln in lines[1:]:
            if ln.lower().startswith("spam:"):
                # Spam: True ; 7.3 / 5.0
                v = ln.split(";", 1)[1].split("/")
                score, required = float(v[0]), float(v[1])
        names = [x.strip() for x in body.decode("latin-1").split(",") if x.strip()]
        return score, required, names

    def close(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        if self.own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def corpus_files(corpus_dir, groups=("easy-ham-1", "spam-1"), limit=None):
    """(group, path) for each message (.txt) of the development corpus, sorted."""
    out = []
    for g in groups:
        d = os.path.join(corpus_dir, g)
        names = sorted(n for n in os.listdir(d) if n.endswith(".txt"))
        if limit:
            names = names[:limit]
        out += [(g, os.path.join(d, n)) for n in names]
    return out


def spamd_cpu(rules_dir, files):
    """Score files with one spamd child; (CPU seconds, wall seconds) of the scoring
    loop only: start-up and rule compilation are not counted, a first message warms
    the child up."""
    import time
    with Spamd(rules_dir, children=1) as sd:
        with open(files[0], "rb") as f:
            sd.symbols(f.read())
        c0, t0 = sd.cpu_seconds(), time.monotonic()
        for p in files:
            with open(p, "rb") as f:
                sd.symbols(f.read())
        time.sleep(0.5)                   # let /proc catch up with the last request
        return sd.cpu_seconds() - c0, time.monotonic() - t0
