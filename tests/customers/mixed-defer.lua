-- Different filtering: the later recipient gets 452 4.5.3 (SMFIR_REPLYCODE), the
-- others stay in the transaction; the sender's retry of the deferred recipient alone
-- is accepted and handled by that recipient's own choice.  Also the other order: an
-- opted-out first recipient does not drag an opted-in one into an unscanned delivery.
dofile(dir .. "/helpers.luainc")
local conn = mw.connect()
c.mail(conn, "MIXED01")
c.rcpt(conn, "MIXED01", "<a@filtered.test>", SMFIR_CONTINUE)
c.rcpt(conn, "MIXED01", "<b@spamfree.test>", SMFIR_REPLYCODE)
c.rcpt(conn, "MIXED01", "<c@twin.test>", SMFIR_CONTINUE)
c.rcpt(conn, "MIXED01", "<d@nowhere.test>", SMFIR_REPLYCODE)
c.data(conn)
-- the retry
c.message(conn, "MIXED02", { "<b@spamfree.test>" })
-- opted-out first
c.mail(conn, "MIXED03")
c.rcpt(conn, "MIXED03", "<d@nowhere.test>", SMFIR_CONTINUE)
c.rcpt(conn, "MIXED03", "<a@filtered.test>", SMFIR_REPLYCODE)
c.data(conn)
mw.ok(mt.disconnect(conn), "disconnect")
