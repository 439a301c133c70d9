-- spf_temperror_action = tempfail: a DNS failure is temperror (never none) and the
-- client is told to come back: 451 4.7.24.
local conn = mw.connect("198.51.100.1")
mw.message(conn, "SPFTEMP001", { from = "<carol@temp.test>", reply = SMFIR_REPLYCODE })
mw.check(mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.24",
    "SPF check of temp.test failed temporarily, try again later"), "reply must be 451 4.7.24")
mw.ok(mt.disconnect(conn), "disconnect")
