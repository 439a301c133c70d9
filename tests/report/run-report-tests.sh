#!/bin/bash
# run-report-tests.sh - mailwarden-report (issue 10).
#
# 1. golden files: hand-written edge cases (interleaved, truncated, damaged and foreign
#    lines, JSON records, hashed addresses, lifecycle events, Postfix lines) with every
#    selection option, a log made earlier by `mailwarden --scan` (data/scan.syslog) and
#    one the daemon wrote under miltertest (data/milter.syslog);
# 2. the same input plain, gzip-compressed, split over two files, and on stdin gives
#    the same report;
# 3. a log made now by running corpus messages through `mailwarden --scan` (kv, JSON
#    and hashed-address configurations) is summarised, and every number is checked
#    against an independent count (reportcheck.py oracle);
# 4. usage errors and exit codes.
# MW_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing (review the diff!).
. "$(dirname "$0")/../lib/common.sh"

R=$MW_BUILDDIR/mailwarden-report
MW=$MW_BUILDDIR/mailwarden
D=$MW_SRCDIR/tests/report/data
CHECK=$MW_SRCDIR/tests/report/reportcheck.py
need "$R" "$MW" "$PYTHON3" gzip cmp diff

golden() {	# NAME ARGS... : run the report, compare stdout with data/NAME.out
	local name=$1 out=$MW_TMP/$1.out
	shift
	"$R" --year 2026 "$@" > "$out" || fail "$name: mailwarden-report exited $?"
	if [ "${MW_UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$out" "$D/$name.out"
		note "updated $D/$name.out"
	elif ! diff -u "$D/$name.out" "$out" >&2; then
		fail "$name: output differs from $D/$name.out"
	fi
}

# --- 1. golden files --------------------------------------------------------------
golden edge "$D/edge.syslog"
golden edge-since --since "2026-11-28 01:00" --until 2026-11-28T05:00 "$D/edge.syslog"
golden edge-customer --customer other.example "$D/edge.syslog"
golden edge-address-plain --address bob@example.net "$D/edge.syslog"
golden edge-address-hash --address Dave@Example.NET --hash-key-file "$D/edge.key" "$D/edge.syslog"
golden edge-address-domain --address @partner.example "$D/edge.syslog"
golden scan "$D/scan.syslog"
# the log the real daemon wrote in tests/report/run-report-milter.sh (frozen)
golden milter "$D/milter.syslog"
golden milter-address --address dave@example.org "$D/milter.syslog"

# hashing through the configuration file gives the same answer as the key file
cp "$D/edge.conf" "$MW_TMP/edge.conf"
"$R" --year 2026 -a dave@example.net -C "$MW_TMP/edge.conf" "$D/edge.syslog" > "$MW_TMP/viaconf.out" ||
    fail "--config: exit $?"
diff -u "$D/edge-address-hash.out" <(sed 's/Dave@Example.NET/dave@example.net/' "$MW_TMP/viaconf.out") >&2 ||
    fail "--config key and --hash-key-file key disagree"

# --- 2. plain, gzip, several files, stdin ---------------------------------------------
"$R" --year 2026 "$D/edge.syslog" > "$MW_TMP/plain.out" || fail "plain: exit $?"
gzip -c "$D/edge.syslog" > "$MW_TMP/edge.log.gz"
"$R" --year 2026 "$MW_TMP/edge.log.gz" > "$MW_TMP/gz.out" || fail "gzip: exit $?"
cmp -s "$MW_TMP/plain.out" "$MW_TMP/gz.out" || fail "gzip input gives a different report"
"$R" --year 2026 - < "$MW_TMP/edge.log.gz" > "$MW_TMP/stdin.out" || fail "stdin: exit $?"
cmp -s "$MW_TMP/plain.out" "$MW_TMP/stdin.out" || fail "gzip on stdin gives a different report"
head -n 20 "$D/edge.syslog" | gzip -c > "$MW_TMP/part1.gz"
tail -n +21 "$D/edge.syslog" > "$MW_TMP/part2"
"$R" --year 2026 "$MW_TMP/part1.gz" "$MW_TMP/part2" > "$MW_TMP/split.out" || fail "split: exit $?"
cmp -s "$MW_TMP/plain.out" "$MW_TMP/split.out" || fail "a log split over two files gives a different report"

# --- 3. a log made now by mailwarden --scan, checked against an independent count ---
CORPUS=$("$MW_SRCDIR/scripts/fetch-corpus.sh") || fail "no corpus (scripts/fetch-corpus.sh)"
ham=("$CORPUS"/easy-ham-1/*.txt)
spam=("$CORPUS"/spam-1/*.txt)
[ ${#ham[@]} -ge 20 ] && [ ${#spam[@]} -ge 25 ] || fail "corpus too small in $CORPUS"
printf 'customers = %s\n' "$D/customers.conf" > "$MW_TMP/kv.conf"
printf 'customers = %s\nlog_format = json\n' "$D/customers.conf" > "$MW_TMP/json.conf"
printf 'customers = %s\nlog_addresses = hash\nlog_hash_key = report-test-key-0123456789\n' \
    "$D/customers.conf" > "$MW_TMP/hash.conf"
scan() {	# CONF FILES... ; envelope flags in $ENV_FLAGS
	"$MW" -c "$1" --scan $ENV_FLAGS "${@:2}" 2>>"$MW_TMP/scan.err" ||
	    fail "mailwarden --scan exited $? (see $MW_TMP/scan.err)"
}
{
	ENV_FLAGS="--from news@partner.example --rcpt bob@example.net --client-ip 198.51.100.20 --tls-version TLSv1.3 --tls-cipher TLS_AES_256_GCM_SHA384 --tls-bits 256"
	scan "$MW_TMP/kv.conf" "${ham[@]:0:12}"
	ENV_FLAGS="--from list@lists.example --rcpt carol@example.net --rcpt dave@other.example --client-ip 192.0.2.44"
	scan "$MW_TMP/kv.conf" "${ham[@]:12:8}"
	ENV_FLAGS="--from x@spam.example --rcpt bob@example.net --client-ip 203.0.113.7"
	scan "$MW_TMP/kv.conf" "${spam[@]:0:12}"
	ENV_FLAGS="--from y@bulk.example --rcpt erin@shop.example --client-ip 203.0.113.8 --tls-version TLSv1.2 --tls-cipher ECDHE-RSA-AES256-GCM-SHA384 --tls-bits 256"
	scan "$MW_TMP/json.conf" "${spam[@]:12:8}"
	ENV_FLAGS="--from z@hash.example --rcpt frank@example.net --client-ip 203.0.113.9"
	scan "$MW_TMP/hash.conf" "${spam[@]:20:5}"
} > "$MW_TMP/records"
n=$(grep -c . "$MW_TMP/records" || true)
[ "$n" -ge 45 ] || fail "mailwarden --scan printed $n records for 45 messages"
"$PYTHON3" "$CHECK" syslog --assign-qids < "$MW_TMP/records" > "$MW_TMP/generated.log" ||
    fail "reportcheck.py syslog failed"
"$R" --year 2026 --html "$MW_TMP/generated.html" "$MW_TMP/generated.log" > "$MW_TMP/generated.out" ||
    fail "report on the generated log: exit $?"
"$PYTHON3" "$CHECK" oracle "$MW_TMP/generated.log" --text "$MW_TMP/generated.out" >&2 ||
    fail "the report's numbers differ from the independent count (generated log)"
"$PYTHON3" "$CHECK" html "$MW_TMP/generated.html" "$MW_TMP/generated.log" >&2 ||
    fail "the HTML report's numbers differ from the independent count (generated log)"
grep -q '^  recipient records *0$' "$MW_TMP/generated.out" &&
    note "note: mailwarden --scan prints no recipient records (mw_output_rcpt_records)"
# the Postfix side: every held/rejected/discarded message was seen and confirmed
awk '/^Postfix.s view/{p=1;next} p && /^  (hold|reject|tempfail|discard) /{ if ($2 != $4) bad=1 } END{exit bad}' \
    "$MW_TMP/generated.out" || fail "Postfix correlation: not every decision confirmed"
# the hashed group: no clear address of that group in the log, and --address finds it
grep -q 'z@hash.example' "$MW_TMP/generated.log" && fail "log_addresses = hash leaked an address"
echo report-test-key-0123456789 > "$MW_TMP/hash.key"
"$R" --year 2026 -a Z@hash.example -k "$MW_TMP/hash.key" "$MW_TMP/generated.log" > "$MW_TMP/found.out" ||
    fail "--address on the generated log: exit $?"
assert_match '^Mail from or to z@hash.example: 5 records$' "$(head -n 1 "$MW_TMP/found.out")" \
    "hashed sender found by --address"

# --- 4. robustness: binary junk between the lines, a gzip file cut short ------------------
head -c 20000 /dev/urandom > "$MW_TMP/junk"
cat "$D/edge.syslog" "$MW_TMP/junk" > "$MW_TMP/noisy.log"
printf '\n' >> "$MW_TMP/noisy.log"
"$R" --year 2026 "$MW_TMP/noisy.log" > "$MW_TMP/noisy.out" || fail "junk input: exit $?"
assert_file_has "$MW_TMP/noisy.out" '^  message records +8$' "records read around binary junk"
head -c $(($(stat -c %s "$MW_TMP/edge.log.gz") / 2)) "$MW_TMP/edge.log.gz" > "$MW_TMP/cut.gz"
set +e
"$R" --year 2026 "$MW_TMP/cut.gz" > "$MW_TMP/cut.out" 2> "$MW_TMP/cut.err"; rc=$?
set -e
assert_eq 66 "$rc" "exit status for a gzip file cut short"
assert_file_has "$MW_TMP/cut.err" 'cut short' "message for a gzip file cut short"
assert_file_has "$MW_TMP/cut.out" '^Input$' "the report of what was read is still printed"

# --- 5. usage -------------------------------------------------------------------------
set +e
"$R" --since yesterday "$D/edge.syslog" >/dev/null 2>&1; rc=$?
set -e
assert_eq 64 "$rc" "exit status for a bad --since"
set +e
"$R" "$MW_TMP/no-such-file" >/dev/null 2>&1; rc=$?
set -e
assert_eq 66 "$rc" "exit status for a missing input"
"$R" --help > "$MW_TMP/help" || fail "--help: exit $?"
for o in --since --until --customer --address --hash-key-file --config --year --html --top --stats; do
	grep -q -- "$o" "$MW_TMP/help" || fail "--help does not mention $o"
done
note "ok"
