# tests/lib/postfix.sh - a PRIVATE Postfix instance on loopback for end-to-end tests.
# Source after common.sh.  Needs root (Postfix's master runs as root and drops to
# mail_owner = postfix).  The system's own Postfix (/etc/postfix, /var/spool/postfix)
# is neither used nor touched: the instance has its own config_directory,
# queue_directory and data_directory under $MW_TMP, and its own ports.
#
# Set before start_postfix (all optional):
#   PF_MILTER               smtpd_milters value (default: $MW_SOCKET if set, else none)
#   PF_MILTER_DEFAULT_ACTION  milter_default_action (default tempfail)
#   PF_DOMAINS              virtual mailbox domains (default "example.test")
#   PF_MAILBOXES            addresses with their own maildir (default user@example.test);
#                           any other address in PF_DOMAINS goes to the catch-all
#   PF_MIN_BACKOFF PF_MAX_BACKOFF PF_QUEUE_RUN_DELAY   retry timers (default 1s 2s 1s)
#   PF_EXTRA_MAIN           extra main.cf lines (newline separated)
# After start_postfix: PF_PORT (smtpd on 127.0.0.1), PF_DIR (config), PF_QUEUE,
# PF_LOG (Postfix's own log, written by postlogd), PF_MAIL (virtual mailbox base).
#
# Helpers: send_smtp, mailbox_dir, wait_delivered, postfix_queue_ids, pf_qid_for,
# queue_is_empty, stop_postfix (also run automatically on exit).

PF_RUNNING=0

pf_postconf() { postconf -c "$PF_DIR" "$@"; }

