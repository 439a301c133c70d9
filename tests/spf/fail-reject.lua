-- spf_fail_action = reject: 550 5.7.23 with the domain's exp= explanation (a '%' in
-- it must reach the client as one '%'), and with the default one for IPv6.
local function session(ip, qid, from, code, xcode, text)
	local conn = mt.connect(sock, 50, 0.1)
	mw.check(conn ~= nil, "connect to the filter")
	mt.macro(conn, SMFIC_CONNECT, "j", "mx.mailwarden.test")
	mw.ok(mt.conninfo(conn, "client.example.net", ip), "conninfo")
	mw.expect(conn, SMFIR_CONTINUE, "connect")
	mw.ok(mt.helo(conn, "client.example.net"), "helo")
	mw.expect(conn, SMFIR_CONTINUE, "helo")
	mw.message(conn, qid, { from = from, reply = SMFIR_REPLYCODE })
	mw.check(mt.eom_check(conn, MT_SMTPREPLY, code, xcode, text),
	    "reply must be " .. code .. " " .. xcode .. " " .. text)
	mw.ok(mt.disconnect(conn), "disconnect")
end
session("198.51.100.1", "SPFFAIL001", "<bob@exp.test>", "550", "5.7.23",
    "SPF check failed: Host 198.51.100.1 may not send mail for exp.test, 100%% sure")
session("2001:db8:99::1", "SPFFAIL002", "<bob@pass.test>", "550", "5.7.23",
    "SPF check failed: pass.test does not designate 2001:db8:99::1 as permitted sender")
