-- SIGHUP reloads the configuration: a valid new one applies to new connections (a
-- connection keeps the generation it started with); a broken one is refused with
-- file:line, and the daemon goes on serving with the previous one.
local conf = tmp .. "/mailwarden.conf"
local log = tmp .. "/mailwarden.log"
local body = string.rep(string.rep("r", 78) .. "\r\n", 256)	-- 20 KB

local old = mw.connect()			-- holds generation 1 throughout
mw.message(old, "RELOAD0001", { body = body })

mw.sh("printf 'max_message_size = 10k\\noversize_action = reject\\n' >> " .. conf)
mw.sh("kill -HUP " .. pid)
mw.sh("timeout 10 sh -c 'until grep -q \"reload.*generation=2\" " .. log .. "; do sleep 0.1; done'")

local new = mw.connect()
mw.message(new, "RELOAD0002", { body = body, reply = SMFIR_REPLYCODE })
mw.check(mt.eom_check(new, MT_SMTPREPLY, "552", "5.3.4", "Message too large"),
    "generation 2 rejects 20 KB")
mw.message(old, "RELOAD0003", { body = body })	-- still generation 1: accepted

mw.sh("printf 'no_such_option = 1\\n' >> " .. conf)
mw.sh("kill -HUP " .. pid)
mw.sh("timeout 10 sh -c 'until grep -q \"reload_refused\" " .. log .. "; do sleep 0.1; done'")
mw.sh("grep -Eq \"mailwarden\\.conf:[0-9]+: unknown option 'no_such_option'\" " .. log)

local after = mw.connect()
mw.message(after, "RELOAD0004", { body = body, reply = SMFIR_REPLYCODE })
mw.check(mt.eom_check(after, MT_SMTPREPLY, "552", "5.3.4", "Message too large"),
    "the refused reload keeps generation 2")
for _, c in ipairs({ old, new, after }) do mw.ok(mt.disconnect(c), "disconnect") end
