#!/bin/bash
# run-av-tests.sh - virus scanning end to end (issue 6), with the real libclamav, a
# real clamd and the real daemon under miltertest.
#
# The signature database is made here from Debian's clamav-testfiles (MD5 of
# clam.exe, which ClamAV finds inside every archive format of that package, plus an
# EICAR body signature).  Every file of the package is sent as a base64 attachment,
# inside a zip and inside a forwarded message/rfc822:
#   1. mailwarden --scan --json, in process, with virus actions reject, hold, discard;
#   2. a sample of the development corpus ham: nothing detected;
#   3. start-up errors: a corrupt or missing database fails --lint (EX_CONFIG);
#   4. clamav_backend = clamd: over a unix socket and over 127.0.0.1 (same results),
#      then with clamd stopped: tempfail 451 4.3.0, or accepted unscanned;
#   5. the daemon through miltertest: infected rejected 550 5.7.1, clean tagged Clean;
#   6. the running daemon reloads a changed database on SIGHUP (new signature used).
. "${MW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"

MW=$MW_BUILDDIR/mailwarden
AVPY=$MW_SRCDIR/tests/av/av_mail.py
CLAMD=$(PATH=$PATH:/usr/sbin:/sbin command -v clamd || echo clamd)
need "$PYTHON3" "$MW" "$MILTERTEST" "$CLAMD"
[ -f /usr/share/clamav-testfiles/clam.exe ] ||
    fail "clamav-testfiles is not installed (scripts/install-deps.sh)"
avpy() { "$PYTHON3" "$AVPY" "$@"; }

avpy mkdb "$MW_TMP/db" || fail "cannot make the signature database"
avpy attachments "$MW_TMP/msgs" >"$MW_TMP/list" || fail "cannot make the test messages"
mapfile -t MSGS <"$MW_TMP/list"
[ "${#MSGS[@]}" -ge 120 ] || fail "only ${#MSGS[@]} test messages"
mkdir -p "$MW_TMP/spool"

# mkconf NAME LINE...: a configuration file with the common lines plus LINEs.
mkconf() {
	local name=$1
	shift
	{
		echo "hostname = mx.test"
		echo "tmpdir = $MW_TMP/spool"
		printf '%s\n' "$@"
	} >"$MW_TMP/$name.conf"
	echo "$MW_TMP/$name.conf"
}

# scan_check CONF MODE ACTION FILE...: --scan --json every FILE, check with av_mail.py.
scan_check() {
	local conf=$1 mode=$2 action=$3 out
	shift 3
	out=$MW_TMP/scan.$RANDOM.jsonl
	"$MW" -c "$conf" --scan --json "$@" >"$out" 2>"$out.err" ||
	    fail "mailwarden --scan exited $? with $conf:$(printf '\n'; tail -5 "$out.err")"
	avpy check "$out" "$mode" "$action" >"$out.check" ||
	    fail "$mode/$action with $conf:$(printf '\n'; cat "$out.check")"
	note "$(tail -1 "$out.check") [$(basename "$conf")]"
}

# 1. in process, each virus action
for action in reject hold discard; do
	c=$(mkconf "local-$action" "clamav_database = $MW_TMP/db" "default_virus_action = $action")
	scan_check "$c" infected "$action" "${MSGS[@]}"
done

# 2. corpus ham: nothing detected
corpus=$("$MW_SRCDIR/scripts/fetch-corpus.sh") || fail "no corpus (scripts/fetch-corpus.sh)"
avpy ham "$corpus/easy-ham-1" "${MW_AV_HAM_SAMPLE:-300}" "$MW_TMP/ham" >"$MW_TMP/hamlist" ||
    fail "cannot sample the corpus"
mapfile -t HAM <"$MW_TMP/hamlist"
scan_check "$MW_TMP/local-reject.conf" clean - "${HAM[@]}"

# 3. start-up errors name the database
mkdir -p "$MW_TMP/baddb"
echo "not a signature line" >"$MW_TMP/baddb/broken.hdb"
for case in "baddb|cannot load database" "missing|No such file or directory"; do
	c=$(mkconf "err" "clamav_database = $MW_TMP/${case%%|*}")
	rc=0
	"$MW" -c "$c" --lint >"$MW_TMP/lint.out" 2>&1 || rc=$?
	assert_eq 78 "$rc" "--lint exit status with clamav_database = ${case%%|*}"
	assert_file_has "$MW_TMP/lint.out" "clamav_database.*${case#*|}" "start-up error text"
done

# 4. a real clamd with the same signatures, on a unix socket and on loopback TCP
port=$(reserve_port 21300 21399)
cat >"$MW_TMP/clamd.conf" <<EOF
LocalSocket $MW_TMP/clamd.sock
TCPSocket $port
TCPAddr 127.0.0.1
Foreground yes
DatabaseDirectory $MW_TMP/db
TemporaryDirectory $MW_TMP/spool
LogFile $MW_TMP/clamd.log
User $(id -un)
AlertExceedsMax yes
StreamMaxLength 60M
SelfCheck 3600
EOF
"$CLAMD" -c "$MW_TMP/clamd.conf" </dev/null >"$MW_TMP/clamd.out" 2>&1 &
clamd_pid=$!
at_exit "kill $clamd_pid 2>/dev/null; wait $clamd_pid 2>/dev/null"
wait_until 60 test -S "$MW_TMP/clamd.sock" ||
    fail "clamd did not start:$(printf '\n'; tail -5 "$MW_TMP/clamd.log" "$MW_TMP/clamd.out")"
