#!/bin/sh
# check-sample-config - contrib/mailwarden.conf.sample is generated from the option
# table (`mailwarden --sample-config`); fail when it has drifted, and check that the
# sample itself is a valid configuration once uncommented defaults are applied.
set -u
b=${MW_BUILDDIR:-.}
s=${MW_SRCDIR:-$(dirname "$0")/..}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$b/mailwarden" --sample-config >"$tmp/sample" || { echo "FAIL: --sample-config"; exit 1; }
# The default rules path follows the install prefix (pkgdatadir): not compared.
strip_prefix_dependent() { sed 's|^#rules = .*|#rules = (depends on the install prefix)|' "$1"; }
strip_prefix_dependent "$s/contrib/mailwarden.conf.sample" >"$tmp/committed"
strip_prefix_dependent "$tmp/sample" >"$tmp/generated"
if ! diff -u "$tmp/committed" "$tmp/generated" >"$tmp/diff"; then
	echo "FAIL: contrib/mailwarden.conf.sample is out of date; regenerate with"
	echo "      mailwarden --sample-config > contrib/mailwarden.conf.sample"
	head -40 "$tmp/diff"
	exit 1
fi
# Every option uncommented with its default must load (the defaults are valid).
sed -n 's/^#\([a-z_0-9]* = .*\)$/\1/p' "$tmp/sample" >"$tmp/all.conf"
n=$(wc -l <"$tmp/all.conf")
[ "$n" -gt 10 ] || { echo "FAIL: only $n options in the sample"; exit 1; }
"$b/mailwarden" -c "$tmp/all.conf" --lint >"$tmp/lint" 2>&1 ||
	{ echo "FAIL: the sample's defaults do not lint:"; cat "$tmp/lint"; exit 1; }
# The man page lists every option too.
for o in $(sed 's/ =.*//' "$tmp/all.conf"); do
	grep -q "^\.B $o\$" "$b/man/mailwarden.conf.5" ||
		{ echo "FAIL: option $o missing from mailwarden.conf(5)"; exit 1; }
done
echo "PASS: sample configuration and man page match the option table ($n options)"
