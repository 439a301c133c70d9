#!/bin/bash
# run-spf-scan.sh - the SPF stage through `mailwarden --scan --json` (issue 7): the
# public JSON fields (spf object, headers, removed_headers, reply) for each result,
# on the test zone (spf_test_zone), so no DNS is needed.
. "${MW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/common.sh"

need "$MW_BUILDDIR/mailwarden" "$PYTHON3"
cat >"$MW_TMP/spf.conf" <<CONF
hostname = filter.example.net
rules = ""
clamav_backend = clamd:$MW_TMP/no-clamd.sock
clamav_on_error = accept
spf_check = yes
spf_test_zone = $MW_SRCDIR/tests/spf/zone
default_spf_fail_action = reject
CONF
printf 'Authentication-Results: filter.example.net; spf=pass smtp.mailfrom=x.test\nFrom: a@example.org\nSubject: scan\n\nbody\n' >"$MW_TMP/msg.eml"

# scan IP HELO FROM -> one JSON line in $MW_TMP/out.json
scan() {
	"$MW_BUILDDIR/mailwarden" -c "$MW_TMP/spf.conf" --scan --json --client-ip "$1" \
	    --helo "$2" --from "$3" --rcpt user@example.net "$MW_TMP/msg.eml" \
	    >"$MW_TMP/out.json" 2>"$MW_TMP/err" || fail "mailwarden --scan failed: $(cat "$MW_TMP/err")"
}

# check PYTHON-EXPRESSION over the parsed object j
check() {
	"$PYTHON3" - "$MW_TMP/out.json" "$1" <<'PY' || fail "--scan JSON check failed: $1 ($(cat "$MW_TMP/out.json"))"
import json, sys
j = json.loads(open(sys.argv[1]).readline())
hdr = {n: v for n, v in j["headers"]}
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}

scan 192.0.2.1 helo.test alice@pass.test
check 'j["spf"] == {"status": "done", "result": "pass", "domain": "pass.test", "identity": "mailfrom", "helo_result": "pass", "problem": None}'
check 'hdr["Authentication-Results"] == "filter.example.net; spf=pass smtp.mailfrom=pass.test"'
check 'hdr["Received-SPF"].startswith("pass (filter.example.net: domain of alice@pass.test designates 192.0.2.1 as permitted sender) ")'
check 'j["removed_headers"] == [["Authentication-Results", 1]] and j["action"] == "accept"'

scan 198.51.100.7 mail.example.org bob@exp.test
check 'j["spf"]["result"] == "fail" and j["spf"]["helo_result"] == "none"'
check 'j["action"] == "reject" and j["decided_by"] == "spf"'
check 'j["reply"] == {"code": 550, "xcode": "5.7.23", "text": "SPF check failed: Host 198.51.100.7 may not send mail for exp.test, 100% sure"}'

scan 198.51.100.7 mail.example.org carol@temp.test
check 'j["spf"]["result"] == "temperror" and j["spf"]["problem"] == "DNS lookup failed"'
check 'j["action"] == "accept"'	# spf_temperror_action = none by default
check '"problem=\"DNS lookup failed\"; identity=mailfrom;" in hdr["Received-SPF"]'

scan 198.51.100.7 helo.test ''
check 'j["spf"] == {"status": "done", "result": "fail", "domain": "helo.test", "identity": "helo", "helo_result": "fail", "problem": None}'
check 'hdr["Authentication-Results"] == "filter.example.net; spf=fail smtp.helo=helo.test"'

scan 127.0.0.1 localhost alice@pass.test
check 'j["spf"] == {"status": "skipped", "reason": "trusted-network"}'
check '"Received-SPF" not in hdr and "Authentication-Results" not in hdr'
check 'j["removed_headers"] == [["Authentication-Results", 1]]'

echo "PASS: spf --scan JSON"
