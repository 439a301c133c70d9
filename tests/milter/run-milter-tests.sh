#!/bin/bash
# run-milter-tests.sh - drive the real mailwarden daemon through the milter protocol
# with Debian's miltertest, one Lua script per behaviour.
#
#   run-milter-tests.sh [NAME...]     run all tests/milter/*.lua (or the named ones);
#                                     one PASS/FAIL line each; exit 1 if any failed
#
# For a test NAME (see tests/README.md):
#   NAME.lua      required: the miltertest script (uses lib.lua)
#   NAME.conf     optional: mailwarden.conf options for this test (socket, log_file and
#                 tmpdir are added by the harness)
#   NAME.expect   optional: one extended regex per expected log record, in order; the
#                 daemon must log exactly that many per-message records (queue_id=...
#                 from=...; per-recipient lines are not counted), record N matching
#                 line N
#   NAME.post.sh  optional: bash sourced after the script, daemon still running
#                 (MW_PID, MW_LOG, MW_SPOOL_PARENT, ... from tests/lib/common.sh)
# Every test gets a fresh daemon, stopped with SIGTERM at the end: it must exit 0,
# remove its spool directory and, in a sanitizer build, report no leak or error.
. "${MW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"

MW_MILTER_DIR=$MW_SRCDIR/tests/milter

run_one() {
	local name=$1 lua conf expect post n i rec pat leftover
	lua=$MW_MILTER_DIR/$name.lua
	conf=$MW_MILTER_DIR/$name.conf
	expect=$MW_MILTER_DIR/$name.expect
	post=$MW_MILTER_DIR/$name.post.sh
	MW_TESTNAME=milter/$name
	need "$MILTERTEST"
	[ -f "$lua" ] || fail "no such test script: $lua"
	[ -f "$conf" ] || conf=/dev/null
	start_mailwarden "$conf"
	if ! timeout "${MW_MILTERTEST_TIMEOUT:-180}" "$MILTERTEST" -s "$MW_MILTER_DIR/lib.lua" \
	    -D script="$lua" -D sock="$MW_SOCKET" -D pid="$MW_PID" \
	    -D tmp="$MW_TMP" -D spool="$MW_SPOOL_PARENT" >"$MW_TMP/miltertest.out" 2>&1; then
		mailwarden_alive
		fail "miltertest script failed:$(printf '\n'; cat "$MW_TMP/miltertest.out")"
	fi
	mailwarden_alive
	if [ -f "$expect" ]; then
		n=$(grep -c -v -E '^(#|$)' "$expect" || true)
		[ "$n" -eq 0 ] || wait_for_log "$MW_RECORD" 30 "$MW_LOG" "$n"
	fi
	if [ -f "$post" ]; then
		# shellcheck disable=SC1090
		. "$post"
	fi
	stop_mailwarden
	leftover=$(ls -A "$MW_SPOOL_PARENT")
	[ -z "$leftover" ] || fail "the daemon left its spool behind in $MW_SPOOL_PARENT: $leftover"
	if [ -f "$expect" ]; then
		mw_records >"$MW_TMP/records"
		assert_records_match "$expect" "$MW_TMP/records"
	fi
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
	for f in "$MW_MILTER_DIR"/*.lua; do
		n=$(basename "$f" .lua)
		[ "$n" = lib ] || names+=("$n")
	done
fi
run_each milter "$0" "${names[@]}"
