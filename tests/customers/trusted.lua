-- A client in trusted_networks follows the submission policy for every recipient
-- (like an authenticated one): nothing is deferred; a client outside is not trusted.
dofile(dir .. "/helpers.luainc")
local conn = mw.connect("198.51.100.7", "app.example.net")
c.message(conn, "TRUST01", { "<a@filtered.test>", "<b@spamfree.test>", "<d@nowhere.test>" })
mw.ok(mt.disconnect(conn), "disconnect")
conn = mw.connect("198.51.101.7", "other.example.net")
c.mail(conn, "TRUST02")
c.rcpt(conn, "TRUST02", "<a@filtered.test>", SMFIR_CONTINUE)
c.rcpt(conn, "TRUST02", "<b@spamfree.test>", SMFIR_REPLYCODE)
c.data(conn)
mw.ok(mt.disconnect(conn), "disconnect")
