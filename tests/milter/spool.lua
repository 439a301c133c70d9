-- A body above memory_body_limit (64k here; 1 MB sent) goes to a private spool
-- file: in a mode 0700 directory, unlinked at once (visible only as an open
-- descriptor while the message is in progress), gone when the message ends.
local conn = mw.connect()
local line = string.rep("s", 78) .. "\r\n"
mw.envelope(conn, "SPOOLED001")
mw.headers(conn, mw.plain_headers)
mw.body(conn, string.rep(line, 13000))
-- mid-message: the daemon holds one deleted spool file in its private directory
local dir = mw.sh("ls -d " .. spool .. "/mailwarden.*")
dir = string.gsub(dir, "%s+$", "")
local mode = string.gsub(mw.sh("stat -c %a " .. dir), "%s+$", "")
mw.check(mode == "700", "spool directory " .. dir .. " must be mode 700, is " .. mode)
local open = mw.sh("ls -l /proc/" .. pid .. "/fd | grep -c '" .. dir .. "/msg\\..* (deleted)' || true")
mw.check(tonumber(open) == 1, "expected 1 open deleted spool file mid-message, found " .. open)
local names = mw.sh("ls -A " .. dir)
mw.check(names == "", "spool directory must stay empty (files unlinked at once), has: " .. names)
mw.eom(conn, SMFIR_ACCEPT)
-- after the message: nothing open, nothing on disk
open = mw.sh("ls -l /proc/" .. pid .. "/fd | grep -c '/msg\\.' || true")
mw.check(tonumber(open) == 0, "spool file still open after end of message: " .. open)
mw.message(conn, "INMEMORY01")
mw.ok(mt.disconnect(conn), "disconnect")
