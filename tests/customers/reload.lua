-- SIGHUP during a live connection.  A connection keeps the generation it started
-- with; new connections get the new customers table; a broken file is refused as a
-- whole (the log names file:line) and the previous table stays in force.  (The
-- daemon also polls the file's mtime every 5 s, so a reload may happen twice.)
dofile(dir .. "/helpers.luainc")
local old = mw.connect()
c.message(old, "RELOAD01", { "<a@filtered.test>" })		-- gen 1: scanned

c.reload_with("reload-good.customers.in")
c.wait_log("(reload: now serving generation 2|event=reload generation=2 )", 1, 30)
c.message(old, "RELOAD02", { "<a@filtered.test>" })		-- still gen 1: scanned
local new = mw.connect()
c.message(new, "RELOAD03", { "<a@filtered.test>" })		-- gen 2: opted out
mw.ok(mt.disconnect(new), "disconnect new")

c.reload_with("reload-broken.customers.in")
c.wait_log("(reload refused|event=reload_refused)", 1, 30)
mw.check(c.log_count("customers\\.conf:4: virus: .sometimes. is not on or off") >= 1,
    "the refused reload names customers.conf:4")
local after = mw.connect()
c.message(after, "RELOAD04", { "<a@filtered.test>" })	-- gen 2 stays: opted out
mw.ok(mt.disconnect(after), "disconnect after")
c.message(old, "RELOAD05", { "<a@filtered.test>" })		-- the first connection: gen 1
mw.ok(mt.disconnect(old), "disconnect old")
