#!/bin/sh
# install-deps.sh - install every Debian 12 package mailwarden needs to build, run
# and test.  Run as root.  Idempotent.  Each feature keeps its packages in its own
# section so the list says why each one is here.
set -eu

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: run as root (apt-get needs it)" >&2
	exit 1
fi

pkgs=""
add() { pkgs="$pkgs $*"; }

# --- build (issue 2) ---
add build-essential autoconf automake libtool pkg-config make
add libmilter-dev libclamav-dev libpcre2-dev libspf2-dev libssl-dev zlib1g-dev
# --- tests (issue 2): real milter client, real Postfix, cmocka, SMTP client ---
add libcmocka-dev miltertest postfix swaks python3 openssl ca-certificates procps iproute2
# --- corpus download for tests and benchmarks (npm registry) ---
command -v npm >/dev/null 2>&1 || add npm
# --- message model (issue 3) ---
add libgmime-3.0-dev libxml2-dev
# its libFuzzer target (./configure --enable-fuzzing CC=clang; CI runs it for 60 s)
add clang libclang-rt-14-dev
# --- spam rules (issue 4) ---
add spamassassin
# --- virus scanning (issue 6): signatures for tests from the test files; a real
# clamd for the clamav_backend = clamd: test ---
add clamav-testfiles clamav-daemon
# --- SPF (issue 7): a real DNS server on loopback for the resolver tests ---
add dnsmasq-base
# --- customers and policy (issue 8) ---
# --- TLS audit (issue 9) ---
# Its STARTTLS test uses openssl, postfix and python3 from the tests section above; the
# optional libFuzzer target (--enable-fuzzing) needs clang, not installed here.
# --- postmaster's view (issue 10) ---
# xmllint checks the HTML report; chromium renders it for `make check-browser`
add libxml2-utils chromium
# --- Sendmail end-to-end test (issue 11): the unpacked sendmail-bin's libraries, m4 ---
add m4 libwrap0 liblockfile1 libdb5.3 libldap-2.5-0 libnsl2 libsasl2-2 libssl3 util-linux
# --- Debian package and systemd unit checks (issue 11) ---
add debhelper dh-autoreconf dpkg-dev systemd man-db git

export DEBIAN_FRONTEND=noninteractive
# Postfix asks a debconf question on install; answer it so nothing waits for input.
if ! dpkg -s postfix >/dev/null 2>&1; then
	echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
	echo "postfix postfix/mailname string $(hostname -f 2>/dev/null || hostname)" |
	    debconf-set-selections
fi
missing=""
for p in $pkgs; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi
# Sendmail is unpacked into a private prefix, never installed (it conflicts with Postfix).
"$(dirname "$0")/fetch-sendmail.sh" >/dev/null
echo "install-deps: all packages present"
