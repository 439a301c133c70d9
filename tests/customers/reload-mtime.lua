-- No SIGHUP: the daemon polls the customers file (mw_customers_changed, every 5 s) and
-- reloads by itself when it changes; a broken edit is tried once and refused.
dofile(dir .. "/helpers.luainc")
local conn = mw.connect()
c.message(conn, "MTIME01", { "<a@filtered.test>" })		-- gen 1: scanned
mw.ok(mt.disconnect(conn), "disconnect")
mw.sh("cp '" .. dir .. "/reload-good.customers.in' '" .. customers .. ".new' && mv '" ..
    customers .. ".new' '" .. customers .. "'")
c.wait_log("event=reload generation=2 ", 1, 20)
conn = mw.connect()
c.message(conn, "MTIME02", { "<a@filtered.test>" })		-- gen 2: opted out
mw.ok(mt.disconnect(conn), "disconnect")
mw.sh("cp '" .. dir .. "/reload-broken.customers.in' '" .. customers .. ".new' && mv '" ..
    customers .. ".new' '" .. customers .. "'")
c.wait_log("event=reload_refused", 1, 20)
-- two more poll periods: the same broken file is not retried
os.execute("sleep 11")
mw.check(c.log_count("event=reload_refused") == 1, "a broken file is tried once per edit")
conn = mw.connect()
c.message(conn, "MTIME03", { "<a@filtered.test>" })		-- gen 2 stays
mw.ok(mt.disconnect(conn), "disconnect")
