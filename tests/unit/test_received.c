/*
 * test_received - the Received parser on the shapes real MTAs write (Postfix,
 * Sendmail, Exim, Exchange, Gmail, qmail), folded and unfolded, and on truncated
 * and hostile fields.  The header texts were written for this project after the
 * formats these MTAs document; host names and addresses are documentation ones.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "message.h"
#include "received.h"

/* NULL = not checked; "" = must be empty.  flags: bits that must be set. */
struct rcv_case {
	const char *label;
	const char *value;
	enum mw_rcv_class cls;
	const char *why;
	const char *helo, *rdns, *ip, *by, *with, *id, *auth;
	const char *tls_version, *tls_cipher;
	int	 tls_bits;
	enum mw_rcv_mta mta;
	unsigned flags;
	const char *ident, *envfrom, *for_addr, *by_ip;
};

#define DATE "Sat, 28 Nov 2026 10:00:00 +0000"

static const struct rcv_case cases[] = {
	/* ---- Postfix ---- */
	{ .label = "postfix TLS 1.3 inbound, folded",
	  .value = "from mail.example.org (mail.example.org [192.0.2.10])\r\n"
	    "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\r\n"
	    "\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\r\n"
	    "\t(No client certificate requested)\r\n"
	    "\tby mx.example.net (Postfix) with ESMTPS id 4Abc123XyZ\r\n"
	    "\tfor <user@example.net>; " DATE " (UTC)",
	  .cls = MW_RCV_ENCRYPTED, .why = "tls_comment", .helo = "mail.example.org",
	  .rdns = "mail.example.org", .ip = "192.0.2.10", .by = "mx.example.net",
	  .with = "ESMTPS", .id = "4Abc123XyZ", .auth = "", .tls_version = "TLSv1.3",
	  .tls_cipher = "TLS_AES_256_GCM_SHA384", .tls_bits = 256, .mta = MW_RCV_MTA_POSTFIX,
	  .flags = MW_RCV_TLS_COMMENT, .for_addr = "user@example.net" },
	{ .label = "postfix TLS 1.2, unfolded, old comment",
	  .value = "from relay.example.org (relay.example.org [198.51.100.3]) (using TLSv1.2 "
	    "with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)) by mx.example.net "
	    "(Postfix) with ESMTPS id 4XyZ; " DATE,
	  .cls = MW_RCV_ENCRYPTED, .tls_version = "TLSv1.2",
	  .tls_cipher = "ECDHE-RSA-AES256-GCM-SHA384", .tls_bits = 256, .ip = "198.51.100.3" },
	{ .label = "postfix clear, no reverse name",
	  .value = "from helo.example (unknown [198.51.100.7])\n\tby mx.example.net (Postfix) "
	    "with ESMTP id 4B2C; " DATE,
	  .cls = MW_RCV_CLEAR, .why = "with_keyword", .helo = "helo.example", .rdns = "",
	  .ip = "198.51.100.7", .with = "ESMTP", .auth = "", .tls_version = "",
	  .mta = MW_RCV_MTA_POSTFIX },
	{ .label = "postfix SMTP (no EHLO) from an IPv6 client",
	  .value = "from [IPv6:2001:db8::25] (unknown [IPv6:2001:DB8:0:0::25]) by "
	    "mx.example.net (Postfix) with SMTP id 4D; " DATE,
	  .cls = MW_RCV_CLEAR, .helo = "[IPv6:2001:db8::25]", .rdns = "", .ip = "2001:db8::25" },
	{ .label = "postfix authenticated submission",
	  .value = "from [192.168.1.20] (dsl-203-0-113-9.example.com [203.0.113.9])\n"
	    "\t(Authenticated sender: alice)\n\tby smtp.example.net (Postfix) with ESMTPSA "
	    "id 4C3\n\tfor <bob@example.org>; " DATE,
	  .cls = MW_RCV_ENCRYPTED, .why = "with_keyword", .helo = "[192.168.1.20]",
	  .rdns = "dsl-203-0-113-9.example.com", .ip = "203.0.113.9", .auth = "alice",
	  .with = "ESMTPSA" },
	{ .label = "postfix ESMTPA (authenticated, clear)",
	  .value = "from pc.example (pc.example [192.0.2.77]) by smtp.example.net (Postfix) "
	    "with ESMTPA id 4E; " DATE,
	  .cls = MW_RCV_CLEAR, .auth = "ESMTPA" },
	{ .label = "postfix pickup (local submission)",
	  .value = "by mx.example.net (Postfix, from userid 1000)\n\tid 4D4E5F; " DATE,
	  .cls = MW_RCV_INTERNAL, .why = "local_submission", .by = "mx.example.net",
	  .id = "4D4E5F", .helo = "", .ip = "", .mta = MW_RCV_MTA_POSTFIX,
	  .flags = MW_RCV_NO_FROM | MW_RCV_LOCAL_USER },
	{ .label = "postfix LMTP delivery from localhost",
	  .value = "from mx.example.net (localhost [IPv6:::1])\n\tby imap.example.net "
	    "(Postfix) with LMTP id 4F; " DATE,
	  .cls = MW_RCV_INTERNAL, .why = "loopback", .ip = "::1", .rdns = "localhost",
	  .flags = MW_RCV_LOOPBACK },
	{ .label = "postfix hostname that starts with 'postfix'",
	  .value = "from postfix.example.org (postfix.example.org [192.0.2.8]) by "
	    "mx.example.net with SMTP id 1; " DATE,
	  .cls = MW_RCV_CLEAR, .rdns = "postfix.example.org", .mta = MW_RCV_MTA_UNKNOWN },
	{ .label = "UTF8SMTPS (RFC 6531)",
	  .value = "from a.example (a.example [192.0.2.44]) by b.example (Postfix) with "
	    "UTF8SMTPS id 5A; " DATE,
	  .cls = MW_RCV_ENCRYPTED, .why = "with_keyword", .with = "UTF8SMTPS" },
	{ .label = "UTF8SMTPA is clear but authenticated",
	  .value = "from a.example (a.example [192.0.2.44]) by b.example with UTF8SMTPA id 5B;"
	    " " DATE,
	  .cls = MW_RCV_CLEAR, .auth = "UTF8SMTPA" },
	{ .label = "LMTPSA from a remote host",
	  .value = "from a.example (a.example [192.0.2.45]) by store.example with LMTPSA id 5C; "
	    DATE,
	  .cls = MW_RCV_ENCRYPTED, .auth = "LMTPSA" },

	/* ---- Sendmail ---- */
	{ .label = "sendmail TLS with verify",
	  .value = "from client.example.com (client.example.com [192.0.2.5])\n"
	    "\tby mail.example.net (8.17.1/8.17.1) with ESMTPS id 2ASAB1cd012345\n"
	    "\t(version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NOT)\n"
	    "\tfor <user@example.net>; Sat, 28 Nov 2026 11:00:00 +0100",
	  .cls = MW_RCV_ENCRYPTED, .why = "tls_comment", .helo = "client.example.com",
	  .rdns = "client.example.com", .ip = "192.0.2.5", .by = "mail.example.net",
	  .id = "2ASAB1cd012345", .tls_version = "TLSv1.3",
	  .tls_cipher = "TLS_AES_256_GCM_SHA384", .tls_bits = 256,
	  .mta = MW_RCV_MTA_SENDMAIL, .for_addr = "user@example.net" },
	{ .label = "sendmail ident and may-be-forged",
	  .value = "from helo.example (user@host.example.com [192.0.2.6] (may be forged))\n"
	    "\tby mail.example.net (8.17.1/8.17.1) with ESMTP id 2AS; " DATE,
	  .cls = MW_RCV_CLEAR, .helo = "helo.example", .rdns = "host.example.com",
	  .ip = "192.0.2.6", .ident = "user", .mta = MW_RCV_MTA_SENDMAIL },
	{ .label = "sendmail without reverse name",
	  .value = "from laptop ([203.0.113.50])\n\t(authenticated bits=0)\n"
	    "\tby mail.example.net (8.17.1/8.17.1) with ESMTPSA id 2ASX\n"
	    "\t(version=TLSv1.2 cipher=ECDHE-RSA-AES256-GCM-SHA384 bits=256 verify=NO); " DATE,
	  .cls = MW_RCV_ENCRYPTED, .helo = "laptop", .rdns = "", .ip = "203.0.113.50",
	  .auth = "authenticated", .tls_version = "TLSv1.2" },
	{ .label = "sendmail submission record",
	  .value = "(from alice@localhost)\n\tby mail.example.net (8.17.1/8.17.1/Submit) "
	    "id 2ASABc; " DATE,
	  .cls = MW_RCV_INTERNAL, .why = "local_submission", .ident = "alice",
	  .flags = MW_RCV_NO_FROM | MW_RCV_LOCAL_USER, .mta = MW_RCV_MTA_SENDMAIL },

	{ .label = "old sendmail with a Postfix-like 'using' TLS comment",
	  .value = "from localhost (muses.example.com [192.0.2.7]) (authenticated\n"
	    "    (0 bits)) by axiom.example.com (8.12.5/8.11.6) with ESMTP id\n"
	    "    g7KM1reH011924 (using TLSv1/SSLv3 with cipher EDH-RSA-DES-CBC3-SHA (168\n"
	    "    bits) verified NO); " DATE,
	  .cls = MW_RCV_ENCRYPTED, .why = "tls_comment", .mta = MW_RCV_MTA_SENDMAIL,
	  .tls_version = "TLSv1/SSLv3", .tls_cipher = "EDH-RSA-DES-CBC3-SHA", .tls_bits = 168,
	  .auth = "authenticated", .helo = "localhost", .rdns = "muses.example.com" },

	/* ---- fetchmail, qmail-qmqp ---- */
	{ .label = "fetchmail from localhost",
	  .value = "from jalapeno [127.0.0.1]\tby localhost with IMAP (fetchmail-5.9.0)\tfor "
	    "u@localhost (single-drop); " DATE,
	  .cls = MW_RCV_INTERNAL, .why = "loopback", .ip = "127.0.0.1", .with = "IMAP" },
	{ .label = "fetchmail from a remote server says nothing about TLS",
	  .value = "from pop.example.org [192.0.2.9] by localhost with POP3 (fetchmail-6.4.37) "
	    "for <u@localhost> (single-drop); " DATE,
	  .cls = MW_RCV_UNKNOWN, .why = "unknown_protocol", .ip = "192.0.2.9" },
	{ .label = "QMQP is clear text",
	  .value = "from qmqp.example.org (192.0.2.15) by mail.example.net with QMQP; " DATE,
	  .cls = MW_RCV_CLEAR, .ip = "192.0.2.15" },

	/* ---- Exim ---- */
	{ .label = "exim 4.96 TLS, verified name and different HELO",
	  .value = "from mail.example.com ([192.0.2.7] helo=smtp.example.com)\n"
	    "\tby mx.example.net with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384\n"
	    "\t(Exim 4.96)\n\t(envelope-from <a@example.com>)\n\tid 1tAbCd-000123-Ef\n"
	    "\tfor user@example.net; " DATE,
	  .cls = MW_RCV_ENCRYPTED, .why = "tls_comment", .helo = "smtp.example.com",
	  .rdns = "mail.example.com", .ip = "192.0.2.7", .by = "mx.example.net",
	  .with = "esmtps", .id = "1tAbCd-000123-Ef", .tls_version = "TLS1.3",
	  .tls_cipher = "TLS_AES_256_GCM_SHA384", .mta = MW_RCV_MTA_EXIM,
	  .envfrom = "a@example.com", .for_addr = "user@example.net" },
	{ .label = "exim clear, no reverse name",
	  .value = "from [198.51.100.20] (helo=bulk.example)\n\tby mx.example.net with esmtp "
	    "(Exim 4.96)\n\t(envelope-from <x@bulk.example>)\n\tid 1tX-0001; " DATE,
	  .cls = MW_RCV_CLEAR, .helo = "bulk.example", .rdns = "", .ip = "198.51.100.20",
	  .with = "esmtp", .mta = MW_RCV_MTA_EXIM },
	{ .label = "exim older TLS comment, name equals HELO, port logged",
	  .value = "from relay.example.org ([192.0.2.30]:41234)\n\tby mx.example.net with "
	    "esmtps (TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256)\n\t(Exim 4.92)\n"
	    "\tid 1tY-0002; " DATE,
	  .cls = MW_RCV_ENCRYPTED, .tls_version = "TLS1.2",
	  .tls_cipher = "ECDHE_RSA_AES_256_GCM_SHA384", .tls_bits = 256,
	  .rdns = "relay.example.org", .helo = "relay.example.org", .ip = "192.0.2.30" },
	{ .label = "exim esmtpsa",
	  .value = "from [203.0.113.8] (port=51000 helo=[192.168.0.10])\n\tby mail.example.net "
	    "with esmtpsa  (TLS1.3) tls TLS_AES_128_GCM_SHA256\n\t(Exim 4.96)\n"
	    "\t(envelope-from <me@example.net>)\n\tid 1tZ; " DATE,
	  .cls = MW_RCV_ENCRYPTED, .auth = "esmtpsa", .helo = "[192.168.0.10]",
	  .ip = "203.0.113.8", .rdns = "" },
	{ .label = "old exim asmtp with TLS",
	  .value = "from dsl.example.net ([198.51.100.56] helo=laptop.example.com) by\n"
	    "    relay.example.com with asmtp (TLSv1:RC4-MD5:128) (Exim 3.35 #1) id\n"
	    "    17htgP-0004te-00; " DATE,
	  .cls = MW_RCV_ENCRYPTED, .tls_version = "TLSv1", .tls_cipher = "RC4-MD5",
	  .tls_bits = 128, .mta = MW_RCV_MTA_EXIM, .rdns = "dsl.example.net",
	  .helo = "laptop.example.com" },
	{ .label = "exim local submission",
	  .value = "from alice by host.example.net with local (Exim 4.96)\n"
	    "\t(envelope-from <alice@host.example.net>)\n\tid 1tL; " DATE,
	  .cls = MW_RCV_INTERNAL, .why = "local_protocol", .ident = "alice", .helo = "",
	  .with = "local" },
	{ .label = "exim local-esmtp",
	  .value = "from localhost ([127.0.0.1] helo=localhost) by host.example.net with "
	    "local-esmtp (Exim 4.96) id 1tM; " DATE,
	  .cls = MW_RCV_INTERNAL, .ip = "127.0.0.1" },

	/* ---- Exchange ---- */
	{ .label = "exchange internal TLS",
	  .value = "from EX01.corp.example.com (10.0.0.5) by EX02.corp.example.com\r\n"
	    " (10.0.0.6) with Microsoft SMTP Server (version=TLS1_2,\r\n"
	    " cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.2.1118.40; " DATE,
	  .cls = MW_RCV_ENCRYPTED, .why = "tls_comment", .helo = "EX01.corp.example.com",
	  .rdns = "", .ip = "10.0.0.5", .by = "EX02.corp.example.com", .by_ip = "10.0.0.6",
	  .with = "Microsoft SMTP Server", .id = "15.2.1118.40", .tls_version = "TLS1_2",
	  .tls_cipher = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", .mta = MW_RCV_MTA_EXCHANGE },
	{ .label = "exchange clear",
	  .value = "from EX01.corp.example.com (10.0.0.5) by EX02.corp.example.com (10.0.0.6) "
	    "with Microsoft SMTP Server id 15.0.1497.2 via Frontend Transport; " DATE,
	  .cls = MW_RCV_CLEAR, .id = "15.0.1497.2", .mta = MW_RCV_MTA_EXCHANGE },
	{ .label = "exchange online HTTPS",
	  .value = "from AM0PR01MB1234.eurprd01.prod.exchangelabs.com\r\n"
	    " (2603:10a6:208:ac::12) by AM0PR01MB5678.eurprd01.prod.exchangelabs.com with\r\n"
	    " HTTPS; " DATE,
	  .cls = MW_RCV_ENCRYPTED, .why = "with_keyword", .ip = "2603:10a6:208:ac::12",
	  .with = "HTTPS" },
	{ .label = "exchange MAPI",
	  .value = "from AM0PR01MB1234.eurprd01.prod.exchangelabs.com ([fe80::1234]) by "
	    "AM0PR01MB1234.eurprd01.prod.exchangelabs.com ([fe80::1234%12]) with mapi id "
	    "15.20.6002.012; " DATE,
	  .cls = MW_RCV_INTERNAL, .why = "local_protocol", .ip = "fe80::1234" },
	{ .label = "old IIS SMTPSVC",
	  .value = "from mail.example.com ([192.0.2.90]) by iis.example.com with Microsoft "
	    "SMTPSVC(6.0.3790.4675); " DATE,
	  .cls = MW_RCV_CLEAR, .with = "Microsoft SMTPSVC" },

	/* ---- Gmail ---- */
	{ .label = "gmail MX from Google's own outbound",
	  .value = "from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])\n"
	    "        by mx.google.com with SMTPS id a640c23a62f3a-abc123sor1234567ejb.12.2026"
	    ".11.28.02.00.00\n        for <user@gmail.com>\n        (Google Transport Security);"
	    "\n        Sat, 28 Nov 2026 02:00:00 -0800 (PST)",
	  .cls = MW_RCV_ENCRYPTED, .rdns = "mail-sor-f41.google.com", .ip = "209.85.220.41",
	  .by = "mx.google.com", .with = "SMTPS", .mta = MW_RCV_MTA_GMAIL,
	  .for_addr = "user@gmail.com" },
	{ .label = "gmail MX ESMTPS with version comment",
	  .value = "from mail.example.com (mail.example.com. [192.0.2.1])\n"
	    "        by mx.google.com with ESMTPS id x12si123456qkx.123.2026.11.28.02.00.00\n"
	    "        for <user@gmail.com>\n"
	    "        (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256);\n"
	    "        Sat, 28 Nov 2026 02:00:00 -0800 (PST)",
	  .cls = MW_RCV_ENCRYPTED, .why = "tls_comment", .tls_version = "TLS1_3",
	  .tls_bits = 256, .rdns = "mail.example.com", .helo = "mail.example.com" },
	{ .label = "gmail internal hop",
	  .value = "by 2002:a05:6402:1234:b0:5d0:1234:abcd with SMTP id abc123def;\n"
	    "        Sat, 28 Nov 2026 02:00:00 -0800 (PST)",
	  .cls = MW_RCV_INTERNAL, .why = "no_from_clause",
	  .by = "2002:a05:6402:1234:b0:5d0:1234:abcd", .flags = MW_RCV_NO_FROM },
	{ .label = "gmail client submission",
	  .value = "from [192.168.1.2] ([203.0.113.5])\n        by smtp.gmail.com with ESMTPSA "
	    "id ab12-20020a170906\n        for <bob@example.org>\n"
	    "        (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256);\n"
	    "        Sat, 28 Nov 2026 02:00:00 -0800 (PST)",
	  .cls = MW_RCV_ENCRYPTED, .helo = "[192.168.1.2]", .ip = "203.0.113.5", .rdns = "",
	  .auth = "ESMTPSA" },

	/* ---- qmail ---- */
	{ .label = "qmail from network",
	  .value = "from unknown (HELO relay.example) (198.51.100.9)\n  by mail.example.net "
	    "with SMTP; 28 Nov 2026 10:00:00 -0000",
	  .cls = MW_RCV_CLEAR, .helo = "relay.example", .rdns = "", .ip = "198.51.100.9",
	  .mta = MW_RCV_MTA_QMAIL },
	{ .label = "qmail injection by uid",
	  .value = "(qmail 12345 invoked by uid 89); 28 Nov 2026 10:00:00 -0000",
	  .cls = MW_RCV_INTERNAL, .mta = MW_RCV_MTA_QMAIL, .flags = MW_RCV_LOCAL_USER },
	{ .label = "qmail injection from network",
	  .value = "(qmail 4711 invoked from network); 28 Nov 2026 10:00:00 -0000",
	  .cls = MW_RCV_INTERNAL, .mta = MW_RCV_MTA_QMAIL },

	/* ---- truncated and hostile ---- */
	{ .label = "empty",
	  .value = "", .cls = MW_RCV_UNKNOWN, .why = "no_protocol", .helo = "", .ip = "",
	  .flags = MW_RCV_NO_FROM | MW_RCV_NO_BY | MW_RCV_NO_DATE },
	{ .label = "truncated inside the TLS comment",
	  .value = "from a.example (a.example [192.0.2.1]) (using TLSv1.2 with cip",
	  .cls = MW_RCV_ENCRYPTED, .tls_version = "TLSv1.2", .tls_cipher = "",
	  .flags = MW_RCV_UNBALANCED | MW_RCV_NO_BY | MW_RCV_NO_DATE },
	{ .label = "truncated after from",
	  .value = "from a.example (a.example [192.0.2.1",
	  .cls = MW_RCV_UNKNOWN, .ip = "", .flags = MW_RCV_UNBALANCED | MW_RCV_NO_BY },
	{ .label = "only punctuation",
	  .value = "((((;;;;)", .cls = MW_RCV_UNKNOWN, .flags = MW_RCV_UNBALANCED },
	{ .label = "keywords as values",
	  .value = "from by (by [192.0.2.99]) by real.example with ESMTP id from for; " DATE,
	  .cls = MW_RCV_CLEAR, .by = "real.example", .with = "ESMTP", .id = "from",
	  .ip = "192.0.2.99" },
	{ .label = "not an address in brackets",
	  .value = "from x.example (x.example [999.1.2.3]) by y.example with SMTP id 1; " DATE,
	  .cls = MW_RCV_CLEAR, .ip = "", .flags = MW_RCV_BAD_IP },
	{ .label = "control and 8-bit bytes in names",
	  .value = "from h\001\377st (h [192.0.2.1]) by y\033.example with SMTP; " DATE,
	  .cls = MW_RCV_CLEAR, .helo = "h??st", .by = "y?.example" },
	{ .label = "a version comment that is not TLS",
	  .value = "from a (a [192.0.2.1]) by b with ESMTP (version=PLAIN cipher=none); " DATE,
	  .cls = MW_RCV_CLEAR, .tls_version = "" },
	{ .label = "a 'using' comment that is not TLS",
	  .value = "from a (a [192.0.2.1]) (using carrier pigeons) by b with ESMTP; " DATE,
	  .cls = MW_RCV_CLEAR },
	{ .label = "unknown protocol",
	  .value = "from a (a [192.0.2.1]) by b with UUCP id 1; " DATE,
	  .cls = MW_RCV_UNKNOWN, .why = "unknown_protocol" },
	{ .label = "no with clause",
	  .value = "from a (a [192.0.2.1]) by b id 1; " DATE,
	  .cls = MW_RCV_UNKNOWN, .why = "no_protocol" },
	{ .label = "ESMTP with a suffix that is no keyword",
	  .value = "from a (a [192.0.2.1]) by b with ESMTPX; " DATE,
	  .cls = MW_RCV_UNKNOWN },
	{ .label = "semicolon inside a comment does not start the date",
	  .value = "from a (a; [192.0.2.1]) by b with ESMTPS id 9; " DATE,
	  .cls = MW_RCV_ENCRYPTED, .by = "b", .id = "9" },
	{ .label = "quoted-pair parenthesis in a comment",
	  .value = "from a (a \\) [192.0.2.1]) by b with SMTP; " DATE,
	  .cls = MW_RCV_CLEAR, .by = "b" },
	{ .label = "unclosed angle address",
	  .value = "from a (a [192.0.2.1]) by b with SMTP for <x@y; " DATE,
	  .cls = MW_RCV_CLEAR, .flags = MW_RCV_UNBALANCED },
};

/* Report every mismatch of every case, then fail once. */
static int nfail;
#define FAIL(...)	do { print_error(__VA_ARGS__); print_error("\n"); nfail++; } while (0)

static void
check_str(const char *label, const char *what, const char *want, const char *got)
{
	if (want != NULL && strcmp(want, got) != 0)
		FAIL("%s: %s is \"%s\", want \"%s\"", label, what, got, want);
}

static void
test_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rcv_case *c = &cases[i];
		struct mw_received_hop h;

		mw_received_parse(&h, c->value, strlen(c->value));
		if (h.cls != c->cls)
			FAIL("%s: class %s (%s), want %s", c->label,
			    mw_received_class_name(h.cls), h.why,
			    mw_received_class_name(c->cls));
		check_str(c->label, "why", c->why, h.why);
		check_str(c->label, "helo", c->helo, h.helo);
		check_str(c->label, "rdns", c->rdns, h.rdns);
		check_str(c->label, "ip", c->ip, h.ip);
		check_str(c->label, "by", c->by, h.by);
		check_str(c->label, "with", c->with, h.with);
		check_str(c->label, "id", c->id, h.id);
		check_str(c->label, "auth", c->auth, h.auth);
		check_str(c->label, "tls_version", c->tls_version, h.tls_version);
		check_str(c->label, "tls_cipher", c->tls_cipher, h.tls_cipher);
		check_str(c->label, "ident", c->ident, h.ident);
		check_str(c->label, "envfrom", c->envfrom, h.envfrom);
		check_str(c->label, "for", c->for_addr, h.for_addr);
		check_str(c->label, "by_ip", c->by_ip, h.by_ip);
		if (c->tls_bits && h.tls_bits != c->tls_bits)
			FAIL("%s: bits %d, want %d", c->label, h.tls_bits, c->tls_bits);
		if (c->mta != MW_RCV_MTA_UNKNOWN && h.mta != c->mta)
			FAIL("%s: mta %s, want %s", c->label, mw_received_mta_name(h.mta),
			    mw_received_mta_name(c->mta));
		if (c->mta == MW_RCV_MTA_UNKNOWN && strstr(c->label, "'postfix'") &&
		    h.mta != MW_RCV_MTA_UNKNOWN)
			FAIL("%s: mta %s, want unknown", c->label, mw_received_mta_name(h.mta));
		if ((h.flags & c->flags) != c->flags)
			FAIL("%s: flags 0x%x lack 0x%x", c->label, h.flags, c->flags);
	}
	assert_int_equal(nfail, 0);
}

