-- A single recipient opted in is scanned; a single unmatched recipient (opt-in
-- default) is not scanned at all, and the log record says so.
dofile(dir .. "/helpers.luainc")
local conn = mw.connect()
c.message(conn, "OPTIN01", { "<alice@filtered.test>" })
c.message(conn, "OPTOUT01", { "<bob@elsewhere.test>" })
mw.ok(mt.disconnect(conn), "disconnect")
