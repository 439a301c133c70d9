#!/bin/bash
# run-postfix-tests.sh - end to end: a private Postfix on loopback with smtpd_milters
# pointing at a started mailwarden; messages sent by SMTP; checks what was delivered
# (headers), what mailwarden logged (one record per message, with Postfix's queue id)
# and what Postfix did when mailwarden was down (milter_default_action = tempfail:
# the client is told to retry, nothing is queued, and the retry after mailwarden is
# back gets through); and that a reject at end of message reaches the SMTP client.
# Needs root.  See tests/README.md to add a scenario.
. "${MW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
. "$MW_SRCDIR/tests/lib/postfix.sh"

need "$MW_BUILDDIR/mailwarden" "$POSTFIX"

reserve_port milter_port 21100 21199
MW_SOCKET=inet:$milter_port@127.0.0.1
PF_MILTER=inet:127.0.0.1:$milter_port
PF_MILTER_DEFAULT_ACTION=tempfail
PF_MAILBOXES="user@example.test other@example.test"
start_mailwarden "$MW_SRCDIR/tests/postfix/mailwarden.conf"
start_postfix

# --- 1. a message through Postfix and mailwarden to two mailboxes -------------------
msg=$MW_TMP/forged.eml
cat >"$msg" <<'EOF'
From: Sender <sender@example.net>
To: user@example.test, other@example.test
Subject: end-to-end test
Date: Sat, 28 Nov 2026 12:00:00 +0000
Message-ID: <e2e-1@example.net>
X-Spam-Status: No, score=-50.0 required=5.0 tests=FORGED
X-Spam-Flag: NO (FORGED)
X-Virus-Status: Clean (FORGED)
X-Unrelated: kept

Hello through Postfix.
.leading dot survives
EOF
replies=$(send_smtp "$msg" --from sender@example.net --rcpt user@example.test \
    --rcpt other@example.test)
dot=$(smtp_reply "$replies" dot)
assert_match '^250 ' "$dot" "reply to end of DATA (all replies: $replies)"
qid=$(queue_id_from_reply "$dot")
[ -n "$qid" ] || fail "no queue id in '$dot'"
note "message 1 queued as $qid"

wait_delivered "$qid"
wait_for_log "postfix/virtual\[[0-9]+\]: $qid: to=<other@example.test>.*status=sent" 30 "$PF_LOG"
for rcpt in user@example.test other@example.test; do
	f=$(delivered_file "$rcpt" "Message-ID: <e2e-1@example.net>")
	hdr=$(sed '/^$/q' "$f")
	assert_match 'Subject: end-to-end test' "$hdr" "delivered header block for $rcpt"
	assert_match 'X-Unrelated: kept' "$hdr" "unrelated X- header for $rcpt"
	# the forged copies are gone; mailwarden's own verdict headers may be there
	assert_no_match 'FORGED' "$hdr" "forged verdict headers must be removed ($rcpt)"
	assert_eq 1 "$(grep -c '^X-Unrelated:' <<<"$hdr")" "X-Unrelated fields ($rcpt)"
	# headers mailwarden adds are well-formed: "Name: value"
	assert_no_match '(^|'$'\n'')X-(Spam|Virus)-[A-Za-z]+:[^ ]' "$hdr" \
	    "added header without a space after the colon ($rcpt)"
	assert_file_has "$f" '^\.leading dot survives' "dot-stuffed body line for $rcpt"
done

# mailwarden logged exactly one record for this queue id, and it agrees with
# Postfix's own lines for the same queue id.
wait_for_log "queue_id=$qid from=" 10
assert_count 1 "$MW_LOG" "queue_id=$qid from=" "mailwarden records for $qid"
rec=$(mw_records | grep "queue_id=$qid ")
assert_field "$rec" from sender@example.net
assert_field "$rec" rcpts 2
assert_field "$rec" action accept
assert_field "$rec" client 127.0.0.1
pf_qmgr=$(grep -a -E "postfix/qmgr\[[0-9]+\]: $qid: from=" "$PF_LOG")
assert_match "from=<sender@example.net>, size=[0-9]+, nrcpt=2 " "$pf_qmgr" "Postfix qmgr line for $qid"
assert_file_has "$PF_LOG" "postfix/cleanup\[[0-9]+\]: $qid: message-id=<e2e-1@example.net>" \
    "Postfix cleanup line for $qid"
assert_file_lacks "$PF_LOG" "$qid: milter-" "Postfix must not report a milter action for $qid"

