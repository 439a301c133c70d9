-- A message over max_message_size (10k here, 200 KB sent) with oversize_action = accept.
-- The daemon keeps counting the size but not the bytes; the log says why it did
-- not scan.  A small message on the same connection is then handled normally.
local conn = mw.connect()
mw.message(conn, "OVERACCEPT", {
    body = string.rep(string.rep("o", 78) .. "\r\n", 2560), reply = SMFIR_ACCEPT })
mw.check(not mt.eom_check(conn, MT_HDRADD), "an unscanned message gets no verdict headers")
mw.message(conn, "SMALL00001")
mw.ok(mt.disconnect(conn), "disconnect")
