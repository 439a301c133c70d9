-- mixed_policy = strictest: every recipient accepted, the strongest filtering of them
-- all applies (spam scanning on, because filtered.test wants it).
dofile(dir .. "/helpers.luainc")
local conn = mw.connect()
c.message(conn, "STRICT01", { "<b@spamfree.test>", "<a@filtered.test>", "<d@nowhere.test>" })
c.message(conn, "STRICT02", { "<d@nowhere.test>", "<e@nowhere.test>" })
mw.ok(mt.disconnect(conn), "disconnect")
