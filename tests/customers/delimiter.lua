-- recipient_delimiter (default +): boss+news@ is boss@; the local part compares
-- case-insensitively by default; other mailboxes of the domain fall to "*".
dofile(dir .. "/helpers.luainc")
local conn = mw.connect()
c.message(conn, "DELIM01", { "<boss+news@example.test>", "<BOSS@Example.TEST>" })
c.mail(conn, "DELIM02")
c.rcpt(conn, "DELIM02", "<staff@example.test>", SMFIR_CONTINUE)
c.rcpt(conn, "DELIM02", "<boss+x@example.test>", SMFIR_REPLYCODE)
c.data(conn)
mw.ok(mt.disconnect(conn), "disconnect")
