#!/bin/sh
# The relay analysis (issue 5) against SpamAssassin's own: relays-scan and
# SpamAssassin 4 (tests/compat/sa_relays.pl, Debian's spamassassin package) must build
# the same X-Spam-Relays-* pseudo-headers for the fixtures in tests/rules/relays/ -
# with inferred trust and with trusted/internal/msa_networks configured - and for a
# sample of the development corpus when it is there.  Then the daemon's own path:
# `mailwarden --explain` with the envelope of a client without reverse DNS scores
# SpamAssassin's RDNS_NONE, and does not when the client has a name.
set -u
: "${MW_BUILDDIR:?}" "${MW_SRCDIR:?}"
scan="$MW_BUILDDIR/tests/compat/relays-scan"
fx="$MW_SRCDIR/tests/rules/relays"
sa_rules=/usr/share/spamassassin
corpus=${MW_CORPUS:-/var/cache/mailwarden/corpus}
fail=0
[ -x "$scan" ] || { echo "FAIL: $scan not built"; exit 1; }
perl -MMail::SpamAssassin -e 1 2>/dev/null ||
    { echo "FAIL: SpamAssassin's Perl modules missing: install spamassassin"; exit 1; }
[ -f "$sa_rules/20_head_tests.cf" ] || { echo "FAIL: no rules in $sa_rules"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

compare() {	# compare LABEL LISTFILE [CF]
	label=$1 list=$2 cf=${3:-}
	rules=$sa_rules
	[ -n "$cf" ] && rules="$sa_rules,$cf"
	if ! SA_RELAYS_CF=$cf perl "$MW_SRCDIR/tests/compat/sa_relays.pl" <"$list" \
	    >"$tmp/sa" 2>"$tmp/sa.err"; then
		echo "FAIL: $label: SpamAssassin: $(tail -3 "$tmp/sa.err")"; fail=1; return
	fi
	if ! "$scan" -r "$rules" - <"$list" >"$tmp/mw" 2>"$tmp/mw.err"; then
		echo "FAIL: $label: relays-scan: $(tail -3 "$tmp/mw.err")"; fail=1; return
	fi
	n=$(wc -l <"$list")
	if [ "$(wc -l <"$tmp/sa")" -ne "$n" ]; then
		echo "FAIL: $label: SpamAssassin answered for $(wc -l <"$tmp/sa") of $n"; fail=1
		return
	fi
	if diff "$tmp/sa" "$tmp/mw" >"$tmp/diff"; then
		echo "ok: $label: $n messages, X-Spam-Relays-* equal to SpamAssassin's"
	else
		echo "FAIL: $label: differs from SpamAssassin (< SA, > mailwarden):"
		head -20 "$tmp/diff"; fail=1
	fi
}

ls "$fx"/*.eml >"$tmp/fixtures"
compare "fixtures, inferred trust" "$tmp/fixtures"
compare "fixtures, trust.cf" "$tmp/fixtures" "$fx/trust.cf"
# and the configuration did change the result (192.0.2.25 is internal there)
grep -q 'ip=192.0.2.25 [^]]* intl=1 ' "$tmp/mw" ||
    { echo "FAIL: trust.cf had no effect on the relays"; fail=1; }
if [ -d "$corpus/spam-1" ] && [ -d "$corpus/easy-ham-1" ]; then
	{ ls "$corpus"/spam-1/*.txt | head -n 150; ls "$corpus"/easy-ham-1/*.txt | head -n 150; } \
	    >"$tmp/sample"
	compare "corpus sample" "$tmp/sample"
else
	echo "note: no corpus in $corpus (scripts/fetch-corpus.sh); fixtures only"
fi

# The daemon's path: this hop comes from the MTA's macros (no Received field yet).
mw=$MW_BUILDDIR/mailwarden
printf 'rules = %s\n' "$sa_rules" >"$tmp/mw.conf"
explain() {
	"$mw" -c "$tmp/mw.conf" --explain --from x@example.com --rcpt user@example.org \
	    --client-ip 198.51.100.7 --helo laptop.example.com "$@" "$fx/none.eml" 2>&1
}
out=$(explain --client-name unknown)
case $out in
*" RDNS_NONE "*) echo "ok: --explain: a client without reverse DNS hits RDNS_NONE" ;;
*) echo "FAIL: --explain: no RDNS_NONE for a client without reverse DNS:"; echo "$out"; fail=1 ;;
esac
out=$(explain --client-name dsl-7.example.com)
case $out in
*" RDNS_NONE "*) echo "FAIL: --explain: RDNS_NONE although the client has a name:"; echo "$out"; fail=1 ;;
*" total, required "*) echo "ok: --explain: a named client does not hit RDNS_NONE" ;;
*) echo "FAIL: --explain did not score:"; echo "$out"; fail=1 ;;
esac
exit $fail
