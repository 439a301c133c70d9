#!/bin/bash
# run-tls-postfix.sh - end to end (issue 9): a private Postfix on loopback offers
# STARTTLS with a certificate this test makes (openssl: a CA, a server certificate for
# 127.0.0.1, a client certificate).  For each tls_warn level (a customer per level)
# one message arrives with TLS and one in clear text; to the "log" customer a third
# one presents a client certificate Postfix verifies, a fourth one a certificate from
# a CA Postfix does not know.  Each message
# carries a made-up earlier clear-text hop and a forged X-Mailwarden-TLS header.
# Asserted: mailwarden's log fields (tls=, cipher=, bits=, tls_cert=,
# earlier_cleartext_hops=, first_cleartext_hop=...), the X-Mailwarden-TLS header and
# the Subject of each delivered message.  Needs root.  Ports 21600-21699.
. "${MW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"
. "$MW_SRCDIR/tests/lib/postfix.sh"
MW_TESTNAME=tls/postfix

need "$MW_BUILDDIR/mailwarden" "$POSTFIX" openssl
T="$PYTHON3 $MW_SRCDIR/tests/tls/tlstest.py"

reserve_port PF_PORT 21600 21699
reserve_port milter_port 21600 21699

# --- certificates ------------------------------------------------------------------
C=$MW_TMP/certs
mkdir -p "$C"
ossl() { openssl "$@" >>"$C/openssl.log" 2>&1 || fail "openssl $1 failed: $(tail -n 5 "$C/openssl.log")"; }
ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mailwarden test CA" \
    -keyout "$C/ca.key" -out "$C/ca.pem" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign
mkcert() {	# NAME SUBJECT EXTENSIONS
	ossl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$C/$1.key" -out "$C/$1.csr"
	printf '%s\n' "$3" >"$C/$1.ext"
	ossl x509 -req -in "$C/$1.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" -CAcreateserial \
	    -days 2 -extfile "$C/$1.ext" -out "$C/$1.pem"
}
mkcert server "/CN=mx.mailwarden.test" \
    "subjectAltName=DNS:mx.mailwarden.test,IP:127.0.0.1
extendedKeyUsage=serverAuth"
mkcert client "/CN=client.sender.example" \
    "subjectAltName=DNS:client.sender.example
extendedKeyUsage=clientAuth"
# A client certificate from a CA Postfix does not trust: presented, not verified.
ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=stranger CA" \
    -keyout "$C/ca2.key" -out "$C/ca2.pem" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign
ossl req -newkey rsa:2048 -nodes -subj "/CN=stranger.sender.example" \
    -keyout "$C/stranger.key" -out "$C/stranger.csr"
printf 'extendedKeyUsage=clientAuth\n' >"$C/stranger.ext"
ossl x509 -req -in "$C/stranger.csr" -CA "$C/ca2.pem" -CAkey "$C/ca2.key" -CAcreateserial \
    -days 2 -extfile "$C/stranger.ext" -out "$C/stranger.pem"
