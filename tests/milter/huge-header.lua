-- A 1 MB header block: 1050 fields of about 1000 bytes (miltertest itself crashes on
-- a field much over 1 KB, so the size comes from the count).  More fields than
-- max_header_count, each longer than max_header_size: accepted, flagged, and the
-- next message on the connection is handled normally.
local conn = mw.connect()
local hdrs = { { "From", "Sender <sender@example.net>" }, { "To", "user@example.test" } }
for i = 1, 1050 do
	hdrs[#hdrs + 1] = { "X-Huge-" .. i, string.rep("h", 1000) }
end
mw.message(conn, "HUGEHDR001", { headers = hdrs })
mw.message(conn, "AFTERHUGE1")
mw.ok(mt.disconnect(conn), "disconnect")
