#!/bin/sh
# test.sh - the README's second command (and what .ci/run calls): install what is
# needed, build, and run the whole test suite twice - plain, and under
# AddressSanitizer + UndefinedBehaviorSanitizer - then make distcheck.
# Ends with one line "N passed, N failed" summing up everything.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh" || { echo "0 passed, 1 failed"; exit 1; }
MW_CORPUS_DIR=$("$top/scripts/fetch-corpus.sh") || { echo "0 passed, 1 failed"; exit 1; }
export MW_CORPUS_DIR

passed=0 failed=0 skipped=0
count() {	# count LOGFILE: add automake's test-suite.log totals
	p=$(sed -n 's/^# PASS: *//p' "$1" | head -1)
	f=$(sed -n 's/^# FAIL: *//p' "$1" | head -1)
	e=$(sed -n 's/^# ERROR: *//p' "$1" | head -1)
	x=$(sed -n 's/^# XPASS: *//p' "$1" | head -1)
	s=$(sed -n 's/^# SKIP: *//p' "$1" | head -1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0} + ${e:-0} + ${x:-0}))
	skipped=$((skipped + ${s:-0}))
}

run_suite() {	# run_suite NAME [configure args]
	name=$1
	shift
	dir="$top/build/$name"
	echo "=== $name: build"
	if ! "$top/scripts/build.sh" "$dir" "$@"; then
		echo "=== $name: BUILD FAILED"
		failed=$((failed + 1))
		return
	fi
	echo "=== $name: make check"
	(cd "$dir" && make -j2 check) || true
	if [ -f "$dir/test-suite.log" ]; then
		count "$dir/test-suite.log"
		grep -E '^(FAIL|ERROR|XPASS):' "$dir/test-suite.log" || true
		# A failure's own log explains it (the log tails it printed, the MTA's lines):
		# show its end here, where CI's output is read.
		sed -n 's/^\(FAIL\|ERROR\|XPASS\): \([^ ]*\).*/\2/p' "$dir/test-suite.log" |
		    sort -u | while read -r t; do
			[ -f "$dir/$t.log" ] || continue
			echo "--- $name: end of $t.log"
			tail -n 40 "$dir/$t.log"
		done
	else
		echo "=== $name: no test-suite.log"
		failed=$((failed + 1))
	fi
}

run_suite plain
run_suite sanitize --enable-sanitizers

# Short, bounded fuzzing of the parsers that read what senders write (libFuzzer,
# clang); longer runs by hand: tests/fuzz/run-fuzz.sh SECONDS [FUZZER].
if [ "${MW_SKIP_FUZZ:-}" = "" ]; then
	echo "=== fuzz: build"
	if "$top/scripts/build.sh" "$top/build/fuzz" --enable-fuzzing --disable-tests CC=clang \
	    >"$top/build/fuzz.log" 2>&1; then
		for f in fuzz_message:60 fuzz_received:30 fuzz_rules:30; do
			name=${f%%:*}
			secs=${f##*:}
			if (cd "$top/build/fuzz" && MW_BUILDDIR=. \
			    sh "$top/tests/fuzz/run-fuzz.sh" "$secs" "tests/fuzz/$name" >"$name.log" 2>&1); then
				passed=$((passed + 1))
				echo "PASS: $name ($secs s)"
			else
				failed=$((failed + 1))
				echo "FAIL: $name (see build/fuzz/$name.log)"
				tail -20 "$top/build/fuzz/$name.log"
			fi
		done
	else
		failed=$((failed + 1))
		echo "FAIL: fuzz build (see build/fuzz.log)"
		tail -20 "$top/build/fuzz.log"
	fi
fi

if [ "${MW_SKIP_DISTCHECK:-}" = "" ]; then
	# The tarball is built, configured, compiled, installed and uninstalled in full;
	# its check runs the unit tests and the golden and rule tests (the daemon, MTA
	# and scanner suites have just run twice above, plain and sanitized).
	echo "=== distcheck"
	if (cd "$top/build/plain" && make -j2 distcheck \
	    'TESTS=$(check_PROGRAMS) tests/check-core-purity.sh tests/check-sample-config.sh tests/scan/run-golden.sh tests/mime/run-mime-golden.sh tests/rules/run-rules-tests.sh' \
	    >distcheck.log 2>&1); then
		passed=$((passed + 1))
		echo "PASS: make distcheck"
	else
		failed=$((failed + 1))
		echo "FAIL: make distcheck (see build/plain/distcheck.log)"
		tail -30 "$top/build/plain/distcheck.log"
	fi
fi

if [ "${MW_SKIP_PACKAGE:-}" = "" ]; then
	echo "=== Debian package"
	if "$top/tests/package/run-package-test.sh"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
fi

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