chmod 0600 "$C"/*.key

# --- mailwarden: one customer per tls_warn level ----------------------------------------
# log.test has spam scoring on (never reaching its threshold): the customers module
# treats tls_warn=log alone as "not filtered" (opted out), and an opted-out message is
# not parsed at all, so it would get no tls= fields (see doc/FORMATS.md, TLS audit).
cat >"$MW_TMP/customers.conf" <<'EOC'
off.test      spam=off virus=off tls_warn=off
log.test      spam=on spam_threshold=1000 virus=off tls_warn=log
header.test   spam=off virus=off tls_warn=header
subject.test  spam=off virus=off tls_warn=subject
EOC
cat >"$MW_TMP/mw.conf" <<EOC
customers = $MW_TMP/customers.conf
spf_check = no
tls_subject_tag = "[CLEAR TEXT]"
EOC
chmod 0644 "$MW_TMP/customers.conf"
MW_SOCKET=inet:$milter_port@127.0.0.1
start_mailwarden "$MW_TMP/mw.conf"

# --- Postfix with STARTTLS ---------------------------------------------------------
PF_DOMAINS="off.test log.test header.test subject.test"
PF_MAILBOXES="u@off.test u@log.test u@header.test u@subject.test"
PF_MILTER=inet:127.0.0.1:$milter_port
PF_EXTRA_MAIN="smtpd_tls_security_level = may
smtpd_tls_chain_files = $C/server.key, $C/server.pem
smtpd_tls_CAfile = $C/ca.pem
smtpd_tls_ask_ccert = yes
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1"
start_postfix
# smtpd needs tlsmgr for TLS (session cache, entropy); the harness does not run it.
printf 'tlsmgr    unix  - - n 1000? 1 tlsmgr\n' >>"$PF_DIR/master.cf"
timeout 60 "$POSTFIX" -c "$PF_DIR" reload >"$MW_TMP/reload.out" 2>&1 ||
    fail "postfix reload: $(cat "$MW_TMP/reload.out")"
sleep 1		# master restarts its children with the new master.cf
py wait-listen "inet:$PF_PORT@127.0.0.1" 30 || fail "smtpd does not listen after reload"

# --- the messages --------------------------------------------------------------------
# send DOMAIN MODE (clear|tls|tls-cert): prints the queue id.
send() {
	local dom=$1 mode=$2 f=$MW_TMP/$1-$2.eml out dot qid
	local -a tls=()
	cat >"$f" <<EOM
Received: from pc.sender.example (pc.sender.example [198.51.100.5])
	by relay.sender.example (Postfix) with ESMTP id 4AbC; Sat, 28 Nov 2026 11:59:00 +0000
X-Mailwarden-TLS: TLSv1.3; forged by the sender
From: Sender <sender@sender.example>
To: <u@$dom>
Subject: tls test $dom $mode
Date: Sat, 28 Nov 2026 12:00:00 +0000
Message-ID: <tls-$dom-$mode@sender.example>

hello
EOM
	case $mode in
	tls) tls=(--starttls --cafile "$C/ca.pem") ;;
	tls-cert) tls=(--starttls --cafile "$C/ca.pem" --cert "$C/client.pem" --key "$C/client.key") ;;
	tls-badcert) tls=(--starttls --cafile "$C/ca.pem" --cert "$C/stranger.pem" --key "$C/stranger.key") ;;
	esac
	out=$(timeout 60 $T send 127.0.0.1 "$PF_PORT" "$f" --from sender@sender.example \
	    --rcpt "u@$dom" "${tls[@]}" 2>&1) || fail "sending $dom $mode: $out"
	dot=$(printf '%s\n' "$out" | sed -n 's/^dot //p')
	assert_match '^250 ' "$dot" "$dom $mode: end of data (client said: $out)"
	qid=$(queue_id_from_reply "$dot")
	[ -n "$qid" ] || fail "no queue id in '$dot'"
	printf '%s\n' "$out" | sed -n 's/^tls //p' >"$MW_TMP/$dom-$mode.client-tls"
	echo "$qid"
}

declare -A QID
for dom in off log header subject; do
	for mode in clear tls; do
		QID[$dom-$mode]=$(send "$dom.test" "$mode")
	done
done
QID[log-tls-cert]=$(send log.test tls-cert)
QID[log-tls-badcert]=$(send log.test tls-badcert)

for k in "${!QID[@]}"; do
	wait_delivered "${QID[$k]}" 60
done
wait_for_log 'queue_id=.* action=' 15 "$MW_LOG" 10
mw_records | grep -E ' action=' >"$MW_TMP/records" || true

# record KEY: mailwarden's record for that message; file KEY: the delivered message.
record() {
	local r
	r=$(grep -E "^queue_id=${QID[$1]} " "$MW_TMP/records" || true)
	[ -n "$r" ] || fail "no mailwarden record for $1 (queue id ${QID[$1]}):$(printf '\n'; cat "$MW_TMP/records")"
	printf '%s' "$r"
}
# The header fields of each delivered message, read once (hdr NAME KEY looks them up).
for k in "${!QID[@]}"; do
	f=$(delivered_file "u@${k%%-*}.test" "Message-ID: <tls-${k%%-*}.test-${k#*-}@sender.example>")
	$T headers "$f" Subject X-Mailwarden-TLS Received >"$MW_TMP/$k.hdrs" ||
	    fail "cannot read the header of $f"
done
hdr() { sed -n "s/^$1: //p" "$MW_TMP/$2.hdrs"; }

# The cipher and bits the client negotiated, as mailwarden must report them.
client_tls() { cat "$MW_TMP/$1.test-$2.client-tls"; }
EARLIER="1 earlier transfer was unencrypted, nearest from pc.sender.example to relay.sender.example (as claimed by other servers' Received headers)"

check_tls_record() {	# KEY CERT
	local r v c b
	r=$(record "$1")
	read -r v c b <<<"$(client_tls "${1%%-*}" "${1#*-}")"
	[ -n "$c" ] || fail "$1: the client did not report a TLS session"
	assert_field "$r" tls "$v"
	assert_field "$r" cipher "$c"
	assert_field "$r" bits "$b"
	assert_field "$r" tls_cert "$2"
	assert_field "$r" earlier_cleartext_hops 1
	assert_field "$r" earlier_claimed_hops 1
	assert_field "$r" first_cleartext_hop pc.sender.example
	assert_field "$r" first_cleartext_hop_trust claimed
}
check_clear_record() {	# KEY
	local r
	r=$(record "$1")
	assert_field "$r" tls none
	assert_field "$r" cipher ""
	assert_field "$r" earlier_cleartext_hops 1
	assert_field "$r" first_cleartext_hop pc.sender.example
	assert_field "$r" first_cleartext_hop_trust claimed
}

# off: the customer opted out of everything: not scanned, not touched.
for k in off-clear off-tls; do
	r=$(record $k)
	assert_field "$r" skipped opted_out
	assert_field "$r" tls ""
	assert_eq "TLSv1.3; forged by the sender" "$(hdr X-Mailwarden-TLS $k)" "$k: header untouched"
	assert_eq "tls test off.test ${k#*-}" "$(hdr Subject $k)" "$k: Subject untouched"
done

# log: the record only; the forged header is removed, none added.
check_clear_record log-clear
check_tls_record log-tls none
check_tls_record log-tls-cert verified
# Postfix sends {cert_subject} only for a certificate it verified: a stranger's
# certificate looks like none at all (doc/FORMATS.md, tls_cert).
check_tls_record log-tls-badcert none
for k in log-clear log-tls log-tls-cert log-tls-badcert; do
	assert_eq "" "$(hdr X-Mailwarden-TLS $k)" "$k: no X-Mailwarden-TLS"
	assert_eq "tls test log.test ${k#*-}" "$(hdr Subject $k)" "$k: Subject unchanged"
	assert_field "$(record $k)" action accept
done

# header: exactly one X-Mailwarden-TLS, ours.
check_clear_record header-clear
check_tls_record header-tls none
assert_eq "none; this message reached our server unencrypted; $EARLIER" \
    "$(hdr X-Mailwarden-TLS header-clear)" "header-clear: X-Mailwarden-TLS"
read -r v c b <<<"$(client_tls header tls)"
assert_eq "$v cipher=$c bits=$b; this message reached our server encrypted; $EARLIER" \
    "$(hdr X-Mailwarden-TLS header-tls)" "header-tls: X-Mailwarden-TLS"
assert_eq "tls test header.test clear" "$(hdr Subject header-clear)" "header-clear: Subject"

# subject: the clear-text message is tagged, the TLS one is not.
check_clear_record subject-clear
check_tls_record subject-tls none
assert_eq "[CLEAR TEXT] tls test subject.test clear" "$(hdr Subject subject-clear)" \
    "subject-clear: Subject"
assert_eq "tls test subject.test tls" "$(hdr Subject subject-tls)" "subject-tls: Subject"
assert_eq "none; this message reached our server unencrypted; $EARLIER" \
    "$(hdr X-Mailwarden-TLS subject-clear)" "subject-clear: X-Mailwarden-TLS"
assert_field "$(record subject-clear)" action tag
assert_field "$(record subject-clear)" decided_by tls
assert_field "$(record subject-tls)" action accept

# Postfix itself saw the same: TLS for the tls messages, its Received says so.
assert_match 'using TLSv1\.[23] with cipher' "$(hdr Received log-tls)" "log-tls: Postfix Received"
assert_no_match 'using TLS' "$(hdr Received log-clear)" "log-clear: Postfix Received"

wait_until 30 queue_is_empty || fail "queue not empty: $(queue_files)"
stop_mailwarden
stop_postfix
echo "PASS: tls/postfix: 10 messages, tls_warn off/log/header/subject, with and without TLS, client certificates verified and not"
