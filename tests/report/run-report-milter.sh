#!/bin/bash
# run-report-milter.sh - mailwarden-report (issue 10) on the log the real daemon wrote
# while miltertest sent it corpus ham and spam and EICAR/clamav-testfiles viruses, from
# clear-text and TLS clients, to customers with tag, hold and reject policies.  The
# report's numbers are checked against an independent count of the same log and
# against the replies miltertest saw; the daemon's start and stop lines appear as
# lifecycle events; --address finds a recipient's message.
. "${MW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"

R=$MW_BUILDDIR/mailwarden-report
D=$MW_SRCDIR/tests/report
CHECK=$D/reportcheck.py
need "$R" "$MW_BUILDDIR/mailwarden" "$MILTERTEST" "$PYTHON3"
[ -d /usr/share/spamassassin ] || fail "SpamAssassin rules missing (scripts/install-deps.sh)"
[ -f /usr/share/clamav-testfiles/clam.exe ] || fail "clamav-testfiles missing (scripts/install-deps.sh)"

"$PYTHON3" "$MW_SRCDIR/tests/av/av_mail.py" mkdb "$MW_TMP/db" || fail "signature database"
"$PYTHON3" "$MW_SRCDIR/tests/av/av_mail.py" attachments "$MW_TMP/av" > "$MW_TMP/av.list" ||
    fail "virus test messages"
CORPUS=$("$MW_SRCDIR/scripts/fetch-corpus.sh") || fail "no corpus (scripts/fetch-corpus.sh)"
ham=("$CORPUS"/easy-ham-1/*.txt)
spam=("$CORPUS"/spam-1/*.txt)
mapfile -t virus < <(grep -E 'clam\.exe|eicar' "$MW_TMP/av.list" | head -n 3)
[ ${#virus[@]} -ge 1 ] || virus=("$(head -n 1 "$MW_TMP/av.list")")

# QUEUEID|IP|TLS|FROM|RCPTS|FILE
{
	n=0
	for f in "${ham[@]:40:10}"; do
		n=$((n + 1)); printf 'A1%08X|198.51.100.20|1|news@partner.example|bob@example.net|%s\n' "$n" "$f"
	done
	for f in "${ham[@]:50:5}"; do
		n=$((n + 1)); printf 'A1%08X|192.0.2.44|0|list@lists.example|carol@example.net,dave@example.org|%s\n' "$n" "$f"
	done
	for f in "${spam[@]:40:6}"; do
		n=$((n + 1)); printf 'A1%08X|203.0.113.7|0|x@spam.example|erin@shop.example|%s\n' "$n" "$f"
	done
	for f in "${spam[@]:46:6}"; do
		n=$((n + 1)); printf 'A1%08X|203.0.113.8|1|y@bulk.example|frank@other.example|%s\n' "$n" "$f"
	done
	for f in "${ham[@]:55:2}"; do	# mixed policies: the second recipient is deferred
		n=$((n + 1)); printf 'A1%08X|192.0.2.50|1|z@mixed.example|bob@example.net,frank@other.example|%s\n' "$n" "$f"
	done
	for f in "${virus[@]}"; do
		n=$((n + 1)); printf 'A1%08X|203.0.113.66|0|z@virus.example|bob@example.net|%s\n' "$n" "$f"
	done
} > "$MW_TMP/manifest"
total=$(wc -l < "$MW_TMP/manifest")

cat > "$MW_TMP/report.conf" <<CONF
customers = $D/data/customers.conf
rules = /usr/share/spamassassin
clamav_database = $MW_TMP/db
spf_check = no
CONF
start_mailwarden "$MW_TMP/report.conf"
timeout 300 "$MILTERTEST" -s "$MW_SRCDIR/tests/milter/lib.lua" -D script="$D/milter-traffic.lua" \
    -D sock="$MW_SOCKET" -D manifest="$MW_TMP/manifest" -D replies="$MW_TMP/replies" \
    > "$MW_TMP/miltertest.out" 2>&1 || fail "miltertest:$(printf '\n'; cat "$MW_TMP/miltertest.out")"
wait_for_log 'queue_id=A1' 20 "$MW_LOG" "$total"
stop_mailwarden

"$R" --html "$MW_TMP/milter.html" "$MW_LOG" > "$MW_TMP/milter.out" || fail "report: exit $?"
"$PYTHON3" "$CHECK" oracle "$MW_LOG" --text "$MW_TMP/milter.out" >&2 ||
    fail "report and independent count disagree on the daemon's log"
"$PYTHON3" "$CHECK" html "$MW_TMP/milter.html" "$MW_LOG" >&2 || fail "HTML report of the daemon's log"
assert_file_has "$MW_TMP/milter.out" "^  message records +$total\$" "every message has a record"

# the actions the report counts are the replies the client saw
count_reply() { grep -v ' rcpt ' "$MW_TMP/replies" | grep -c " $1\$" || true; }
field() { awk -v a="$1" '/^Messages by action/{p=1;next} p && $1==a {print $2; exit}' "$MW_TMP/milter.out"; }
assert_eq "$(count_reply SMFIR_REPLYCODE)" "$(( $(field reject) + $(field tempfail) ))" \
    "rejected + tempfailed in the report vs. replies with a code"
assert_eq "$(count_reply SMFIR_DISCARD)" "$(field discard)" "discarded"
[ "$(field reject)" -ge 1 ] || fail "no message rejected: the virus or shop.example spam should be"
grep -qE '^  Eicar|ClamAV-Test-File' "$MW_TMP/milter.out" || fail "no virus named in the report"
# the daemon's own lines
grep -q ' customers=example.net,example.org ' "$MW_LOG" ||
    fail "no record lists both customer keys of a two-customer message"
for ev in start stopping shutdown; do
	grep -qE "^  $ev +1\$" "$MW_TMP/milter.out" || fail "lifecycle event $ev not counted once"
done
# what happened to mail for one recipient
"$R" --address Dave@Example.ORG "$MW_LOG" > "$MW_TMP/dave.out" || fail "--address: exit $?"
# The milter writes one recipient record per recipient (mw_output_rcpt_records): dave
# was a recipient of the five lists.example messages.
assert_match '^Mail from or to dave@example.org: 5 records$' "$(head -n 1 "$MW_TMP/dave.out")" \
    "--address finds every message for one recipient (needs the milter's recipient records)"
# a single recipient is named in the message record (to=)
"$R" --address bob@example.net "$MW_LOG" > "$MW_TMP/bob.out" || fail "--address: exit $?"
assert_match '^Mail from or to bob@example.net: 15 records$' "$(head -n 1 "$MW_TMP/bob.out")" \
    "--address finds the single-recipient messages for bob"
note "$(head -n 1 "$MW_TMP/dave.out"); $total messages through the milter"
note "ok"
