-- Sendmail passes TLS facts differently from Postfix: {verify} says whether the
-- client certificate was verified (Postfix has no {verify}), and {cert_subject} /
-- {cert_issuer} are full DNs, not just the CN.  A verified and an unverified
-- client certificate; the first EHLO comes without TLS macros, the second (after
-- STARTTLS) with them, and the state at MAIL FROM is the one that counts.
local function tls_session(qid, verify)
	local conn = mt.connect(sock, 50, 0.1)
	if conn == nil then error("cannot connect to the filter at " .. tostring(sock)) end
	mt.macro(conn, SMFIC_CONNECT, "j", "mx.mailwarden.test", "{daemon_name}", "MTA")
	mw.ok(mt.conninfo(conn, "client.example.net", "192.0.2.10"), "conninfo")
	mw.expect(conn, SMFIR_CONTINUE, "connect")
	-- EHLO before STARTTLS: no TLS macros yet.
	mw.ok(mt.helo(conn, "client.example.net"), "helo")
	mw.expect(conn, SMFIR_CONTINUE, "helo")
	-- EHLO again after STARTTLS, with Sendmail's macros.
	mt.macro(conn, SMFIC_HELO, "{tls_version}", "TLSv1.3", "{cipher}", "TLS_AES_256_GCM_SHA384",
	    "{cipher_bits}", "256",
	    "{cert_subject}", "/C=GB/O=Example Ltd/CN=client.example.net",
	    "{cert_issuer}", "/C=GB/O=Example CA/CN=Example Issuing CA",
	    "{verify}", verify)
	mw.ok(mt.helo(conn, "client.example.net"), "helo after STARTTLS")
	mw.expect(conn, SMFIR_CONTINUE, "helo after STARTTLS")
	mw.message(conn, qid)
	mw.ok(mt.disconnect(conn), "disconnect")
end
tls_session("SMVERIFY01", "OK")
tls_session("SMVERIFY02", "FAIL")
