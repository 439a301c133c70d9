#!/bin/bash
# run-spf-milter-tests.sh - the SPF stage (issue 7) through the real daemon and
# Debian's miltertest: both headers byte for byte and the reply codes.
#
#   run-spf-milter-tests.sh [NAME...]   run tests/spf/*.lua (or the named ones)
#
# Like tests/milter/run-milter-tests.sh (same lib.lua helpers, NAME.conf, NAME.expect),
# plus: every test's configuration answers SPF lookups from tests/spf/zone through
# libspf2's zone layer (the test-only option spf_test_zone), so no test needs DNS.
. "${MW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"

SPF_DIR=$MW_SRCDIR/tests/spf

run_one() {
	local name=$1 lua=$SPF_DIR/$1.lua conf=$SPF_DIR/$1.conf expect=$SPF_DIR/$1.expect
	local n i pat rec
	MW_TESTNAME=spf/$name
	need "$MILTERTEST" "$MW_BUILDDIR/mailwarden"
	[ -f "$lua" ] || fail "no such test script: $lua"
	{
		[ ! -f "$conf" ] || cat "$conf"
		# the harness turns SPF off unless a test says so
		echo "spf_check = yes"
		echo "spf_test_zone = $SPF_DIR/zone"
		# no virus database needed: the scanner is absent and that is accepted
		echo "clamav_backend = clamd:$MW_TMP/no-clamd.sock"
		echo "clamav_on_error = accept"
	} >"$MW_TMP/spf.conf"
	start_mailwarden "$MW_TMP/spf.conf"
	if ! timeout "${MW_MILTERTEST_TIMEOUT:-120}" "$MILTERTEST" \
	    -s "$MW_SRCDIR/tests/milter/lib.lua" -D script="$lua" -D sock="$MW_SOCKET" \
	    -D pid="$MW_PID" -D tmp="$MW_TMP" -D spool="$MW_SPOOL_PARENT" \
	    >"$MW_TMP/miltertest.out" 2>&1; then
		mailwarden_alive
		fail "miltertest script failed:$(printf '\n'; cat "$MW_TMP/miltertest.out")"
	fi
	mailwarden_alive
	n=$(grep -c -v -E '^(#|$)' "$expect")
	wait_for_log 'queue_id=' 30 "$MW_LOG" "$n"
	stop_mailwarden
	mw_records >"$MW_TMP/records"
	assert_records_match "$expect" "$MW_TMP/records"
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
	for f in "$SPF_DIR"/*.lua; do
		names+=("$(basename "$f" .lua)")
	done
fi
run_each spf "$0" "${names[@]}"
