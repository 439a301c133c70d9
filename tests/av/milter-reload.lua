-- Database reload in the running daemon (run by tests/av/run-av-tests.sh with
-- tests/milter/lib.lua).  -D db= is the daemon's clamav_database (without an EICAR
-- signature at first), -D newsig= a signature file that knows EICAR, -D log= the
-- daemon's log.  An EICAR message is accepted as clean; the signature file is added
-- and SIGHUP sent; once the log shows the engine reload, the same message is rejected.

-- Assembled at run time so that no file in the repository carries the test string.
local eicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$" .. "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

local conn = mw.connect()
mw.message(conn, "AVRELOAD01", { body = eicar .. "\r\n" })
mw.sh("cp '" .. newsig .. "' '" .. db .. "/' && kill -HUP " .. pid)
-- Bounded wait (20 s) for the watcher's report of the new engine.
mw.sh("(for i in $(seq 200); do grep -q 'engine_reload' '" .. log ..
    "' && exit 0; sleep 0.1; done; echo 'no engine_reload in the log'; exit 1)")
mw.message(conn, "AVRELOAD02", { body = eicar .. "\r\n", reply = SMFIR_REPLYCODE })
mw.check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1",
    "Message rejected: virus found (Mailwarden-Test-Eicar.UNOFFICIAL)"),
    "after the reload the new signature must be used")
mw.ok(mt.disconnect(conn), "disconnect")
