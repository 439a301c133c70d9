#!/bin/sh
# run-mime-golden.sh - the MIME model's golden test (issue 3).
#
# For each tests/mime/cases/NAME.eml, `mailwarden --dump-parts` must print exactly
# tests/mime/expected/NAME.json (the model: tree, decoded headers, addresses, HTML
# facts, body/rawbody/uri views).  MW_REGEN=1 rewrites the expected files instead
# (review the diff before committing them).  A missing program fails the test.
set -u
: "${MW_BUILDDIR:?MW_BUILDDIR not set (run through make check)}"
: "${MW_SRCDIR:?MW_SRCDIR not set (run through make check)}"
bin="$MW_BUILDDIR/mailwarden"
dir="$MW_SRCDIR/tests/mime"
py=${PYTHON3:-python3}

if [ ! -x "$bin" ]; then
	echo "FAIL: $bin is not built"
	exit 1
fi
command -v "$py" >/dev/null 2>&1 || { echo "FAIL: $py not found"; exit 1; }
command -v timeout >/dev/null 2>&1 || { echo "FAIL: timeout(1) not found"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mw-mime-golden.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

fail=0
n=0
for eml in "$dir"/cases/*.eml; do
	name=$(basename "$eml" .eml)
	n=$((n + 1))
	out="$tmp/$name.json"
	if ! timeout 30 "$bin" --dump-parts "$eml" >"$out" 2>"$tmp/$name.err"; then
		echo "FAIL $name: mailwarden --dump-parts failed:"
		sed 's/^/    /' "$tmp/$name.err"
		fail=1
		continue
	fi
	if ! "$py" -c 'import json, sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$out"; then
		echo "FAIL $name: output is not JSON"
		fail=1
		continue
	fi
	if [ "${MW_REGEN:-0}" = 1 ]; then
		cp "$out" "$dir/expected/$name.json"
		echo "regenerated $name"
		continue
	fi
	if [ ! -f "$dir/expected/$name.json" ]; then
		echo "FAIL $name: no expected/$name.json"
		fail=1
	elif diff -u "$dir/expected/$name.json" "$out"; then
		echo "ok $name"
	else
		echo "FAIL $name: output differs from expected/$name.json (diff above)"
		fail=1
	fi
done
if [ "$n" -eq 0 ]; then
	echo "FAIL: no cases in $dir/cases"
	exit 1
fi
exit $fail
