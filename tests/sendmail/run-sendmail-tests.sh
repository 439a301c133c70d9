#!/usr/bin/env bash
# run-sendmail-tests.sh - end to end with a real Sendmail (Debian's sendmail-bin,
# unpacked into a private prefix by scripts/fetch-sendmail.sh) whose test-generated
# .cf has INPUT_MAIL_FILTER pointing at mailwarden.  Sendmail runs as a foreground
# daemon (-bD) on a loopback port, in its own UTS namespace so that its host name is
# fully qualified (an unqualified one makes Sendmail sleep a minute at start), and
# queues without delivering (-odq): the queue file shows exactly the headers that
# would be delivered.
#
# Cases: a clean message (forged result header removed, record with Sendmail's queue
# id), GTUBE for an opted-in customer (550 5.7.1), the test virus (550 5.7.1), and
# mailwarden down (F=T: 4xx), and a message over STARTTLS (Sendmail's {tls_version},
# {cipher}, {cipher_bits} reach the record; a client certificate and Sendmail's
# {verify} are covered by tests/milter/sendmail-macros.lua).  Sendmail refuses a key
# or certificate below a world-writable directory such as /tmp unless told to trust
# the sticky bit (DontBlameSendmail TrustStickyBit); without it, no STARTTLS.
. "$(dirname "$0")/../lib/common.sh"
need m4 unshare openssl

SM_DIR=$("$MW_SRCDIR/scripts/fetch-sendmail.sh") || fail "cannot unpack Sendmail (scripts/fetch-sendmail.sh)"
SM_ROOT=$SM_DIR/root
SENDMAIL=$SM_ROOT/usr/libexec/sendmail/sendmail
need "$SENDMAIL"

SM_PORT=$(reserve_port 21050 21099)
MW_PORT=$(reserve_port 21050 21099)
MW_SOCKET=inet:$MW_PORT@127.0.0.1
Q=$MW_TMP/mqueue
mkdir -m 0700 -p "$Q"
printf 'hosts files\naliases files\n' >"$MW_TMP/service.switch"

# A certificate for STARTTLS, made for this run.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/C=GB/O=mailwarden test/CN=mx.mailwarden.test" \
	-keyout "$MW_TMP/key.pem" -out "$MW_TMP/cert.pem" >/dev/null 2>&1 || fail "openssl req failed"
chmod 0600 "$MW_TMP/key.pem"

