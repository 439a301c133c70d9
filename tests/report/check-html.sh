#!/bin/bash
# check-html.sh - the HTML report of mailwarden-report (issue 10): well-formed (strict
# XML parse by xmllint, and a tag-balance parse in Python), self-contained (no
# scripts, no external resources), its tables and charts showing the same numbers as
# an independent count, and sender-controlled text escaped.
. "$(dirname "$0")/../lib/common.sh"

R=$MW_BUILDDIR/mailwarden-report
D=$MW_SRCDIR/tests/report/data
CHECK=$MW_SRCDIR/tests/report/reportcheck.py
need "$R" "$PYTHON3" xmllint

# a log made by mailwarden --scan: numbers checked against the independent count
"$R" --year 2026 --html "$MW_TMP/scan.html" "$D/scan.syslog" > /dev/null || fail "report: exit $?"
xmllint --noout "$MW_TMP/scan.html" || fail "scan.html is not well-formed XML"
"$PYTHON3" "$CHECK" html "$MW_TMP/scan.html" "$D/scan.syslog" >&2 || fail "scan.html numbers"

# the edge cases (truncated, damaged, JSON, hashed, events) and a --top limit
"$R" --year 2026 --top 3 --html "$MW_TMP/edge.html" "$D/edge.syslog" > /dev/null || fail "exit $?"
xmllint --noout "$MW_TMP/edge.html" || fail "edge.html is not well-formed XML"
"$PYTHON3" "$CHECK" html --wellformed-only "$MW_TMP/edge.html" "$D/edge.syslog" >&2 ||
    fail "edge.html"
assert_file_has "$MW_TMP/edge.html" '<td>milter-hold</td>' "Postfix correlation in the HTML"
assert_file_has "$MW_TMP/edge.html" 'scanner_error: clamd not responding' "errors in the HTML"

# hostile values: what a sender controls (addresses, client names) must not become markup
cat > "$MW_TMP/hostile.log" <<'LOG'
Nov 28 10:00:00 mx1 mailwarden[1]: queue_id=1A2B3C4D5E from=x@<img src=x onerror=alert(1)> rcpts=1 size=1 action=accept decided_by=scan client=<b>host</b> flags=- customer=<i>c</i>&amp; spam=no score=0.0 required=5.0 rules=<svg/onload=alert(1)>,A&B virus=infected:<script>alert(1)</script> spf=pass spf_domain=x tls=none earlier_cleartext_hops=0 elapsed_ms=1.00
Nov 28 10:00:01 mx1 mailwarden[1]: event=reload_refused reason=</td></tr></table><script>alert(2)</script>
LOG
"$R" --year 2026 --html "$MW_TMP/hostile.html" "$MW_TMP/hostile.log" > /dev/null || fail "exit $?"
xmllint --noout "$MW_TMP/hostile.html" || fail "hostile.html is not well-formed XML"
assert_file_lacks "$MW_TMP/hostile.html" '<(img |script>|svg/|b>host|i>c)' "sender text as markup"
assert_file_has "$MW_TMP/hostile.html" '&lt;script&gt;alert\(1\)&lt;/script&gt;' "escaped virus name"
"$PYTHON3" "$CHECK" html --wellformed-only "$MW_TMP/hostile.html" "$MW_TMP/hostile.log" >&2 ||
    fail "hostile.html"

# an empty input still gives a complete page
: > "$MW_TMP/empty.log"
"$R" --html "$MW_TMP/empty.html" "$MW_TMP/empty.log" > /dev/null || fail "empty: exit $?"
xmllint --noout "$MW_TMP/empty.html" || fail "empty.html is not well-formed XML"
note "ok"
