-- A clean message is accepted, nothing is deleted, one record is logged.
local conn = mw.connect()
mw.message(conn, "CLEAN00001")
mw.check(not mt.eom_check(conn, MT_HDRDELETE), "no header may be deleted")
mw.check(not mt.eom_check(conn, MT_HDRCHANGE), "no header may be changed")
mw.ok(mt.disconnect(conn), "disconnect")
