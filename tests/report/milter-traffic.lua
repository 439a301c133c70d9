-- milter-traffic.lua - send the messages listed in a manifest through the real daemon
-- (tests/report/run-report-milter.sh).  Each manifest line:
--   QUEUEID|CLIENT-IP|TLS(0 or 1)|FROM|RCPT[,RCPT...]|FILE
-- FILE is an RFC 5322 message (an mbox "From " line is skipped).  Every reply is
-- accepted; "QUEUEID REPLY" (and "QUEUEID rcpt ADDR REPLY" for a recipient not
-- taken) is written to the file named by -D replies.
local function split(s, sep)
	local t = {}
	for f in string.gmatch(s, "([^" .. sep .. "]*)") do t[#t + 1] = f end
	return t
end

local function read_message(path)
	local f = assert(io.open(path, "rb"))
	local data = f:read("a")
	f:close()
	data = string.gsub(data, "\r\n", "\n")
	data = string.gsub(data, "^From [^\n]*\n", "")
	local head, body = string.match(data, "^(.-)\n\n(.*)$")
	if head == nil then head, body = data, "" end
	local hdrs = {}
	for line in string.gmatch(head .. "\n", "([^\n]*)\n") do
		if string.match(line, "^[ \t]") and #hdrs > 0 then
			hdrs[#hdrs][2] = hdrs[#hdrs][2] .. "\r\n" .. line
		else
			local name, value = string.match(line, "^([^:]+):[ \t]?(.*)$")
			if name ~= nil then hdrs[#hdrs + 1] = { name, value } end
		end
	end
	return hdrs, (string.gsub(body, "\n", "\r\n"))
end

local out = assert(io.open(replies, "w"))
for line in io.lines(manifest) do
	local f = split(line, "|")
	local qid, ip, tls, from, rcpts, file = f[1], f[2], f[3], f[4], split(f[5], ","), f[6]
	local conn = mt.connect(sock, 50, 0.1)
	if conn == nil then error("cannot connect to " .. tostring(sock)) end
	mt.macro(conn, SMFIC_CONNECT, "j", "mx.mailwarden.test", "{daemon_name}", "smtpd")
	mw.ok(mt.conninfo(conn, "client.example.net", ip), "conninfo")
	mw.expect(conn, SMFIR_CONTINUE, "connect")
	if tls == "1" then
		mt.macro(conn, SMFIC_HELO, "{tls_version}", "TLSv1.3", "{cipher}",
		    "TLS_AES_256_GCM_SHA384", "{cipher_bits}", "256")
	end
	mw.ok(mt.helo(conn, "client.example.net"), "helo")
	mw.expect(conn, SMFIR_CONTINUE, "helo")
	-- a recipient whose policy differs from the first one's is deferred at RCPT
	-- (issue 8): the client would send it again in a later transaction
	mt.macro(conn, SMFIC_MAIL, "i", qid)
	mw.ok(mt.mailfrom(conn, "<" .. from .. ">"), "mailfrom")
	mw.expect(conn, SMFIR_CONTINUE, "mailfrom")
	for _, r in ipairs(rcpts) do
		mt.macro(conn, SMFIC_RCPT, "i", qid)
		mw.ok(mt.rcptto(conn, "<" .. r .. ">"), "rcptto " .. r)
		local rr = mt.getreply(conn)
		if rr ~= SMFIR_CONTINUE then
			out:write(qid .. " rcpt " .. r .. " " .. mw.reply_name(rr) .. "\n")
		end
	end
	local hdrs, body = read_message(file)
	mw.headers(conn, hdrs)
	mw.body(conn, body)
	mw.ok(mt.eom(conn), "eom")
	out:write(qid .. " " .. mw.reply_name(mt.getreply(conn)) .. "\n")
	mw.ok(mt.disconnect(conn), "disconnect")
end
out:close()
