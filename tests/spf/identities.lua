-- Null MAIL FROM: the HELO name is the identity (smtp.helo=).  An authenticated
-- client ({auth_authen}) and a loopback client (spf_trusted_networks) are not
-- checked: no SPF headers, and the log says why.
local conn = mt.connect(sock, 50, 0.1)
mw.check(conn ~= nil, "connect to the filter")
mt.macro(conn, SMFIC_CONNECT, "j", "mx.mailwarden.test")
mw.ok(mt.conninfo(conn, "out.helo.test", "2001:db8:1::25"), "conninfo")
mw.expect(conn, SMFIR_CONTINUE, "connect")
mw.ok(mt.helo(conn, "helo.test"), "helo")
mw.expect(conn, SMFIR_CONTINUE, "helo")
mw.message(conn, "SPFNULL001", { from = "<>" })
mw.check(mt.eom_check(conn, MT_HDRINSERT, "Received-SPF",
    " pass (mx.mailwarden.test: domain of helo.test designates 2001:db8:1::25 as " ..
    "permitted sender) receiver=mx.mailwarden.test; client-ip=2001:db8:1::25; " ..
    "envelope-from=\"\"; helo=helo.test; identity=helo;"), "Received-SPF for the HELO identity")
mw.check(mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results",
    " mx.mailwarden.test; spf=pass smtp.helo=helo.test"), "Authentication-Results smtp.helo")

-- the same connection authenticates: not checked
mt.macro(conn, SMFIC_MAIL, "i", "SPFAUTH001", "{auth_authen}", "alice")
mw.ok(mt.mailfrom(conn, "<alice@fail.test>"), "mailfrom")
mw.expect(conn, SMFIR_CONTINUE, "mailfrom")
mt.macro(conn, SMFIC_RCPT, "i", "SPFAUTH001")
mw.ok(mt.rcptto(conn, "<user@example.test>"), "rcptto")
mw.expect(conn, SMFIR_CONTINUE, "rcptto")
mw.headers(conn, mw.plain_headers)
mw.body(conn, "Hello.\r\n")
mw.eom(conn, SMFIR_ACCEPT)
mw.check(not mt.eom_check(conn, MT_HDRINSERT, "Received-SPF"), "no Received-SPF when authenticated")
mw.ok(mt.disconnect(conn), "disconnect")

conn = mw.connect("127.0.0.1", "localhost")
mw.message(conn, "SPFLOOP001", { from = "<bob@fail.test>" })
mw.check(not mt.eom_check(conn, MT_HDRINSERT, "Received-SPF"), "no Received-SPF for loopback")
mw.ok(mt.disconnect(conn), "disconnect")
