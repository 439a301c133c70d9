#!/bin/sh
# check-core-purity - the pure core must never know libmilter.  Only the milter
# shell (milter.c, milter_apply.[ch], daemon.c) may include <libmilter/mfapi.h>.
set -u
src=${MW_SRCDIR:-$(dirname "$0")/..}/src
allowed='milter.c milter_apply.c milter_apply.h daemon.c'
bad=0
for f in $(grep -rlE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<libmilter/' "$src" --include='*.c' --include='*.h'); do
	base=$(basename "$f")
	case " $allowed " in
	*" $base "*) ;;
	*) echo "FAIL: $f includes libmilter (core files must not)"; bad=1 ;;
	esac
done
# The check itself must be able to fail: the shell files really do include it.
grep -q 'libmilter/mfapi.h' "$src/milter.c" || { echo "FAIL: cannot see milter.c's include"; bad=1; }
[ $bad -eq 0 ] && echo "PASS: only the milter shell includes libmilter"
exit $bad