/* Folding must not matter: the raw folded value and the unfolded one agree. */
static void
test_folded_equals_unfolded(void **state)
{
	static const char folded[] =
	    "from mail.example.org (mail.example.org [192.0.2.10])\r\n"
	    "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n"
	    "\tby mx.example.net (Postfix) with ESMTPS id 4Q\r\n\tfor <u@example.net>; " DATE;
	char unfolded[sizeof(folded)];
	struct mw_received_hop a, b;
	size_t i, o = 0;

	(void)state;
	for (i = 0; folded[i]; i++)
		if (folded[i] != '\r' && folded[i] != '\n')
			unfolded[o++] = folded[i];
	unfolded[o] = '\0';
	mw_received_parse(&a, folded, strlen(folded));
	mw_received_parse(&b, unfolded, strlen(unfolded));
	assert_memory_equal(&a, &b, sizeof(a));
}

/* Hostile sizes: long fields are cut and flagged, deep nesting and huge values end. */
static void
test_limits(void **state)
{
	struct mw_received_hop h;
	size_t n = 3 * MW_RCV_MAX_INPUT, i;
	char *big = malloc(n + 1);

	(void)state;
	assert_non_null(big);

	/* A 300-character host name. */
	memcpy(big, "from ", 5);
	memset(big + 5, 'a', 300);
	strcpy(big + 305, " (x [192.0.2.1]) by b with SMTP; " DATE);
	mw_received_parse(&h, big, strlen(big));
	assert_true(h.flags & MW_RCV_TRUNCATED);
	assert_int_equal(strlen(h.from_word), MW_RCV_HOST_MAX - 1);
	assert_int_equal(h.cls, MW_RCV_CLEAR);

	/* Nesting far deeper than we follow, never closed. */
	memcpy(big, "from x ", 7);
	memset(big + 7, '(', n - 7);
	big[n] = '\0';
	mw_received_parse(&h, big, n);
	assert_true(h.flags & MW_RCV_DEEP_COMMENT);
	assert_true(h.flags & MW_RCV_UNBALANCED);
	assert_true(h.flags & MW_RCV_TRUNCATED);

	/* Thousands of words. */
	for (i = 0; i + 2 < n; i += 2) {
		big[i] = 'w';
		big[i + 1] = ' ';
	}
	big[i] = '\0';
	mw_received_parse(&h, big, strlen(big));
	assert_int_equal(h.cls, MW_RCV_UNKNOWN);

	/* NUL bytes inside the value count as white space. */
	memcpy(big, "from a\0(a [192.0.2.1]) by b with ESMTPS; x", 43);
	mw_received_parse(&h, big, 43);
	assert_string_equal(h.ip, "192.0.2.1");
	assert_int_equal(h.cls, MW_RCV_ENCRYPTED);

	mw_received_parse(&h, NULL, 0);
	assert_int_equal(h.cls, MW_RCV_UNKNOWN);
	free(big);
}

