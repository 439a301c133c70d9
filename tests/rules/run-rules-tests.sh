#!/bin/sh
# Our own rule set (rules/): every scoring rule must hit its rules/tests/NAME.spam and
# must not hit rules/tests/NAME.ham; a rule without both files fails.  Also checks the
# rules load without a single warning.
set -u
: "${MW_BUILDDIR:?}" "${MW_SRCDIR:?}"
scan="$MW_BUILDDIR/tests/compat/rules-scan"
rules="$MW_SRCDIR/rules"
tdir="$rules/tests"
[ -x "$scan" ] || { echo "FAIL: $scan not built"; exit 1; }
fail=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

if ! timeout 60 "$scan" -v -t -r "$rules" >"$tmp/table" 2>"$tmp/load"; then
	echo "FAIL: rules did not load"; cat "$tmp/load"; exit 1
fi
if grep -v '^rules-scan: loaded' "$tmp/load" | grep -q .; then
	echo "FAIL: warnings while loading rules/:"; cat "$tmp/load"; fail=1
fi
names=$(awk -F'\t' '$1 !~ /^__/ && $5 != 0 { print $1 }' "$tmp/table")
[ -n "$names" ] || { echo "FAIL: no scoring rules in $rules"; exit 1; }
n=0
for r in $names; do
	n=$((n + 1))
	for kind in spam ham; do
		f="$tdir/$r.$kind"
		if [ ! -f "$f" ]; then
			echo "FAIL: $r has no $f"; fail=1; continue
		fi
		hits=$(timeout 60 "$scan" -r "$rules" "$f" 2>/dev/null | cut -f3)
		case ",$hits," in
		*",$r,"*) hit=yes ;;
		*) hit=no ;;
		esac
		if [ "$kind" = spam ] && [ "$hit" != yes ]; then
			echo "FAIL: $r does not hit $f (hits: ${hits:-none})"; fail=1
		elif [ "$kind" = ham ] && [ "$hit" = yes ]; then
			echo "FAIL: $r hits its ham $f"; fail=1
		else
			echo "ok: $r $kind"
		fi
	done
done
# tflags multiple maxhits=3: four runs of !!! count three times (0.3 each)
score=$(timeout 60 "$scan" -r "$rules" "$tdir/MW_EXCLAIM_RUNS.spam" 2>/dev/null | cut -f2)
case "$score" in
0.900) echo "ok: MW_EXCLAIM_RUNS maxhits" ;;
*) echo "FAIL: MW_EXCLAIM_RUNS scored $score, expected 0.900 (3 x 0.3)"; fail=1 ;;
esac
echo "$n rules checked"
exit $fail
