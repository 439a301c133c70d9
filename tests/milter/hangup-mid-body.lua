-- The MTA hangs up in the middle of a body (connection dropped without QUIT), at
-- several stages, with the body both in memory and spooled (see the conf).  The
-- daemon must stay up, keep serving, and (checked at SIGTERM in sanitizer builds)
-- leak nothing.
local big = string.rep("x", 998) .. "\r\n"
local conn = mw.connect()
mw.envelope(conn, "HANGUP0001")
mw.headers(conn, mw.plain_headers)
mw.body(conn, string.rep(big, 10))		-- 10 KB: in memory
mw.ok(mt.disconnect(conn, false), "abrupt disconnect (memory)")

conn = mw.connect()
mw.envelope(conn, "HANGUP0002")
mw.headers(conn, mw.plain_headers)
mw.body(conn, string.rep(big, 300))		-- 300 KB: spooled to a file
mw.ok(mt.disconnect(conn, false), "abrupt disconnect (spooled)")

conn = mw.connect()
mw.envelope(conn, "HANGUP0003")
mw.ok(mt.disconnect(conn, false), "abrupt disconnect after RCPT")

conn = mw.connect()
mw.ok(mt.disconnect(conn, false), "abrupt disconnect after HELO")

-- the daemon still answers
conn = mw.connect()
mw.message(conn, "AFTERHUP01")
mw.ok(mt.disconnect(conn), "disconnect")
