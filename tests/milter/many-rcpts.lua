-- 500 recipients in one transaction: all accepted, counted in the log record.
local conn = mw.connect()
local rcpts = {}
for i = 1, 500 do rcpts[i] = string.format("<user%03d@example.test>", i) end
mw.message(conn, "MANYRCPT01", { rcpts = rcpts })
mw.ok(mt.disconnect(conn), "disconnect")