# --- 2. mailwarden down: Postfix tempfails per milter_default_action; nothing lost ---
stop_mailwarden
msg2=$MW_TMP/while-down.eml
sed 's/e2e-1@example.net/e2e-2@example.net/' "$msg" >"$msg2"
replies=$(send_smtp "$msg2" --from sender@example.net --rcpt user@example.test)
# Postfix 3.7 answers the first command after the failed milter connect with
# "451 4.7.1 Service unavailable - try again later" (421/451 4.x.x is the contract:
# a temporary failure, so the client keeps the message and retries).
refused=$(printf '%s\n' "$replies" | grep -E '^(connect|ehlo|mail|rcpt|data|dot) [45][0-9][0-9] ' | head -n 1 || true)
assert_match '^(connect|ehlo|mail|rcpt|data|dot) (421|451) 4\.[0-9]+\.[0-9]+ ' "$refused" \
    "reply while mailwarden is down (all replies: $replies)"
assert_file_has "$PF_LOG" "warning: connect to Milter service inet:127.0.0.1:$milter_port" \
    "Postfix logs that the milter is unreachable"
assert_no_match 'queued as' "$replies" "nothing may be queued while the filter is down"
queue_is_empty || fail "Postfix queued mail while the milter was down: $(queue_files)"
[ -z "$(grep -l -r -a 'e2e-2@example.net' "$PF_MAIL" 2>/dev/null)" ] ||
    fail "a message was delivered unfiltered while mailwarden was down"

# The client retries once mailwarden is back: delivered, filtered, logged once.
start_mailwarden "$MW_SRCDIR/tests/postfix/mailwarden.conf"
replies=$(send_smtp "$msg2" --from sender@example.net --rcpt user@example.test)
dot=$(smtp_reply "$replies" dot)
assert_match '^250 ' "$dot" "retry after mailwarden is back (all replies: $replies)"
qid2=$(queue_id_from_reply "$dot")
wait_delivered "$qid2"
f=$(delivered_file user@example.test "Message-ID: <e2e-2@example.net>")
assert_no_match 'FORGED' "$(sed '/^$/q' "$f")" "forged headers removed on retry"
wait_for_log "queue_id=$qid2 from=" 10
assert_count 1 "$MW_LOG" "queue_id=$qid2 from=" "mailwarden records for $qid2"

# --- 3. a verdict with a reply at end of message reaches the client ------------------
# Restart with a 1k size limit and oversize_action = reject: the client gets 552 5.3.4,
# Postfix logs milter-reject (with the enhanced code only) for the same queue id
# mailwarden logs, nothing is queued.
stop_mailwarden
printf 'max_message_size = 1k\noversize_action = reject\n' >"$MW_TMP/reject.conf"
start_mailwarden "$MW_TMP/reject.conf"
msg3=$MW_TMP/big.eml
{ sed 's/e2e-1@example.net/e2e-3@example.net/' "$msg"; for i in $(seq 1 40); do printf '%078d\n' "$i"; done; } >"$msg3"
replies=$(send_smtp "$msg3" --from sender@example.net --rcpt user@example.test)
dot=$(smtp_reply "$replies" dot)
assert_match '^552 5\.3\.4 Message too large' "$dot" "reply to an oversize message (all replies: $replies)"
wait_for_log "postfix/cleanup\[[0-9]+\]: [0-9A-F]+: milter-reject: END-OF-MESSAGE .*5\.3\.4 Message too large" 10 "$PF_LOG"
qid3=$(sed -n 's/.*postfix\/cleanup\[[0-9]*\]: \([0-9A-F]*\): milter-reject: END-OF-MESSAGE .*5\.3\.4 Message too large.*/\1/p' "$PF_LOG" | tail -n 1)
wait_for_log "queue_id=$qid3 from=" 10
rec=$(mw_records | grep "queue_id=$qid3 ")
assert_field "$rec" action reject
assert_field "$rec" reply 552/5.3.4
assert_field "$rec" skipped oversize
queue_is_empty || fail "a rejected message stayed in the queue: $(queue_files)"

stop_postfix
stop_mailwarden
assert_count 3 "$MW_LOG" "$MW_RECORD" "mailwarden records in total"
echo "PASS: postfix end-to-end ($qid delivered to 2 mailboxes and logged; tempfail while down; $qid2 after restart; $qid3 rejected 552 5.3.4)"
