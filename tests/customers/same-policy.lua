-- Recipients of different customers with the same filtering share the transaction:
-- every RCPT is accepted.
dofile(dir .. "/helpers.luainc")
local conn = mw.connect()
c.message(conn, "SAME01", { "<a@filtered.test>", "<b@twin.test>", "<c@x.sub.test>",
    "<d@FILTERED.TEST>" })
mw.ok(mt.disconnect(conn), "disconnect")