struct with_case {
	const char *with;
	enum mw_rcv_class cls;
};

static void
test_with_keywords(void **state)
{
	static const struct with_case wc[] = {
		{ "SMTP", MW_RCV_CLEAR }, { "ESMTP", MW_RCV_CLEAR }, { "ESMTPA", MW_RCV_CLEAR },
		{ "ESMTPS", MW_RCV_ENCRYPTED }, { "ESMTPSA", MW_RCV_ENCRYPTED },
		{ "esmtpsa", MW_RCV_ENCRYPTED }, { "LMTP", MW_RCV_CLEAR },
		{ "LMTPA", MW_RCV_CLEAR }, { "LMTPS", MW_RCV_ENCRYPTED },
		{ "LMTPSA", MW_RCV_ENCRYPTED }, { "UTF8SMTP", MW_RCV_CLEAR },
		{ "UTF8SMTPA", MW_RCV_CLEAR }, { "UTF8SMTPS", MW_RCV_ENCRYPTED },
		{ "UTF8SMTPSA", MW_RCV_ENCRYPTED }, { "UTF8LMTPS", MW_RCV_ENCRYPTED },
		{ "UTF8LMTP", MW_RCV_CLEAR }, { "SMTPS", MW_RCV_ENCRYPTED },
		{ "HTTPS", MW_RCV_ENCRYPTED }, { "HTTP", MW_RCV_CLEAR },
		{ "local", MW_RCV_INTERNAL }, { "local-esmtp", MW_RCV_INTERNAL },
		{ "local-bsmtp", MW_RCV_INTERNAL }, { "mapi", MW_RCV_INTERNAL },
		{ "MAPI", MW_RCV_INTERNAL }, { "localhost", MW_RCV_UNKNOWN },
		{ "Microsoft SMTP Server", MW_RCV_CLEAR }, { "UUCP", MW_RCV_UNKNOWN },
		{ "ESMTPSAX", MW_RCV_UNKNOWN }, { "UTF8", MW_RCV_UNKNOWN },
		{ "", MW_RCV_UNKNOWN }, { "S", MW_RCV_UNKNOWN },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(wc) / sizeof(wc[0]); i++)
		if (mw_received_with_class(wc[i].with) != wc[i].cls)
			fail_msg("with %s: %s, want %s", wc[i].with,
			    mw_received_class_name(mw_received_with_class(wc[i].with)),
			    mw_received_class_name(wc[i].cls));
}