cat >"$MW_TMP/test.mc" <<MC
divert(-1)
divert(0)dnl
include(\`$SM_ROOT/usr/share/sendmail/cf/m4/cf.m4')dnl
VERSIONID(\`mailwarden sendmail end-to-end test')dnl
OSTYPE(\`linux')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confDOMAIN_NAME', \`mx.mailwarden.test')dnl
define(\`confSERVICE_SWITCH_FILE', \`$MW_TMP/service.switch')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
define(\`QUEUE_DIR', \`$Q')dnl
define(\`STATUS_FILE', \`$MW_TMP/statistics')dnl
define(\`ALIAS_FILE', \`')dnl
define(\`confHELP_FILE', \`')dnl
define(\`confPID_FILE', \`$MW_TMP/sendmail.pid')dnl
define(\`confDELIVERY_MODE', \`queue')dnl
define(\`confLOG_LEVEL', \`9')dnl
define(\`confCACERT_PATH', \`$MW_TMP')dnl
define(\`confCACERT', \`$MW_TMP/cert.pem')dnl
define(\`confSERVER_CERT', \`$MW_TMP/cert.pem')dnl
define(\`confSERVER_KEY', \`$MW_TMP/key.pem')dnl
define(\`confDONT_BLAME_SENDMAIL', \`GroupReadableKeyFile,TrustStickyBit')dnl
define(\`confMILTER_MACROS_HELO', confMILTER_MACROS_HELO\`, {verify}')dnl
INPUT_MAIL_FILTER(\`mailwarden', \`S=inet:$MW_PORT@127.0.0.1, F=T, T=C:10s;S:30s;R:30s;E:2m')dnl
MAILER(\`local')dnl
MAILER(\`smtp')dnl
MC
m4 "$MW_TMP/test.mc" >"$MW_TMP/test.cf" 2>"$MW_TMP/m4.err" || fail "m4 failed: $(cat "$MW_TMP/m4.err")"

SM_PID=
start_sendmail() {
	unshare -u sh -c 'hostname mx.mailwarden.test && exec "$@"' sh \
		"$SENDMAIL" -C "$MW_TMP/test.cf" -bD -odq \
		-O "DaemonPortOptions=Port=$SM_PORT,Addr=127.0.0.1" \
		</dev/null >"$MW_TMP/sendmail.out" 2>&1 &
	SM_PID=$!
	at_exit "kill $SM_PID 2>/dev/null; wait $SM_PID 2>/dev/null"
	wait_until 30 py wait-listen "inet:$SM_PORT@127.0.0.1" 1 ||
		fail "Sendmail does not listen on $SM_PORT: $(cat "$MW_TMP/sendmail.out")"
}

# send NAME FROM RCPT FILE [smtp_send.py options]: replies into $MW_TMP/NAME.replies
send() {
	local name=$1
	shift
	"$PYTHON3" "$MW_SRCDIR/tests/sendmail/smtp_send.py" "$SM_PORT" "$@" \
		>"$MW_TMP/$name.replies" 2>&1 || fail "$name: SMTP client failed: $(cat "$MW_TMP/$name.replies")"
}

# queued_headers QUEUE-ID: the header block Sendmail would deliver, from its qf file.
queued_headers() {
	local qf=$Q/qf$1
	[ -f "$qf" ] || fail "no queue file for $1 (queue: $(ls "$Q"))"
	# Header lines are 'H[?flags?]Name: value', continuation lines start with a tab.
	awk '/^H/ { sub(/^H(\?[^?]*\?)?/, ""); inh = 1; print; next }
	     /^[ \t]/ && inh { print; next } { inh = 0 }' "$qf"
}

queue_id_of() {	# NAME: the queue id Sendmail gave in its DATA reply
	sed -n 's/^data 250 [0-9.]* *\([A-Za-z0-9]*\) Message accepted.*/\1/p' "$MW_TMP/$1.replies"
}

# --- a signature database for the test virus, made from Debian's clamav-testfiles ---
TESTFILES=/usr/share/clamav-testfiles
[ -f "$TESTFILES/clam.exe" ] || fail "missing $TESTFILES/clam.exe: install clamav-testfiles"
"$PYTHON3" - "$TESTFILES/clam.exe" >"$MW_TMP/test.hdb" <<'PY'
import hashlib, os, sys
p = sys.argv[1]
print("%s:%d:Mailwarden.Test.ClamExe" % (hashlib.md5(open(p, "rb").read()).hexdigest(), os.path.getsize(p)))
PY

cat >"$MW_TMP/customers.conf" <<'CUST'
*                  spam=off virus=off
customer.test      spam=on virus=on spam_action=reject virus_action=reject
CUST

cat >"$MW_TMP/base.conf" <<CONF
customers = $MW_TMP/customers.conf
clamav_database = $MW_TMP/test.hdb
rules = /usr/share/spamassassin
CONF
start_mailwarden "$MW_TMP/base.conf"
start_sendmail

# 1. A clean message; a forged verdict header is removed before delivery.
printf 'From: a@example.org\r\nTo: user@customer.test\r\nSubject: hello\r\nX-Spam-Flag: YES\r\n\r\nJust a note.\r\n' >"$MW_TMP/clean.eml"
send clean "<a@example.org>" "<user@customer.test>" "$MW_TMP/clean.eml"
assert_file_has "$MW_TMP/clean.replies" '^data 250 ' "clean message accepted"
qid=$(queue_id_of clean)
[ -n "$qid" ] || fail "no queue id in: $(cat "$MW_TMP/clean.replies")"
queued_headers "$qid" >"$MW_TMP/clean.headers"
assert_file_lacks "$MW_TMP/clean.headers" '^X-Spam-Flag:' "forged X-Spam-Flag removed"
assert_file_has "$MW_TMP/clean.headers" '^X-Virus-Status: Clean' "X-Virus-Status added"
wait_for_log "queue_id=$qid .*action=accept" 10
rec=$(mw_records | grep "queue_id=$qid ")
assert_field "$rec" client 127.0.0.1
assert_field "$rec" tls none

# 1b. The same over STARTTLS: this hop's TLS from Sendmail's macros in the record.
send tls "<a@example.org>" "<user@customer.test>" "$MW_TMP/clean.eml" --starttls
assert_file_has "$MW_TMP/tls.replies" '^starttls 220 ' "Sendmail offers STARTTLS"
assert_file_has "$MW_TMP/tls.replies" '^data 250 ' "message over TLS accepted"
qid=$(queue_id_of tls)
[ -n "$qid" ] || fail "no queue id in: $(cat "$MW_TMP/tls.replies")"
wait_for_log "queue_id=$qid .*action=accept" 10
rec=$(mw_records | grep "queue_id=$qid ")
assert_match ' tls=TLSv1\.[23] cipher=[A-Z0-9_-]+ bits=(128|256) tls_cert=none ' "$rec" \
    "the record of a message over STARTTLS"

# 2. GTUBE for an opted-in customer: rejected with 550 5.7.1, nothing queued.
printf 'From: a@example.org\r\nTo: user@customer.test\r\nSubject: test\r\n\r\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\r\n' >"$MW_TMP/gtube.eml"
send gtube "<a@example.org>" "<user@customer.test>" "$MW_TMP/gtube.eml"
assert_file_has "$MW_TMP/gtube.replies" '^data 550 5\.7\.1' "GTUBE rejected with 550 5.7.1"
wait_for_log 'action=reject .*decided_by=spam' 10

# 3. The test virus as a base64 attachment: rejected with 550 5.7.1 naming it.
"$PYTHON3" - "$TESTFILES/clam.exe" >"$MW_TMP/virus.eml" <<'PY'
import sys
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "a@example.org"
m["To"] = "user@customer.test"
m["Subject"] = "invoice"
m.set_content("see attachment")
m.add_attachment(open(sys.argv[1], "rb").read(), maintype="application",
                 subtype="octet-stream", filename="invoice.exe")
sys.stdout.write(m.as_string().replace("\n", "\r\n"))
PY
send virus "<a@example.org>" "<user@customer.test>" "$MW_TMP/virus.eml"
assert_file_has "$MW_TMP/virus.replies" '^data 550 5\.7\.1' "virus rejected with 550 5.7.1"
wait_for_log 'virus=infected:Mailwarden\.Test\.ClamExe' 10

# 4. mailwarden down: with F=T Sendmail tempfails, so nothing is lost or passed unfiltered.
stop_mailwarden
send down "<a@example.org>" "<user@customer.test>" "$MW_TMP/clean.eml"
assert_file_has "$MW_TMP/down.replies" '^(mail|rcpt|data) 4[0-9][0-9] ' "tempfail while mailwarden is down"

kill "$SM_PID" 2>/dev/null
echo "PASS: sendmail end-to-end (clean, STARTTLS, GTUBE, virus, filter down)"
