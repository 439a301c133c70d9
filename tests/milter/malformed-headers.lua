-- Headers a sender can get past an MTA: a field name with a space (rebuilt as a line
-- that has no valid field name), raw 8-bit bytes, an empty value, a bare CR, and a
-- NUL byte in the body.  The message is accepted; the log record carries the flags.
local conn = mw.connect()
local hdrs = {
	{ "From", "Sender <sender@example.net>" },
	{ "Bad Field Name", "a space is not allowed in a field name" },
	{ "Subject", "8-bit \xe9\xe8\xff raw bytes" },
	{ "X-Empty", "" },
	{ "X-Bare-CR", "one\rtwo" },
	{ "To", "user@example.test" },
}
mw.message(conn, "MALFORM001", { headers = hdrs, body = "body with a NUL \0 byte\r\n" })
mw.ok(mt.disconnect(conn), "disconnect")
