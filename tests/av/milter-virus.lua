-- Virus scanning through the real milter protocol (run by tests/av/run-av-tests.sh
-- with tests/milter/lib.lua).  -D msgdir= holds messages made by av_mail.py,
-- -D mwversion= is `mailwarden -V` ("mailwarden <version>").
-- An infected zip attachment is rejected with the configured text naming the
-- signature; a clean message is accepted with X-Virus-Status: Clean.

-- Split an RFC 5322 file into unfolded header fields and a CRLF body.
local function load(path)
	local f = assert(io.open(path, "rb"))
	local text = f:read("a")
	f:close()
	text = text:gsub("\r\n", "\n")
	local head, body = text:match("^(.-)\n\n(.*)$")
	assert(head, "no header/body separator in " .. path)
	local hdrs = {}
	for line in (head .. "\n"):gmatch("(.-)\n") do
		if line:match("^[ \t]") and #hdrs > 0 then
			hdrs[#hdrs][2] = hdrs[#hdrs][2] .. " " .. line:gsub("^[ \t]+", "")
		else
			local n, v = line:match("^([^:]+):[ \t]*(.*)$")
			assert(n, "bad header line in " .. path .. ": " .. line)
			hdrs[#hdrs + 1] = { n, v }
		end
	end
	return hdrs, (body:gsub("\n", "\r\n"))
end

local conn = mw.connect()

local hdrs, body = load(msgdir .. "/zip-clam.exe.eml")
mw.message(conn, "AVZIP00001", { headers = hdrs, body = body, reply = SMFIR_REPLYCODE })
mw.check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1",
    "Message rejected: virus found (ClamAV-Test-File.UNOFFICIAL)"),
    "an infected message must be rejected 550 5.7.1 naming the signature")

hdrs, body = load(msgdir .. "/fwd-clam.tar.gz.eml")
mw.message(conn, "AVFWD00001", { headers = hdrs, body = body, reply = SMFIR_REPLYCODE })

mw.message(conn, "AVCLEAN001", { headers = mw.plain_headers,
    body = "Nothing to see here.\r\n" })
-- With SMFIP_HDR_LEADSPC (Postfix, miltertest) the value carries its leading space.
local function got_header(name, value)
	for _, v in ipairs({ " " .. value, value }) do
		if mt.eom_check(conn, MT_HDRINSERT, name, v) or mt.eom_check(conn, MT_HDRADD, name, v) then
			return true
		end
	end
	return false
end
mw.check(got_header("X-Virus-Status", "Clean"), "a clean message must get X-Virus-Status: Clean")
mw.check(got_header("X-Virus-Scanned", mwversion .. " on mx.test"),
    "a scanned message must get X-Virus-Scanned: mailwarden <version> on <host>")
mw.ok(mt.disconnect(conn), "disconnect")
