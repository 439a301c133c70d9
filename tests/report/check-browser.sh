#!/bin/bash
# check-browser.sh - `make check-browser` (outside make check): render the HTML report
# of a generated day of mail in headless Chromium and save a screenshot for a person
# to look at: $MW_BUILDDIR/tests/report/report.png (and report.html next to it).
. "$(dirname "$0")/../lib/common.sh"

R=$MW_BUILDDIR/mailwarden-report
CHECK=$MW_SRCDIR/tests/report/reportcheck.py
CHROMIUM=${CHROMIUM:-chromium}
need "$R" "$PYTHON3" "$CHROMIUM" timeout
OUT=$MW_BUILDDIR/tests/report
mkdir -p "$OUT"

"$PYTHON3" "$CHECK" gen 100000 > "$MW_TMP/day.log" || fail "generating the log"
cat "$MW_SRCDIR/tests/report/data/edge.syslog" >> "$MW_TMP/day.log"
"$R" --year 2026 --top 15 --html "$OUT/report.html" "$MW_TMP/day.log" > "$OUT/report.txt" ||
    fail "mailwarden-report: exit $?"
profile=$(mktemp -d "$MW_TMP/chromium.XXXXXX")
rm -f "$OUT/report.png"
timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size=1280,${MW_SHOT_HEIGHT:-4200} \
    --screenshot="$OUT/report.png" "file://$OUT/report.html" > "$MW_TMP/chromium.log" 2>&1 ||
    fail "chromium failed (exit $?): $(tail -n 5 "$MW_TMP/chromium.log")"
[ -s "$OUT/report.png" ] || fail "no screenshot written"
magic=$(head -c 8 "$OUT/report.png" | od -An -tx1 | tr -d ' \n')
assert_eq 89504e470d0a1a0a "$magic" "PNG signature of the screenshot"
size=$(stat -c %s "$OUT/report.png")
[ "$size" -gt 20000 ] || fail "screenshot is only $size bytes: probably blank"
note "screenshot: $OUT/report.png ($size bytes); page: $OUT/report.html"