start_postfix() {
	need "$POSTFIX" postconf postsuper
	[ "$(id -u)" = 0 ] || fail "the Postfix tests must run as root (Postfix master needs it)"
	getent passwd postfix >/dev/null || fail "user 'postfix' missing: install the postfix package"
	getent group postdrop >/dev/null || fail "group 'postdrop' missing: install the postfix package"

	[ -n "${PF_PORT:-}" ] || reserve_port PF_PORT 21100 21199
	PF_ROOT=$MW_TMP/postfix
	PF_DIR=$PF_ROOT/etc
	PF_QUEUE=$PF_ROOT/queue
	PF_DATA=$PF_ROOT/data
	PF_MAIL=$PF_ROOT/mail
	PF_LOG=$PF_ROOT/maillog
	local daemon_dir meta_dir shlib_dir d vuid vgid a

	# Postfix daemons run as `postfix` (and virtual as `nobody`): they must be able to
	# traverse the path to their directories, so open the private dir for traversal only.
	chmod 0711 "$MW_TMP"
	mkdir -p "$PF_DIR" "$PF_QUEUE" "$PF_DATA" "$PF_MAIL"
	chown postfix "$PF_DATA"
	chmod 0700 "$PF_DATA"
	vuid=$(id -u nobody) vgid=$(id -g nobody)
	chown "$vuid:$vgid" "$PF_MAIL"

	# built-in defaults (postconf only warns when /etc/postfix has no main.cf yet)
	daemon_dir=$(postconf -dh daemon_directory 2>/dev/null)
	meta_dir=$(postconf -dh meta_directory 2>/dev/null)
	shlib_dir=$(postconf -dh shlib_directory 2>/dev/null)
	[ -x "$daemon_dir/master" ] || fail "Postfix master not found in '$daemon_dir' (postconf -d daemon_directory)"
	[ -f "$meta_dir/postfix-files" ] || fail "Postfix's postfix-files not found in '$meta_dir'"
	# dynamicmaps.cf and postfix-files (read by `postfix check`) come from the package;
	# copies, because postfix-script warns about symlinks that leave the directory.
	for d in dynamicmaps.cf dynamicmaps.cf.d postfix-files postfix-files.d; do
		[ -e "$meta_dir/$d" ] && cp -R "$meta_dir/$d" "$PF_DIR/$d"
	done

	: >"$PF_DIR/vmailbox"
	for a in ${PF_MAILBOXES:-user@example.test}; do
		printf '%s %s/\n' "$a" "$a" >>"$PF_DIR/vmailbox"
	done
	for d in ${PF_DOMAINS:-example.test}; do
		printf '@%s catchall@%s/\n' "$d" "$d" >>"$PF_DIR/vmailbox"
	done

	cat >"$PF_DIR/main.cf" <<EOF
# private test instance written by tests/lib/postfix.sh
compatibility_level = 3.6
config_directory = $PF_DIR
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
daemon_directory = $daemon_dir
meta_directory = $PF_DIR
shlib_directory = $shlib_dir
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.mailwarden.test
mydomain = mailwarden.test
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_banner = \$myhostname ESMTP mailwarden-test
biff = no
append_dot_mydomain = no
smtputf8_enable = no
# Nothing may leave the machine: only the virtual domains are delivered.
relayhost =
default_transport = error:5.1.2 test instance delivers to virtual mailboxes only
local_transport = error:5.1.1 no local delivery in the test instance
# No aliases: a fresh machine may not have run newaliases, and nothing is local.
alias_maps =
alias_database =
local_recipient_maps =
virtual_mailbox_domains = ${PF_DOMAINS:-example.test}
virtual_mailbox_base = $PF_MAIL
virtual_mailbox_maps = texthash:$PF_DIR/vmailbox
virtual_uid_maps = static:$vuid
virtual_gid_maps = static:$vgid
virtual_minimum_uid = 1
# Postfix's own log, via postlogd, where the test can read it.
maillog_file = $PF_LOG
maillog_file_prefixes = $PF_ROOT
# Short timers so deferral / retry tests finish quickly.
minimal_backoff_time = ${PF_MIN_BACKOFF:-1s}
maximal_backoff_time = ${PF_MAX_BACKOFF:-2s}
queue_run_delay = ${PF_QUEUE_RUN_DELAY:-1s}
bounce_queue_lifetime = 1h
maximal_queue_lifetime = 1h
# The milter under test.
smtpd_milters = ${PF_MILTER:-${MW_SOCKET:-}}
non_smtpd_milters =
milter_default_action = ${PF_MILTER_DEFAULT_ACTION:-tempfail}
milter_protocol = 6
milter_connect_timeout = 10s
milter_command_timeout = 30s
milter_content_timeout = 60s
smtpd_client_connection_count_limit = 0
smtpd_client_message_rate_limit = 0
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 200
${PF_EXTRA_MAIN:-}
EOF
	# Only the services the tests use; nothing chrooted (the chroot would need copies
	# of /etc files), smtpd bound to the loopback port of this test only.
	cat >"$PF_DIR/master.cf" <<EOF
127.0.0.1:$PF_PORT inet n - n - - smtpd
pickup    fifo  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
virtual   unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF

	# Create the queue directories as the package's postfix-files says, then let
	# `postfix start` skip its slow integrity scan (quick-start): ~1 s instead of ~7 s.
	local path kind owner group mode rest
	while IFS=: read -r path kind owner group mode rest; do
		[ "$kind" = d ] || continue
		case $path in
		'$queue_directory'*) path=$PF_QUEUE${path#'$queue_directory'} ;;
		*) continue ;;
		esac
		owner=${owner/'$mail_owner'/postfix}
		group=${group/'$setgid_group'/postdrop}
		mkdir -p "$path"
		if [ "$group" = - ]; then chown "$owner" "$path"; else chown "$owner:$group" "$path"; fi
		chmod "$mode" "$path"
	done < <(grep -E '^[$]queue_directory[^:]*:d:' "$PF_DIR/postfix-files")
	[ -d "$PF_QUEUE/incoming" ] && [ -d "$PF_QUEUE/public" ] ||
	    fail "could not create the queue directories from $PF_DIR/postfix-files"
	touch "$PF_QUEUE/quick-start"
	at_exit "stop_postfix_quiet"
	if ! timeout 60 "$POSTFIX" -c "$PF_DIR" start >"$PF_ROOT/start.out" 2>&1; then
		fail "postfix start failed:$(printf '\n'; cat "$PF_ROOT/start.out"; cat "$PF_LOG" 2>/dev/null)"
	fi
	PF_RUNNING=1
	if ! py wait-listen "inet:$PF_PORT@127.0.0.1" 30 2>"$PF_ROOT/wait.err"; then
		fail "Postfix smtpd does not listen on 127.0.0.1:$PF_PORT: $(cat "$PF_ROOT/wait.err"; tail -n 20 "$PF_LOG" 2>/dev/null)"
	fi
	trace "private Postfix listens on 127.0.0.1:$PF_PORT (config $PF_DIR)"
}

