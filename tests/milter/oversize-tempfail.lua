-- A message over max_message_size (10k here, 200 KB sent) with oversize_action = tempfail.
-- (miltertest matches MT_SMTPREPLY only when code, xcode and text are all given.)
-- The daemon keeps counting the size but not the bytes; the log says why it did
-- not scan.  A small message on the same connection is then handled normally.
local conn = mw.connect()
mw.message(conn, "OVERTEMPFA", {
    body = string.rep(string.rep("o", 78) .. "\r\n", 2560), reply = SMFIR_REPLYCODE })
mw.check(mt.eom_check(conn, MT_SMTPREPLY, "452", "4.3.4",
    "Message too large to scan, try again later"), "reply must be 452 4.3.4")
mw.message(conn, "SMALL00001")
mw.ok(mt.disconnect(conn), "disconnect")
