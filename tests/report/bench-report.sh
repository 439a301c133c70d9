#!/bin/bash
# bench-report.sh - `make bench-report`: summarise a generated 1-million-line log
# (mailwarden and Postfix records, recipient lines and foreign lines), plain and
# gzip-compressed, and print lines/s.  BENCH_LINES overrides the size.
. "$(dirname "$0")/../lib/common.sh"

R=$MW_BUILDDIR/mailwarden-report
CHECK=$MW_SRCDIR/tests/report/reportcheck.py
need "$R" "$PYTHON3" gzip
n=${BENCH_LINES:-1000000}

"$PYTHON3" "$CHECK" gen "$n" > "$MW_TMP/bench.log" || fail "generating the log"
lines=$(wc -l < "$MW_TMP/bench.log")
note "generated $lines lines, $(($(stat -c %s "$MW_TMP/bench.log") / 1048576)) MiB"
"$R" --year 2026 --stats --html "$MW_TMP/bench.html" "$MW_TMP/bench.log" \
    > "$MW_TMP/bench.out" 2> "$MW_TMP/stats" || fail "mailwarden-report: exit $?"
echo "plain: $(cat "$MW_TMP/stats")"
gzip -1 -c "$MW_TMP/bench.log" > "$MW_TMP/bench.log.gz"
"$R" --year 2026 --stats "$MW_TMP/bench.log.gz" > "$MW_TMP/bench-gz.out" 2> "$MW_TMP/stats" ||
    fail "mailwarden-report (gzip): exit $?"
echo "gzip:  $(cat "$MW_TMP/stats")"
cmp -s "$MW_TMP/bench.out" "$MW_TMP/bench-gz.out" || fail "gzip and plain reports differ"
grep -q "^  lines read  *$lines\$" "$MW_TMP/bench.out" || fail "not every line was read"