py wait-listen "inet:$port@127.0.0.1" 30 "$clamd_pid" ||
    fail "clamd does not listen on 127.0.0.1:$port"
c=$(mkconf clamd-unix "clamav_backend = clamd:$MW_TMP/clamd.sock")
scan_check "$c" infected reject "${MSGS[@]}"
c=$(mkconf clamd-tcp "clamav_backend = clamd:127.0.0.1:$port" "default_virus_action = hold")
scan_check "$c" infected hold "${MSGS[@]}"
scan_check "$MW_TMP/clamd-unix.conf" clean - "${HAM[@]:0:50}"

kill "$clamd_pid"
wait "$clamd_pid" 2>/dev/null || true
scan_check "$MW_TMP/clamd-unix.conf" tempfail - "${HAM[@]:0:3}"
c=$(mkconf clamd-accept "clamav_backend = clamd:$MW_TMP/clamd.sock" "clamav_on_error = accept")
"$MW" -c "$c" --scan --json "${HAM[0]}" >"$MW_TMP/acc.json" 2>/dev/null ||
    fail "--scan with clamd down and on_error = accept"
assert_file_has "$MW_TMP/acc.json" '"action":"accept"' "accepted unscanned"
assert_file_has "$MW_TMP/acc.json" '"accepted_unscanned":true' "JSON says unscanned"
assert_file_has "$MW_TMP/acc.json" '\["X-Virus-Status","Unscanned \(scanner error\)"\]' \
    "header says unscanned"

# 5. the daemon through the milter protocol
start_mailwarden "$(mkconf milter "clamav_database = $MW_TMP/db")"
timeout 120 "$MILTERTEST" -s "$MW_SRCDIR/tests/milter/lib.lua" \
    -D script="$MW_SRCDIR/tests/av/milter-virus.lua" -D sock="$MW_SOCKET" -D pid="$MW_PID" \
    -D tmp="$MW_TMP" -D spool="$MW_SPOOL_PARENT" -D msgdir="$MW_TMP/msgs" \
    -D mwversion="$("$MW" -V)" \
    >"$MW_TMP/miltertest.out" 2>&1 ||
    fail "miltertest:$(printf '\n'; cat "$MW_TMP/miltertest.out")"
wait_for_log 'queue_id=' 10 "$MW_LOG" 3
stop_mailwarden
assert_file_has "$MW_LOG" 'queue_id=AVZIP00001 .*action=reject .*reply=550/5\.7\.1 .*virus=infected:ClamAV-Test-File\.UNOFFICIAL' "zip record"
assert_file_has "$MW_LOG" 'queue_id=AVFWD00001 .*action=reject .*virus=infected:ClamAV-Test-File\.UNOFFICIAL' "forwarded record"
assert_file_has "$MW_LOG" 'queue_id=AVCLEAN001 .*action=accept .*virus=clean' "clean record"

# 6. the running daemon picks up a changed database (SIGHUP) without a restart
mkdir -p "$MW_TMP/db2" "$MW_TMP/newsig"
cp "$MW_TMP/db/test.hdb" "$MW_TMP/db2/"
cp "$MW_TMP/db/eicar.ndb" "$MW_TMP/newsig/"
: >"$MW_LOG"
start_mailwarden "$(mkconf reload "clamav_database = $MW_TMP/db2")"
timeout 120 "$MILTERTEST" -s "$MW_SRCDIR/tests/milter/lib.lua" \
    -D script="$MW_SRCDIR/tests/av/milter-reload.lua" -D sock="$MW_SOCKET" -D pid="$MW_PID" \
    -D tmp="$MW_TMP" -D spool="$MW_SPOOL_PARENT" -D db="$MW_TMP/db2" \
    -D newsig="$MW_TMP/newsig/eicar.ndb" -D log="$MW_LOG" >"$MW_TMP/miltertest.out" 2>&1 ||
    fail "miltertest (reload):$(printf '\n'; cat "$MW_TMP/miltertest.out"; tail -5 "$MW_LOG")"
wait_for_log 'queue_id=AVRELOAD02' 10 "$MW_LOG"
stop_mailwarden
assert_file_has "$MW_LOG" 'queue_id=AVRELOAD01 .*action=accept .*virus=clean' "before the reload"
assert_file_has "$MW_LOG" 'queue_id=AVRELOAD02 .*action=reject .*virus=infected:Mailwarden-Test-Eicar' \
    "after the reload"

echo "PASS: av (in process, corpus ham, start-up errors, clamd unix+tcp, milter, reload)"
