# tests/lib/common.sh - sourced by every script test (bash).
#
# Gives a test: strict mode, a private temp dir $MW_TMP (0700, removed on exit),
# `need TOOL`, port reservation, start/stop of the real daemon, bounded waits for
# log lines, and assertions that print what was expected and what was seen.
# A failing check prints "FAIL: ..." and exits 1; a missing tool is a failure too
# (never exit 77: a skipped test would hide a broken machine).
#
# Environment (set by `make check` through TESTS_ENVIRONMENT; defaults let a test
# run by hand from the build directory):
#   MW_BUILDDIR  build directory holding ./mailwarden     (default: $PWD)
#   MW_SRCDIR    source directory holding tests/          (default: from this file)
#   MILTERTEST, POSTFIX, PYTHON3   the tools              (default: from PATH)
#   MW_KEEP_TMP=1  keep $MW_TMP for post-mortem (its path is printed)
#   MW_TEST_VERBOSE=1  trace helper actions on stderr

set -euo pipefail
umask 022

MW_SRCDIR=${MW_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
MW_BUILDDIR=${MW_BUILDDIR:-$PWD}
PYTHON3=${PYTHON3:-$(command -v python3 || echo python3)}
MILTERTEST=${MILTERTEST:-$(command -v miltertest || echo miltertest)}
POSTFIX=${POSTFIX:-$(PATH=$PATH:/usr/sbin:/sbin command -v postfix || echo postfix)}
MW_LIB=$MW_SRCDIR/tests/lib
MW_TESTNAME=${MW_TESTNAME:-$(basename "$0")}
# Resolve wrappers such as pyenv shims once: each helper call then starts in ~30 ms.
if PYTHON3_REAL=$("$PYTHON3" -c 'import sys; print(sys.executable)' 2>/dev/null) &&
    [ -x "$PYTHON3_REAL" ]; then
	PYTHON3=$PYTHON3_REAL
fi
export MW_SRCDIR MW_BUILDDIR PYTHON3 MILTERTEST POSTFIX

# --- messages and failure ------------------------------------------------------------

note() { printf '%s: %s\n' "$MW_TESTNAME" "$*" >&2; }
trace() { [ "${MW_TEST_VERBOSE:-0}" = 1 ] && note "$@"; return 0; }
fail() {
	printf 'FAIL: %s: %s\n' "$MW_TESTNAME" "$*" >&2
	exit 1
}

# need TOOL...: each must be an executable path or a command on PATH.
need() {
	local t
	for t in "$@"; do
		if [ -z "$t" ]; then
			fail "a required test tool is not configured (empty name)"
		elif [[ $t == */* ]]; then
			[ -x "$t" ] || fail "required test tool missing: $t (not executable)"
		else
			command -v "$t" >/dev/null 2>&1 ||
			    fail "required test tool missing: $t (install it; see README.md)"
		fi
	done
}

# --- temp dir and cleanup ----------------------------------------------------------

MW_PORT_LOCKS=${MW_PORT_LOCKS:-/tmp/mailwarden-test-ports}
MW_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mwtest.XXXXXX") || { echo "FAIL: mktemp -d" >&2; exit 1; }
chmod 0700 "$MW_TMP"
MW_CLEANUPS=()

# at_exit CMD: run CMD (a string for eval) on exit, most recent first.
at_exit() { MW_CLEANUPS+=("$1"); }

mw_run_cleanups() {
	local rc=$? i
	set +e
	for ((i = ${#MW_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${MW_CLEANUPS[$i]}"
	done
	mw_release_ports
	if [ "${MW_KEEP_TMP:-0}" = 1 ]; then
		note "kept temp dir $MW_TMP"
	else
		rm -rf "$MW_TMP"
	fi
	exit "$rc"
}
trap mw_run_cleanups EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# py ARGS...: the Python helper.
py() { "$PYTHON3" "$MW_LIB/mwtest.py" "$@"; }

# --- ports -------------------------------------------------------------------------
# reserve_port [VAR] [LOW HIGH]: a free loopback TCP port in LOW..HIGH (default
# 21100..21199), stored in VAR, or printed when no VAR is given (p=$(reserve_port
# 21050 21099)).  Concurrent tests cannot get the same port: each reservation is a
# lock directory holding our pid ($$, also inside $(...)), dropped when the test
# exits; a lock whose owner died is taken over.
reserve_port() {
	local var= low high span tries p lock owner
	case ${1:-} in
	'' | *[!0-9]*) [ $# -eq 0 ] || { var=$1; shift; } ;;
	esac
	low=${1:-21100} high=${2:-21199}
	span=$((high - low + 1))
	mkdir -p "$MW_PORT_LOCKS" 2>/dev/null || true
	chmod 1777 "$MW_PORT_LOCKS" 2>/dev/null || true
	for ((tries = 0; tries < span * 2; tries++)); do
		p=$((low + (RANDOM + tries) % span))
		lock=$MW_PORT_LOCKS/$p
		if ! mkdir "$lock" 2>/dev/null; then
			owner=$(cat "$lock/pid" 2>/dev/null || true)
			# Stale: its owner is gone (killed -9).  An empty pid file may be a lock
			# being taken right now: leave it.
			if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then
				rm -rf "$lock"
			fi
			continue
		fi
		echo $$ >"$lock/pid"
		if py port-free "$p"; then
			if [ -n "$var" ]; then printf -v "$var" '%s' "$p"; else echo "$p"; fi
			return 0
		fi
		rm -rf "$lock"
	done
	fail "no free port in $low..$high"
}
mw_release_ports() {
	local f
	for f in "$MW_PORT_LOCKS"/*/pid; do
		[ -f "$f" ] && [ "$(cat "$f" 2>/dev/null)" = "$$" ] && rm -rf "${f%/pid}"
	done
	return 0
}

# --- waiting -----------------------------------------------------------------------

# wait_until TIMEOUT CMD...: poll CMD every 0.1 s until it succeeds; 1 on timeout.
wait_until() {
	local timeout=$1 deadline
	shift
	deadline=$(($(date +%s%N) / 1000000 + timeout * 1000))
	while ! "$@" >/dev/null 2>&1; do
		(($(date +%s%N) / 1000000 < deadline)) || return 1
		sleep 0.1
	done
	return 0
}

# wait_for_log PATTERN TIMEOUT [FILE] [COUNT]: wait until FILE (default $MW_LOG)
# has at least COUNT (default 1) lines matching the ERE PATTERN; fail otherwise.
log_count() { grep -E -c -a -- "$1" "$2" 2>/dev/null || true; }
log_has_n() { [ "$(log_count "$1" "$2")" -ge "$3" ]; }
wait_for_log() {
	local pat=$1 timeout=${2:-10} file=${3:-${MW_LOG:-}} n=${4:-1}
	[ -n "$file" ] || fail "wait_for_log: no log file"
	if ! wait_until "$timeout" log_has_n "$pat" "$file" "$n"; then
		note "--- last lines of $file:"
		tail -n 20 "$file" >&2 2>/dev/null || echo "(no such file)" >&2
		fail "timed out after ${timeout}s waiting for $n line(s) matching /$pat/ in $file" \
		    "(found $(log_count "$pat" "$file"))"
	fi
}

# --- assertions --------------------------------------------------------------------

assert_eq() {	# EXPECTED ACTUAL WHAT
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}
assert_match() {	# ERE STRING WHAT
	[[ $2 =~ $1 ]] || fail "$3: expected to match /$1/, got '$2'"
}
assert_no_match() {	# ERE STRING WHAT
	! [[ $2 =~ $1 ]] || fail "$3: expected NOT to match /$1/, got '$2'"
}
assert_file_has() {	# FILE ERE WHAT
	grep -E -q -a -- "$2" "$1" 2>/dev/null ||
	    fail "$3: expected a line matching /$2/ in $1; it has:$(printf '\n'; head -c 4000 "$1" 2>/dev/null)"
}
assert_file_lacks() {	# FILE ERE WHAT
	if grep -E -q -a -- "$2" "$1" 2>/dev/null; then
		fail "$3: expected no line matching /$2/ in $1; found: $(grep -E -a -m3 -- "$2" "$1")"
	fi
}
assert_count() {	# EXPECTED FILE ERE WHAT
	local n
	n=$(log_count "$3" "$2")
	[ "$n" = "$1" ] || fail "$4: expected $1 line(s) matching /$3/ in $2, found $n:$(printf '\n'; grep -E -a -m5 -- "$3" "$2" 2>/dev/null)"
}

# log_field RECORD KEY: the value of KEY in a key=value log record ("" if absent).
# Values are escaped by the daemon (no spaces, no '='), so splitting on spaces is exact.
log_field() {
	local rec=" $1" key=$2
	if [[ $rec =~ \ $key=([^ ]*) ]]; then
		printf '%s' "${BASH_REMATCH[1]}"
	fi
}
assert_field() {	# RECORD KEY EXPECTED
	local got
	got=$(log_field "$1" "$2")
	[ "$got" = "$3" ] || fail "log field $2: expected '$3', got '$got' in record: $1"
}

# --- the daemon --------------------------------------------------------------------
# mw_hermetic_conf SRC DEST [name=value...]: DEST = SRC plus, for every option SRC
# does not set, the given name=value pairs and then the hermetic defaults below, so
# that a test does not depend on what the machine has: a fixed host name, no
# SpamAssassin rules from /usr/share, no ClamAV database from /var/lib/clamav (a
# one-signature hash database instead: the real engine runs, in milliseconds, and
# finds mail clean), no SPF DNS lookups.  A test of one of these stages sets the option in its conf.
# Options the binary does not know (yet) are left out.
mw_hermetic_conf() {
	local src=$1 dest=$2 kv name known
	local defaults=('hostname=mx.mailwarden.test' 'rules=""'
	    "clamav_database=$MW_TMP/harness.hdb" 'spf_check=no')
	local sig='mailwarden test harness signature, matches no real mail'
	shift 2
	# .hdb line: MD5:size:name of a whole file
	printf '%s:%s:Mailwarden.Harness.Test\n' "$(printf '%s' "$sig" | md5sum | cut -d' ' -f1)" \
	    "${#sig}" >"$MW_TMP/harness.hdb"
	known=$("$MW_BUILDDIR/mailwarden" --list-options 2>/dev/null | awk '{ print $1 }') ||
	    fail "mailwarden --list-options failed"
	{
		cat "$src"
		echo
		echo "# added by tests/lib/common.sh (options the test's conf does not set)"
		for kv in "$@" "${defaults[@]}"; do
			name=${kv%%=*}
			grep -Eq "^[[:space:]]*$name[[:space:]]*=" "$src" && continue
			printf '%s\n' "$known" | grep -qx -- "$name" || continue
			printf '%s = %s\n' "$name" "${kv#*=}"
		done
	} >"$dest"
}

# start_mailwarden CONF [ARGS...]: run $MW_BUILDDIR/mailwarden -f -c <conf> in the
# background.  The conf used is CONF plus, unless CONF sets them: socket = $MW_SOCKET
# (default unix:$MW_TMP/mw.sock), log_file = $MW_TMP/mailwarden.log, tmpdir =
# $MW_TMP/spool.  Waits (bounded) until the socket accepts connections.
# Sets MW_PID, MW_SOCKET, MW_LOG, MW_CONF, MW_STDERR, MW_SPOOL_PARENT.
MW_PID=

start_mailwarden() {
	local src=${1:-/dev/null}
	shift || true
	need "$MW_BUILDDIR/mailwarden"
	[ -z "$MW_PID" ] || fail "start_mailwarden: already running (pid $MW_PID)"
	MW_SOCKET=${MW_SOCKET:-unix:$MW_TMP/mw.sock}
	MW_LOG=${MW_LOG:-$MW_TMP/mailwarden.log}
	MW_SPOOL_PARENT=${MW_SPOOL_PARENT:-$MW_TMP/spool}
	MW_CONF=$MW_TMP/mailwarden.conf
	MW_STDERR=$MW_TMP/mailwarden.stderr
	mkdir -p "$MW_SPOOL_PARENT"
	mw_hermetic_conf "$src" "$MW_CONF" \
	    "socket=$MW_SOCKET" "log_file=$MW_LOG" "tmpdir=$MW_SPOOL_PARENT"
	touch "$MW_LOG"	# kept across a restart: records of earlier messages stay
	case $MW_SOCKET in
	unix:* | local:*) rm -f "${MW_SOCKET#*:}" ;;
	esac
	trace "starting mailwarden -f -c $MW_CONF $*"
	"$MW_BUILDDIR/mailwarden" -f -c "$MW_CONF" "$@" </dev/null >"$MW_TMP/mailwarden.stdout" 2>"$MW_STDERR" &
	MW_PID=$!
	at_exit "mw_kill_leftover $MW_PID"
	if ! py wait-listen "$MW_SOCKET" "${MW_START_TIMEOUT:-20}" "$MW_PID" 2>"$MW_TMP/wait.err"; then
		if mw_not_running "$MW_PID"; then
			local rc=0
			wait "$MW_PID" || rc=$?
			MW_PID=
			fail "mailwarden exited ($rc) during start-up; stderr:$(printf '\n'; cat "$MW_STDERR"; tail -n 20 "$MW_LOG")"
		fi
		fail "mailwarden (pid $MW_PID) does not accept on $MW_SOCKET: $(cat "$MW_TMP/wait.err")"
	fi
	trace "mailwarden pid $MW_PID listens on $MW_SOCKET"
}

# Called on exit for a daemon the test did not stop itself (after a failure).
mw_kill_leftover() {
	local pid=$1
	if mw_not_running "$pid"; then wait "$pid" 2>/dev/null; return 0; fi
	kill -TERM "$pid" 2>/dev/null
	wait_until 10 mw_not_running "$pid" || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
}
# Our own children stay zombies until `wait`: kill -0 succeeds on them, /proc tells.
mw_not_running() {
	local st
	st=$(sed -n 's/^[0-9]* (.*) \([A-Z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 0
	[ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}

# mailwarden_alive: fail unless the daemon is still running.
mailwarden_alive() {
	[ -n "$MW_PID" ] && ! mw_not_running "$MW_PID" ||
	    fail "mailwarden is not running any more; stderr:$(printf '\n'; tail -n 30 "$MW_STDERR")"
}

# sanitizer_clean FILE: fail if FILE holds an ASan/UBSan/LSan report.
sanitizer_clean() {
	if grep -E -q -a 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|Undefined|Leak)' "$1" 2>/dev/null; then
		fail "sanitizer report in $1:$(printf '\n'; head -n 60 "$1")"
	fi
}

# stop_mailwarden: SIGTERM, wait (bounded) for exit status 0, no sanitizer report.
stop_mailwarden() {
	local rc=0 pid=$MW_PID
	[ -n "$pid" ] || fail "stop_mailwarden: not started"
	! mw_not_running "$pid" ||
	    { wait "$pid" || rc=$?; MW_PID=; fail "mailwarden died before SIGTERM (exit $rc); stderr:$(printf '\n'; tail -n 40 "$MW_STDERR")"; }
	kill -TERM "$pid"
	if ! wait_until "${MW_STOP_TIMEOUT:-20}" mw_not_running "$pid"; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		MW_PID=
		fail "mailwarden did not exit within ${MW_STOP_TIMEOUT:-20}s of SIGTERM"
	fi
	wait "$pid" || rc=$?
	MW_PID=
	sanitizer_clean "$MW_STDERR"
	[ "$rc" = 0 ] || fail "mailwarden exited $rc after SIGTERM (expected 0); stderr:$(printf '\n'; tail -n 40 "$MW_STDERR")"
	trace "mailwarden stopped cleanly"
}

# mw_records [FILE]: the per-message log records in $MW_LOG (or FILE), without the
# syslog-style prefix, one per line: "queue_id=... from=...".  MW_RECORD is the ERE
# that finds them (per-recipient lines, "queue_id=... rcpt=...", are not included;
# mw_rcpt_records lists those).
MW_RECORD='queue_id=[^ ]* from='
mw_records() { grep -a -o "$MW_RECORD.*" "${1:-$MW_LOG}" || true; }
mw_rcpt_records() { grep -a -o 'queue_id=[^ ]* rcpt=.*' "${1:-$MW_LOG}" || true; }

# --- per-behaviour script runners ----------------------------------------------------
# assert_records_match EXPECT RECORDS: RECORDS holds one log record per line; it must
# have as many lines as EXPECT has patterns (one ERE per line, # comments), and record
# i must match pattern i.
assert_records_match() {
	local expect=$1 records=$2 n i=0 pat rec
	n=$(grep -c -v -E '^(#|$)' "$expect" || true)
	assert_count "$n" "$records" 'queue_id=' "log records"
	while IFS= read -r pat; do
		case $pat in '#'* | '') continue ;; esac
		i=$((i + 1))
		rec=$(sed -n "${i}p" "$records")
		assert_match "$pat" "$rec" "log record $i"
	done <"$expect"
}

# run_each LABEL SCRIPT NAME...: run `bash SCRIPT --one NAME` for each NAME in its own
# process, bounded by MW_TEST_TIMEOUT (300 s); print one PASS/FAIL line per name (with
# the failing run's output indented) and fail if any failed.
run_each() {
	local label=$1 script=$2 n start failed=0 total
	shift 2
	total=$#
	[ "$total" -gt 0 ] || fail "no $label tests found"
	for n in "$@"; do
		start=$(date +%s)
		if timeout "${MW_TEST_TIMEOUT:-300}" bash "$script" --one "$n" >"$MW_TMP/$n.out" 2>&1; then
			echo "PASS: $label/$n ($(($(date +%s) - start))s)"
		else
			echo "FAIL: $label/$n ($(($(date +%s) - start))s)"
			sed 's/^/    /' "$MW_TMP/$n.out"
			failed=$((failed + 1))
		fi
	done
	[ "$failed" -eq 0 ] || fail "$failed of $total $label test(s) failed"
	echo "all $total $label tests passed"
}
