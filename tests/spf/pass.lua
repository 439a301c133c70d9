-- SPF pass for MAIL FROM: Received-SPF and Authentication-Results are inserted at the
-- top with exactly these values; the inbound Authentication-Results that claims our
-- authserv-id (the j macro, mx.mailwarden.test) is deleted, the other host's stays.
-- The values start with the space after the colon: the filter negotiates
-- SMFIP_HDR_LEADSPC and writes that space itself.
local conn = mt.connect(sock, 50, 0.1)
mw.check(conn ~= nil, "connect to the filter")
mt.macro(conn, SMFIC_CONNECT, "j", "mx.mailwarden.test")
mw.ok(mt.conninfo(conn, "out.pass.test", "192.0.2.1"), "conninfo")
mw.expect(conn, SMFIR_CONTINUE, "connect")
mw.ok(mt.helo(conn, "helo.test"), "helo")
mw.expect(conn, SMFIR_CONTINUE, "helo")
mw.message(conn, "SPFPASS001", {
    from = "<alice@pass.test>",
    headers = {
	{ "Authentication-Results", "mx.mailwarden.test; spf=pass smtp.mailfrom=forged.test" },
	{ "Authentication-Results", "elsewhere.example; spf=fail smtp.mailfrom=x.test" },
	{ "From", "Alice <alice@pass.test>" },
	{ "To", "user@example.test" },
	{ "Subject", "spf pass" },
    } })
mw.check(mt.eom_check(conn, MT_HDRINSERT, "Received-SPF",
    " pass (mx.mailwarden.test: domain of alice@pass.test designates 192.0.2.1 as " ..
    "permitted sender) receiver=mx.mailwarden.test; client-ip=192.0.2.1; " ..
    "envelope-from=\"alice@pass.test\"; helo=helo.test; identity=mailfrom;"),
    "Received-SPF byte for byte")
mw.check(mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results",
    " mx.mailwarden.test; spf=pass smtp.mailfrom=pass.test"),
    "Authentication-Results byte for byte")
mw.check(mt.eom_check(conn, MT_HDRDELETE, "Authentication-Results") or
    mt.eom_check(conn, MT_HDRCHANGE, "Authentication-Results", ""),
    "the forged Authentication-Results must be deleted")
mw.ok(mt.disconnect(conn), "disconnect")
