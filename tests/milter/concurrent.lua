-- Ten connections open at once, their transactions interleaved step by step: each
-- connection's context must stay its own (sender, recipients, size, verdict).
local conns = {}
for i = 1, 10 do conns[i] = mw.connect("192.0.2." .. (20 + i)) end
for i = 1, 10 do
	local rcpts = {}
	for j = 1, i do rcpts[j] = string.format("<r%d-%d@example.test>", i, j) end
	mw.envelope(conns[i], string.format("CONC%06d", i), string.format("<s%d@example.net>", i), rcpts)
end
for i = 10, 1, -1 do mw.headers(conns[i], mw.plain_headers) end
for i = 1, 10 do mw.body(conns[i], string.rep("b", 100 * i) .. "\r\n") end
-- every even one is aborted, the odd ones finish (in reverse order)
for i = 2, 10, 2 do mw.ok(mt.abort(conns[i]), "abort " .. i) end
for i = 9, 1, -2 do mw.eom(conns[i], SMFIR_ACCEPT) end
for i = 1, 10 do mw.ok(mt.disconnect(conns[i]), "disconnect " .. i) end
