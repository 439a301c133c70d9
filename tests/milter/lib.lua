-- tests/milter/lib.lua - helpers for the miltertest scripts in this directory, and
-- their runner: `miltertest -s lib.lua -D script=NAME.lua -D sock=...` defines the
-- helpers, then runs NAME.lua and turns any Lua error into a printed message and
-- exit status 1 (miltertest alone exits 1 without saying why).
-- run-milter-tests.sh passes, with -D:
--   script the test script to run
--   sock   the daemon's milter socket (unix:/... or inet:port@host)
--   pid    the daemon's process id (for /proc checks)
--   tmp    the test's private temp dir
--   spool  the parent directory of the daemon's spool directory
-- Every helper raises a Lua error (miltertest exits non-zero) on a mismatch, with a
-- message that says what was expected and what was seen.

mw = {}

local names = {}
for _, n in ipairs({ "SMFIR_ACCEPT", "SMFIR_CONTINUE", "SMFIR_DISCARD", "SMFIR_REJECT",
    "SMFIR_TEMPFAIL", "SMFIR_REPLYCODE", "SMFIR_SKIP", "SMFIR_QUARANTINE" }) do
	if _G[n] ~= nil then names[math.floor(_G[n])] = n end
end

function mw.reply_name(r)
	if r == nil then return "nil" end
	local n = names[math.floor(r)]
	if n then return n end
	return string.format("%q(%d)", string.char(math.floor(r)), math.floor(r))
end

-- mw.ok(result_of_mt_call, what): mt.* functions return nil on success.
function mw.ok(err, what)
	if err ~= nil then error(what .. " failed: " .. tostring(err), 2) end
end

-- mw.expect(conn, wanted, what): the last milter reply must be `wanted`.
function mw.expect(conn, wanted, what)
	local got = mt.getreply(conn)
	if got ~= wanted then
		error(string.format("%s: expected reply %s, got %s", what, mw.reply_name(wanted),
		    mw.reply_name(got)), 2)
	end
end

function mw.check(cond, msg)
	if not cond then error("check failed: " .. msg, 2) end
end

-- mw.connect([ip, host]): connect, negotiate, send connection info and HELO.
function mw.connect(ip, host)
	local conn = mt.connect(sock, 50, 0.1)
	if conn == nil then error("cannot connect to the filter at " .. tostring(sock)) end
	mt.macro(conn, SMFIC_CONNECT, "j", "mx.mailwarden.test", "{daemon_name}", "smtpd")
	mw.ok(mt.conninfo(conn, host or "client.example.net", ip or "192.0.2.10"), "conninfo")
	mw.expect(conn, SMFIR_CONTINUE, "connect")
	mw.ok(mt.helo(conn, "client.example.net"), "helo")
	mw.expect(conn, SMFIR_CONTINUE, "helo")
	return conn
end

-- mw.envelope(conn, qid, from, rcpts): MAIL FROM (with queue id macro i) and RCPTs.
function mw.envelope(conn, qid, from, rcpts)
	mt.macro(conn, SMFIC_MAIL, "i", qid)
	mw.ok(mt.mailfrom(conn, from or "<sender@example.net>"), "mailfrom")
	mw.expect(conn, SMFIR_CONTINUE, "mailfrom")
	for _, r in ipairs(rcpts or { "<user@example.test>" }) do
		mt.macro(conn, SMFIC_RCPT, "i", qid)
		mw.ok(mt.rcptto(conn, r), "rcptto " .. r)
		mw.expect(conn, SMFIR_CONTINUE, "rcptto " .. r)
	end
end

-- mw.headers(conn, { {name, value}, ... }) then end of header.
function mw.headers(conn, hdrs)
	for _, h in ipairs(hdrs) do
		mw.ok(mt.header(conn, h[1], h[2]), "header " .. h[1])
		mw.expect(conn, SMFIR_CONTINUE, "header " .. h[1])
	end
	mw.ok(mt.eoh(conn), "eoh")
	mw.expect(conn, SMFIR_CONTINUE, "eoh")
end

-- mw.body(conn, str): send str in chunks below libmilter's 64 KB packet limit.
function mw.body(conn, str)
	local chunk = 60000
	local i = 1
	while i <= #str do
		mw.ok(mt.bodystring(conn, string.sub(str, i, i + chunk - 1)), "body")
		mw.expect(conn, SMFIR_CONTINUE, "body chunk at byte " .. i)
		i = i + chunk
	end
end

-- mw.eom(conn, wanted): end of message, the reply must be `wanted`.
function mw.eom(conn, wanted)
	mw.ok(mt.eom(conn), "eom")
	mw.expect(conn, wanted, "eom")
end

mw.plain_headers = {
	{ "From", "Sender <sender@example.net>" },
	{ "To", "user@example.test" },
	{ "Subject", "harness test" },
	{ "Date", "Sat, 28 Nov 2026 12:00:00 +0000" },
	{ "Message-ID", "<harness@example.net>" },
}

-- mw.message(conn, qid, opts): a whole transaction; opts.headers, opts.body,
-- opts.rcpts, opts.from, opts.reply (default SMFIR_ACCEPT).
function mw.message(conn, qid, opts)
	opts = opts or {}
	mw.envelope(conn, qid, opts.from, opts.rcpts)
	mw.headers(conn, opts.headers or mw.plain_headers)
	mw.body(conn, opts.body or "Hello.\r\n")
	mw.eom(conn, opts.reply or SMFIR_ACCEPT)
end

-- mw.sh(cmd): run a shell command; error with its output unless it exits 0.
function mw.sh(cmd)
	local p = io.popen(cmd .. " 2>&1; echo \"rc=$?\"")
	local out = p:read("a")
	p:close()
	local rc = tonumber(string.match(out, "rc=(%d+)%s*$"))
	if rc ~= 0 then error("command failed (" .. tostring(rc) .. "): " .. cmd .. "\n" .. out, 2) end
	return (string.gsub(out, "rc=%d+%s*$", ""))
end

if script ~= nil then
	local ok, err = xpcall(dofile, debug.traceback, script)
	if not ok then
		io.stderr:write("ERROR in " .. script .. ": " .. tostring(err) .. "\n")
		os.exit(1)
	end
	os.exit(0)
end