pf_master_pid() { sed -n 's/^ *\([0-9][0-9]*\).*/\1/p' "$PF_QUEUE/pid/master.pid" 2>/dev/null; }

# stop_postfix: stop the instance; fail if it does not go away in time.
stop_postfix() {
	local pid
	[ "$PF_RUNNING" = 1 ] || return 0
	pid=$(pf_master_pid)
	timeout 60 "$POSTFIX" -c "$PF_DIR" stop >>"$PF_ROOT/stop.out" 2>&1 ||
	    note "postfix stop: $(cat "$PF_ROOT/stop.out")"
	if [ -n "$pid" ] && ! wait_until 30 pf_gone "$pid"; then
		kill -KILL "$pid" 2>/dev/null || true
		PF_RUNNING=0
		fail "Postfix master (pid $pid) did not stop within 30 s"
	fi
	PF_RUNNING=0
}
# On exit after a failure: stop without failing again (bounded), kill as last resort.
stop_postfix_quiet() {
	local pid
	[ "$PF_RUNNING" = 1 ] || return 0
	pid=$(pf_master_pid)
	timeout 30 "$POSTFIX" -c "$PF_DIR" abort >/dev/null 2>&1 || true
	if [ -n "$pid" ] && ! wait_until 15 pf_gone "$pid"; then
		kill -KILL "$pid" 2>/dev/null || true
	fi
	PF_RUNNING=0
}
pf_gone() { ! kill -0 "$1" 2>/dev/null; }

# send_smtp FILE [--from A] [--rcpt A]... [--helo N]: send FILE to the private
# smtpd; prints the SMTP replies, one per line: "<step> <code> <text>".
send_smtp() {
	local f=$1
	shift
	timeout 120 "$PYTHON3" "$MW_LIB/mwtest.py" smtp 127.0.0.1 "$PF_PORT" "$f" "$@"
}

# smtp_reply REPLIES STEP: the "<code> <text>" of STEP ("dot", "rcpt", ...) or "".
smtp_reply() { printf '%s\n' "$1" | sed -n "s/^$2 //p" | tail -n 1; }

# queue_id_from_reply "250 2.0.0 Ok: queued as ABC123": ABC123.
queue_id_from_reply() { printf '%s\n' "$1" | sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p'; }

# mailbox_dir ADDR: the maildir that receives ADDR.
mailbox_dir() {
	local a=$1 line
	line=$(grep -F -m1 -- "$a " "$PF_DIR/vmailbox" || true)
	if [ -n "$line" ]; then
		echo "$PF_MAIL/${line#* }"
	else
		echo "$PF_MAIL/catchall@${a#*@}/"
	fi
}

# wait_delivered QID [TIMEOUT]: wait until Postfix logs status=sent for QID.
wait_delivered() {
	wait_for_log "postfix/virtual\[[0-9]+\]: $1: .*status=sent" "${2:-30}" "$PF_LOG"
}

# delivered_file ADDR NEEDLE: path of the one delivered message for ADDR containing NEEDLE.
delivered_file() { py maildir-find "$(mailbox_dir "$1")" "$2"; }

# queue_is_empty: no message left in any queue of the instance.
queue_files() {
	find "$PF_QUEUE/maildrop" "$PF_QUEUE/incoming" "$PF_QUEUE/active" "$PF_QUEUE/deferred" \
	    "$PF_QUEUE/hold" -type f 2>/dev/null || true
}
queue_is_empty() { [ -z "$(queue_files)" ]; }