static void
test_chain(void **state)
{
	static const char msg[] =
	    "Received: from a.example (a.example [192.0.2.1]) by mx.example.net (Postfix)\n"
	    "\twith ESMTPS id 1; " DATE "\n"
	    "Subject: x\n"
	    "received: from b.example (b.example [192.0.2.2]) by a.example with ESMTP id 2;"
	    " " DATE "\n"
	    "Received: by b.example (Postfix, from userid 0) id 3; " DATE "\n"
	    "\nbody\n";
	struct mw_limits lim = { .max_header_count = 100, .max_header_size = 65536 };
	struct mw_message m;
	struct mw_received_chain c;

	(void)state;
	mw_message_init(&m);
	assert_int_equal(mw_message_parse(&m, msg, strlen(msg), &lim), 0);
	assert_int_equal(mw_received_chain_build(&c, &m, 64), 0);
	assert_int_equal(c.nhops, 3);
	assert_int_equal(c.nfields, 3);
	assert_string_equal(c.hops[0].by, "mx.example.net");
	assert_int_equal(c.hops[0].cls, MW_RCV_ENCRYPTED);
	assert_string_equal(c.hops[1].ip, "192.0.2.2");
	assert_int_equal(c.hops[1].cls, MW_RCV_CLEAR);
	assert_int_equal(c.hops[2].cls, MW_RCV_INTERNAL);
	assert_string_equal(mw_received_from_host(&c.hops[1]), "b.example");
	assert_string_equal(mw_received_from_host(&c.hops[2]), "unknown");
	mw_received_chain_free(&c);

	/* A limit on hops keeps the top ones and still counts all fields. */
	assert_int_equal(mw_received_chain_build(&c, &m, 2), 0);
	assert_int_equal(c.nhops, 2);
	assert_int_equal(c.nfields, 3);
	mw_received_chain_free(&c);
	mw_received_chain_free(NULL);

	/* No Received at all. */
	mw_message_free(&m);
	assert_int_equal(mw_message_parse(&m, "Subject: y\n\nz\n", 14, &lim), 0);
	assert_int_equal(mw_received_chain_build(&c, &m, 64), 0);
	assert_int_equal(c.nhops, 0);
	assert_null(c.hops);
	mw_received_chain_free(&c);
	mw_message_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_folded_equals_unfolded),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_with_keywords),
		cmocka_unit_test(test_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
