-- A message over max_message_size (10k here, 200 KB sent) with oversize_action = reject.
-- (miltertest matches MT_SMTPREPLY only when code, xcode and text are all given.)
-- The daemon keeps counting the size but not the bytes; the log says why it did
-- not scan.  A small message on the same connection is then handled normally.
local conn = mw.connect()
mw.message(conn, "OVERREJECT", {
    body = string.rep(string.rep("o", 78) .. "\r\n", 2560), reply = SMFIR_REPLYCODE })
mw.check(mt.eom_check(conn, MT_SMTPREPLY, "552", "5.3.4", "Message too large"), "reply must be 552 5.3.4")
mw.message(conn, "SMALL00001")
mw.ok(mt.disconnect(conn), "disconnect")
