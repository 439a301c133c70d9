-- An authenticated submission follows the submission policy (default: no spam
-- filtering, virus scanning on) for every recipient: nothing is deferred.
dofile(dir .. "/helpers.luainc")
local conn = mw.connect("192.0.2.77", "laptop.example.net")
c.message(conn, "AUTH01", { "<a@filtered.test>", "<b@spamfree.test>", "<d@nowhere.test>" },
    "alice")
-- the same connection, next transaction without authentication: customers again
c.mail(conn, "AUTH02")
c.rcpt(conn, "AUTH02", "<a@filtered.test>", SMFIR_CONTINUE)
c.rcpt(conn, "AUTH02", "<b@spamfree.test>", SMFIR_REPLYCODE)
c.data(conn)
mw.ok(mt.disconnect(conn), "disconnect")
