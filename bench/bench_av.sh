#!/bin/sh
# bench_av.sh - `make bench-av`: virus scanning throughput on the development corpus
# (easy-ham-1 + spam-1) and engine load/reload time and memory, with
#   test:      the test database (clamav-testfiles MD5 + EICAR: 2 signatures), and
#   synthetic: random signatures in official proportions, MW_BENCH_AV_HASHES MD5
#              (default 400000) + MW_BENCH_AV_BODY body signatures (default 40000),
#              as a stand-in for the official database, which cannot be fetched here.
# Results go to stdout; doc/PERFORMANCE.md records them.
set -eu
builddir=${MW_BUILDDIR:-$(pwd)}
srcdir=${MW_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
python=${PYTHON3:-python3}
bench=$builddir/bench/bench_av
[ -x "$bench" ] || { echo "bench-av: build bench/bench_av first (make bench-av)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-av.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
corpus=$("$srcdir/scripts/fetch-corpus.sh")
mkdir -p "$tmp/msgs"
for g in easy-ham-1 spam-1; do
	for f in "$corpus/$g"/*.txt; do ln -s "$f" "$tmp/msgs/$g-$(basename "$f")"; done
done
"$python" "$srcdir/tests/av/av_mail.py" mkdb "$tmp/test"
"$python" - "$tmp/synthetic" "${MW_BENCH_AV_HASHES:-400000}" "${MW_BENCH_AV_BODY:-40000}" <<'PY'
import os, random, sys
d, nh, nb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(d)
rnd = random.Random(6)
with open(os.path.join(d, "synthetic.hdb"), "w") as f:
    for i in range(nh):
        f.write("%032x:%d:Bench.Hash-%d\n" % (rnd.getrandbits(128), rnd.randint(1000, 10**6), i))
with open(os.path.join(d, "synthetic.ndb"), "w") as f:
    for i in range(nb):
        f.write("Bench.Body-%d:0:*:%040x\n" % (i, rnd.getrandbits(160)))
PY
# libclamav writes every extracted part to its temporary directory: compare the
# default (tmpdir, on disk) with a tmpfs (clamav_tmpdir = /dev/shm/...).
shm=$(mktemp -d /dev/shm/bench-av.XXXXXX)
trap 'rm -rf "$tmp" "$shm"' EXIT INT TERM
run() {	# DB TMPDIR THREADS
	printf 'clamav_database = %s/%s\ntmpdir = %s\nclamav_tmpdir = %s\n' "$tmp" "$1" "$tmp" "$2" \
	    >"$tmp/run.conf"
	echo "== database $1, clamav_tmpdir $2, $3 thread(s)"
	"$bench" "$tmp/run.conf" "$tmp/msgs" "$3"
}
for threads in 1 2; do run test "$tmp" "$threads"; done
for threads in 1 2; do run test "$shm" "$threads"; done
for threads in 1 2; do run synthetic "$shm" "$threads"; done
