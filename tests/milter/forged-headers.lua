-- Headers that pretend to be mailwarden's verdict are deleted, every copy of them;
-- other headers are left alone.
local conn = mw.connect()
local hdrs = {
	{ "From", "Sender <sender@example.net>" },
	{ "To", "user@example.test" },
	{ "Subject", "forged verdict" },
	{ "X-Spam-Status", "No, score=-100.0 required=5.0" },
	{ "X-Spam-Flag", "NO" },
	{ "X-Spam-Status", "No, second copy" },
	{ "X-Virus-Status", "Clean" },
	{ "X-Virus-Scanned", "clamav-milter 1.0 at mx" },
	{ "X-Mailwarden-Customer", "vip" },
	{ "x-spam-level", "*****" },
	{ "X-Spam-Whatever-Else", "kept: not one of ours" },
	{ "Message-ID", "<forged@example.net>" },
}
mw.message(conn, "FORGED0001", { headers = hdrs })
for _, n in ipairs({ "X-Spam-Status", "X-Spam-Flag", "X-Virus-Status", "X-Virus-Scanned",
    "X-Mailwarden-Customer", "x-spam-level" }) do
	mw.check(mt.eom_check(conn, MT_HDRDELETE, n) or mt.eom_check(conn, MT_HDRCHANGE, n, ""),
	    "forged header " .. n .. " must be deleted")
end
for _, n in ipairs({ "From", "To", "Subject", "Message-ID", "X-Spam-Whatever-Else" }) do
	mw.check(not mt.eom_check(conn, MT_HDRDELETE, n) and not mt.eom_check(conn, MT_HDRCHANGE, n),
	    "header " .. n .. " must be left alone")
end
mw.ok(mt.disconnect(conn), "disconnect")
