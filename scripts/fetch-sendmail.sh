#!/bin/sh
# fetch-sendmail.sh - unpack Debian's Sendmail (sendmail-bin, sendmail-cf) into a
# private prefix for the Sendmail end-to-end test, and print the prefix.  Sendmail
# cannot be installed beside Postfix as a package; unpacked, it runs from here with a
# test-generated .cf and touches nothing of the system's.
#   usage: scripts/fetch-sendmail.sh [DIR]   (default /var/cache/mailwarden/sendmail)
set -eu
dir=${1:-${MW_SENDMAIL_DIR:-/var/cache/mailwarden/sendmail}}
if [ -x "$dir/root/usr/libexec/sendmail/sendmail" ] && [ -f "$dir/root/usr/share/sendmail/cf/m4/cf.m4" ]; then
	echo "$dir"
	exit 0
fi
mkdir -p "$dir/debs"
cd "$dir/debs"
# apt-get download runs as _apt when it can; let it write here.
chmod 0777 "$dir/debs"
apt-get download -q sendmail-bin sendmail-cf sendmail-base >/dev/null 2>&1 ||
	{ apt-get update -qq && apt-get download -q sendmail-bin sendmail-cf sendmail-base >/dev/null; }
rm -rf "$dir/root"
for f in *.deb; do dpkg -x "$f" "$dir/root"; done
echo "$dir"
