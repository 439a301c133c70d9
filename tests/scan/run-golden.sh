#!/bin/bash
# run-golden.sh - `mailwarden --scan` on the fixtures in tests/scan, compared with the
# expected results next to them.
#
#   NAME.eml   a fixture (or generated below: huge-header)
#   NAME.args  optional: extra --scan flags (envelope: --from, --rcpt, --queue-id, ...)
#   NAME.conf  optional: configuration for this fixture instead of golden.conf
#              (both get tests/lib/common.sh's hermetic defaults for what they omit)
#   NAME.json  expected `--scan --json` object: every top-level key listed must be
#              present with exactly that value (*_ms values are not compared); keys
#              not listed (stages added by later issues) are ignored.  golden.conf
#              keeps stages that need outside data off, so these fixtures test the
#              foundation: header parsing, forged-header removal, size, flags.
#   NAME.log   expected log record tokens (key=value), all present, in this order
#
# Every JSON line must parse (python3 -m json.tool).  MW_GOLDEN_UPDATE=1 rewrites the
# expected files from the current output (review the diff before committing!).
. "${MW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"

need "$MW_BUILDDIR/mailwarden" "$PYTHON3"
MW=$MW_BUILDDIR/mailwarden
dir=$MW_SRCDIR/tests/scan
conf=$dir/golden.conf
gen=$MW_TMP/gen
mkdir -p "$gen"

# Generated fixtures (too big to keep in the repository).
{
	printf 'From: Sender <sender@example.net>\nTo: user@example.test\nSubject: huge header\nX-Huge: '
	head -c 1048576 /dev/zero | tr '\0' h
	printf '\n\nBody after a 1 MB header field.\n'
} >"$gen/huge-header.eml"

scan() {	# DIR NAME [--json]: run --scan from DIR so "file" is the bare name
	local d=$1 name=$2 args=() c=$conf
	shift 2
	[ -f "$dir/$name.conf" ] && c=$dir/$name.conf
	# the harness's hermetic defaults (no system rules, ClamAV or DNS) are added
	mw_hermetic_conf "$c" "$MW_TMP/$name.conf"
	c=$MW_TMP/$name.conf
	if [ -f "$dir/$name.args" ]; then
		read -r -a args <"$dir/$name.args"
	fi
	(cd "$d" && timeout 60 "$MW" -c "$c" --scan "$@" "${args[@]}" "$name.eml")
}

# What MW_GOLDEN_UPDATE writes: the foundation's JSON keys and log fields.
GOLDEN_KEYS="file action reply headers removed_headers size flags skipped"
GOLDEN_FIELDS="queue_id|from|rcpts|size|action|reply|client|flags|skipped"

n=0
for f in "$dir"/*.eml "$gen"/*.eml; do
	name=$(basename "$f" .eml)
	d=$(dirname "$f")
	n=$((n + 1))
	MW_TESTNAME="scan/$name"
	scan "$d" "$name" --json >"$MW_TMP/$name.out" 2>"$MW_TMP/$name.err" ||
	    fail "--scan --json exited $?: $(cat "$MW_TMP/$name.err")"
	sanitizer_clean "$MW_TMP/$name.err"
	assert_eq 1 "$(wc -l <"$MW_TMP/$name.out")" "lines of --json output"
	"$PYTHON3" -m json.tool "$MW_TMP/$name.out" >/dev/null ||
	    fail "output is not valid JSON: $(head -c 500 "$MW_TMP/$name.out")"
	scan "$d" "$name" >"$MW_TMP/$name.rec" 2>"$MW_TMP/$name.err" ||
	    fail "--scan exited $?: $(cat "$MW_TMP/$name.err")"
	sanitizer_clean "$MW_TMP/$name.err"
	# one message record (per-recipient lines, if any, are not compared here)
	grep -a "^$MW_RECORD" "$MW_TMP/$name.rec" >"$MW_TMP/$name.rec1" || true
	assert_eq 1 "$(wc -l <"$MW_TMP/$name.rec1")" "message records in --scan output"
	mv "$MW_TMP/$name.rec1" "$MW_TMP/$name.rec"

	if [ "${MW_GOLDEN_UPDATE:-0}" = 1 ]; then
		# Only the foundation's keys: each stage's own fixtures check its keys.
		"$PYTHON3" -c 'import json,sys
o = json.loads(sys.stdin.readline())
keys = sys.argv[1].split()
print(json.dumps({k: o[k] for k in keys if k in o}, indent=1))' "$GOLDEN_KEYS" \
		    <"$MW_TMP/$name.out" >"$dir/$name.json"
		tr ' ' '\n' <"$MW_TMP/$name.rec" | grep -E "^($GOLDEN_FIELDS)=" >"$dir/$name.log"
		note "updated $name.json and $name.log"
		continue
	fi
	[ -f "$dir/$name.json" ] || fail "no expected result $dir/$name.json"
	[ -f "$dir/$name.log" ] || fail "no expected record $dir/$name.log"
	py golden-json "$dir/$name.json" <"$MW_TMP/$name.out" || fail "--json result differs"
	py golden-kv "$dir/$name.log" <"$MW_TMP/$name.rec" || fail "log record differs"
done
MW_TESTNAME=scan

# Several files in one run: one object per file, in order; a missing file is an
# error (exit 66, EX_NOINPUT) that does not stop the others.
rc=0
mw_hermetic_conf "$conf" "$MW_TMP/multi.conf"
(cd "$dir" && "$MW" -c "$MW_TMP/multi.conf" --scan --json plain.eml no-such-file.eml crlf.eml) \
    >"$MW_TMP/multi.out" 2>"$MW_TMP/multi.err" || rc=$?
assert_eq 66 "$rc" "exit status with a missing file"
assert_file_has "$MW_TMP/multi.err" 'no-such-file\.eml' "error names the missing file"
py check-json <"$MW_TMP/multi.out" || fail "multi-file output is not JSON lines"
assert_eq '"plain.eml" "crlf.eml"' \
    "$("$PYTHON3" -c 'import json,sys; print(" ".join(json.dumps(json.loads(l)["file"]) for l in sys.stdin))' <"$MW_TMP/multi.out")" \
    "files in multi-file output"

echo "PASS: $n golden --scan fixtures (JSON and log record), multi-file run"
