#!/bin/bash
# run-customers-milter.sh - per-customer opt-in (issue 8) through the real daemon and
# Debian's miltertest: RCPT-time decisions (accept / 452 4.5.3 defer), strictest mode,
# recipient delimiter, authenticated submission, opted-out messages left unscanned,
# and SIGHUP reloads of a good and a broken customers file during a live connection.
#
#   run-customers-milter.sh [NAME...]   run all tests/customers/*.lua (or the named ones)
#
# For a test NAME in tests/customers/:
#   NAME.lua        the miltertest script; tests/milter/lib.lua's helpers (mw.*) plus
#                   the variables dir (this directory), tmp, log, pid and customers
#   NAME.customers  the customers file, copied to $MW_TMP/customers.conf
#   NAME.conf       optional extra mailwarden.conf lines
#   NAME.expect     one ERE per expected per-message log record, in order
# The daemon is started fresh for each test and must stop cleanly (exit 0, no
# sanitizer report).
. "${MW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"

DIR=$MW_SRCDIR/tests/customers

run_one() {
	local name=$1 n i rec pat
	MW_TESTNAME=customers/$name
	need "$MILTERTEST" "$MW_BUILDDIR/mailwarden"
	[ -f "$DIR/$name.lua" ] || fail "no such test script: $DIR/$name.lua"
	[ -f "$DIR/$name.customers" ] || fail "no customers file: $DIR/$name.customers"
	cp "$DIR/$name.customers" "$MW_TMP/customers.conf"
	{
		echo "customers = $MW_TMP/customers.conf"
		[ ! -f "$DIR/$name.conf" ] || cat "$DIR/$name.conf"
	} >"$MW_TMP/test.conf"
	start_mailwarden "$MW_TMP/test.conf"
	if ! timeout "${MW_MILTERTEST_TIMEOUT:-120}" "$MILTERTEST" -s "$MW_SRCDIR/tests/milter/lib.lua" \
	    -D script="$DIR/$name.lua" -D sock="$MW_SOCKET" -D pid="$MW_PID" \
	    -D tmp="$MW_TMP" -D spool="$MW_SPOOL_PARENT" -D dir="$DIR" -D log="$MW_LOG" \
	    -D customers="$MW_TMP/customers.conf" >"$MW_TMP/miltertest.out" 2>&1; then
		mailwarden_alive
		fail "miltertest script failed:$(printf '\n'; cat "$MW_TMP/miltertest.out"; tail -n 5 "$MW_LOG")"
	fi
	mailwarden_alive
	n=$(grep -c -v -E '^(#|$)' "$DIR/$name.expect" || true)
	[ "$n" -eq 0 ] || wait_for_log 'queue_id=.* action=' 30 "$MW_LOG" "$n"
	stop_mailwarden
	mw_records | grep -E ' action=' >"$MW_TMP/records" || true
	assert_records_match "$DIR/$name.expect" "$MW_TMP/records"
}

if [ "${1:-}" = --one ]; then
	run_one "$2"
	exit 0
fi

need "$MILTERTEST" "$MW_BUILDDIR/mailwarden"
if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for f in "$DIR"/*.lua; do
		names+=("$(basename "$f" .lua)")
	done
fi
run_each customers "$0" "${names[@]}"
