-- The MTA aborts a transaction in the middle of the body (e.g. the client sent RSET
-- or timed out); the connection goes on with a second message, which must be handled
-- normally.  Only the second message is logged.
local conn = mw.connect()
mw.envelope(conn, "ABORTED001")
mw.headers(conn, mw.plain_headers)
mw.body(conn, string.rep("first message, never finished\r\n", 1000))
mw.ok(mt.abort(conn), "abort")
mw.message(conn, "SECOND0001", { from = "<other@example.net>",
    rcpts = { "<a@example.test>", "<b@example.test>" } })
-- and a third after an abort between headers and body
mw.envelope(conn, "ABORTED002")
mw.headers(conn, mw.plain_headers)
mw.ok(mt.abort(conn), "abort after eoh")
mw.message(conn, "THIRD00001")
mw.ok(mt.disconnect(conn), "disconnect")
