#!/usr/bin/env bash
# run-package-test.sh - build the Debian package from this tree with
# dpkg-buildpackage, install it with dpkg -i, and check what a postmaster gets:
# the system user, the default configuration passing --lint, man pages, and a
# systemd unit that systemd-analyze accepts.  It changes the machine (installs
# the package), so scripts/test.sh runs it after the suites, not `make check`.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: package: $*"; exit 1; }
for t in dpkg-buildpackage dh systemd-analyze man; do
	command -v "$t" >/dev/null || fail "required tool missing: $t"
done

# A clean copy: dpkg-buildpackage builds in the source tree.
mkdir "$tmp/mailwarden"
(cd "$src" && git ls-files -z 2>/dev/null || find . -path ./build -prune -o -type f -print0) |
	(cd "$src" && xargs -0 cp --parents -t "$tmp/mailwarden")
cd "$tmp/mailwarden"
DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1 ||
	{ tail -40 "$tmp/build.log"; fail "dpkg-buildpackage failed"; }
deb=$(ls "$tmp"/mailwarden_*.deb) || fail "no .deb built"
dpkg -i "$deb" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "dpkg -i failed"; }

getent passwd mailwarden >/dev/null || fail "system user mailwarden not created"
[ -f /etc/mailwarden/mailwarden.conf ] || fail "no default /etc/mailwarden/mailwarden.conf"
/usr/sbin/mailwarden --lint || fail "mailwarden --lint fails on the installed default configuration"
/usr/sbin/mailwarden -V | grep -q '^mailwarden ' || fail "mailwarden -V"
man -w mailwarden >/dev/null 2>&1 || fail "man page mailwarden(8) not installed"
man -w mailwarden.conf >/dev/null 2>&1 || fail "man page mailwarden.conf(5) not installed"
unit=$(dpkg -L mailwarden | grep '/mailwarden.service$' | head -1)
[ -n "$unit" ] || fail "no systemd unit in the package"
systemd-analyze verify "$unit" || fail "systemd-analyze verify $unit"
echo "PASS: package builds, installs, lints its default configuration; unit verified"
