/*
 * test_eval_sa - SpamAssassin's eval tests in C (issue 5), on real parsed
 * messages (message parser + MIME model with GMime and libxml2).  Expectations
 * come from SpamAssassin's documented behaviour (HeaderEval, MIMEEval, HTMLEval,
 * Util::parse_rfc822_date), including its quirks.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "envelope.h"
#include "generation.h"
#include "rules_load.h"
#include "eval.h"
#include "eval_sa.h"
#include "message.h"
#include "mime.h"
#include "relays.h"
#include "scan.h"

/* --- parse_rfc822_date ------------------------------------------------------------ */

static const struct {
	const char *text;
	bool	 ok;
	long long want;
} date_cases[] = {
	{ "Mon, 01 Jan 2001 00:00:00 +0000", true, 978307200 },
	{ "Thu, 22 Aug 2002 13:45:01 -0400", true, 1030038301 },
	{ "Thu, 22 Aug 2002 19:45:01 +0200", true, 1030038301 },
	{ "Thu, 22 Aug 2002 12:45:01 EST", true, 1030038301 },
	{ "Thu, 22 Aug 2002 17:45:01 XYZ", true, 1030038301 },	/* unknown zone = UTC */
	{ "22 Aug 2002 17:45:01 GMT", true, 1030038301 },
	/* ctime style: the time is consumed with the date, so midnight is used */
	{ "Tue Aug 20 12:00:00 2002", true, 1029801600 },
	{ "1 Jan 99 10:00 EST", true, 915202800 },		/* two-digit year >= 50 */
	{ "32 Jan 2002 00:00:00 +0000", true, 1012521600 },	/* rolls to 1 Feb */
	{ "1 Jan 2050 00:00:00 +0000", true, 2114380800 },	/* clamped to 2037 */
	{ "from mx by host; Thu,\n\t22 Aug 2002 13:45:01 -0400 (EDT)", true, 1030038301 },
	{ "yesterday", false, 0 },
	{ "", false, 0 },
	{ "0 Jan 2002 00:00:00 +0000", false, 0 },		/* day 0: no time */
};

static void
test_parse_date(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(date_cases) / sizeof(date_cases[0]); i++) {
		time_t t = 0;
		bool ok = mw_eval_parse_rfc822_date(date_cases[i].text, &t);

		if (ok != date_cases[i].ok || (ok && (long long)t != date_cases[i].want))
			fail_msg("case %zu \"%s\": ok=%d t=%lld, want ok=%d t=%lld", i,
			    date_cases[i].text, ok, (long long)t, date_cases[i].ok,
			    date_cases[i].want);
	}
}

/* --- the eval functions on messages ------------------------------------------------- */

struct ecase {
	const char *fn;
	const char *args[3];
	const char *mail_from;	/* envelope, or NULL */
	const char *msg;
	int	 want;
};

#define RCVD_0822 "Received: from a.example (a.example [192.0.2.1]) by mx.example " \
	"with ESMTP id 1; Thu, 22 Aug 2002 17:45:01 +0000\n"
#define DATE_0822 "Date: Thu, 22 Aug 2002 17:45:01 +0000\n"
#define ALT_TEXT_HTML "MIME-Version: 1.0\nContent-Type: multipart/alternative; " \
	"boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nhello\n--b\n" \
	"Content-Type: text/html\n\n<p>hello</p>\n--b--\n"

/* Image parts (ImageInfo): GIF 300x200, PNG 600x400, JPEG 640x480 (a JFIF and a
 * table segment before the frame header). */
#define CAPS_220 "THIS IS A VERY LOUD MESSAGE ABOUT MONEY AND PILLS. " \
	"THIS IS A VERY LOUD MESSAGE ABOUT MONEY AND PILLS. THIS IS A VERY LOUD MESSAGE " \
	"ABOUT MONEY AND PILLS. THIS IS A VERY LOUD MESSAGE ABOUT MONEY AND PILLS. ok"
#define LOWER_220 "this is a quiet message about the weather and the garden, " \
	"this is a quiet message about the weather and the garden, this is a quiet " \
	"message about the weather and the garden, this is a quiet message about it. ok"
#define ALT(text, html) "MIME-Version: 1.0\nContent-Type: multipart/alternative; " \
	"boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\n" text "\n--b\n" \
	"Content-Type: text/html\n\n" html "\n--b--\n"
#define IMG_PART(type, b64) "--b\nContent-Type: " type "\nContent-Transfer-Encoding: " \
	"base64\n\n" b64 "\n"
#define GIF_300x200 "R0lGODlhLAHIAPcAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define PNG_600x400 "iVBORw0KGgoAAAANSUhEUgAAAlgAAAGQCAIAAAAAAAAAAAAAAElFTkQ="
#define JPEG_640x480 "/9j/4AAQSkZJRgABAQAAAQABAAD/2wAEAAD/\nwAARCAHgAoADAAAAAAAAAAAA/9k="
#define IMG_MSG(parts) "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n" \
	"--b\nContent-Type: text/plain\n\nhi\n" parts "--b--\n"

static const struct ecase cases[] = {
	/* check_equal_from_domains: second-level domains of From and envelope sender
	 * (SpamAssassin's EnvelopeFrom: X-Envelope-From, Envelope-Sender, Return-Path
	 * unless a Received field comes before them) */
	{ "check_equal_from_domains", { NULL }, NULL,
	  "From: a@mail.example.com\nReturn-Path: <b@example.com>\n\nx\n", 0 },
	{ "check_equal_from_domains", { NULL }, NULL,
	  "From: a@example.com\nReturn-Path: <b@lists.example.org>\n\nx\n", 1 },
	{ "check_equal_from_domains", { NULL }, NULL,
	  "From: a@EXAMPLE.com\nReturn-Path: <b@example.COM>\n\nx\n", 0 },
	{ "check_equal_from_domains", { NULL }, NULL, "From: a@example.com\n\nx\n", 0 },
	{ "check_equal_from_domains", { NULL }, NULL,
	  "From: nobody\nReturn-Path: <b@example.org>\n\nx\n", 0 },
	{ "check_equal_from_domains", { NULL }, NULL,	/* Return-Path added on the way */
	  RCVD_0822 "Return-Path: <b@example.org>\nFrom: a@example.com\n\nx\n", 0 },
	{ "check_equal_from_domains", { NULL }, NULL,
	  "X-Envelope-From: <b@example.org>\nReturn-Path: <b@example.com>\n"
	  "From: a@example.com\n\nx\n", 1 },
	{ "check_equal_from_domains", { NULL }, NULL,	/* X-Sender + fetchmail: none */
	  "X-Sender: s@example.net\nReturn-Path: <b@example.org>\nFrom: a@example.com\n"
	  "Received: from x by localhost with POP3 (fetchmail-5.9.0) for me; "
	  "Thu, 22 Aug 2002 17:45:01 +0000\n\nx\n", 0 },
	{ "check_equal_from_domains", { NULL }, NULL,	/* the same without X-Sender */
	  "Return-Path: <b@example.org>\nFrom: a@example.com\n"
	  "Received: from x by localhost with POP3 (fetchmail-5.9.0) for me; "
	  "Thu, 22 Aug 2002 17:45:01 +0000\n\nx\n", 1 },
	{ "check_equal_from_domains", { NULL }, "bounce@list.example.net",
	  "From: a@example.com\nReturn-Path: <b@example.com>\n\nx\n", 1 },
	/* EnvelopeFrom: the last untrusted relay's envelope-from comes first */
	{ "check_equal_from_domains", { NULL }, NULL,
	  "Received: from a.example (a.example [192.0.2.1]) by mx.example with ESMTP "
	  "(envelope-from b@example.org) id 1; Thu, 22 Aug 2002 17:45:01 +0000\n"
	  "From: a@example.com\n\nx\n", 1 },
	/* "X-Sender: @ (Unverified)" is no address: Return-Path is still used */
	{ "check_equal_from_domains", { NULL }, NULL,
	  "Return-Path: <b@example.org>\nX-Sender: @ (Unverified)\nFrom: a@example.com\n"
	  "Received: from x by localhost with POP3 (fetchmail-5.9.0) for me; "
	  "Thu, 22 Aug 2002 17:45:01 +0000\n\nx\n", 1 },
	/* check_for_matching_env_and_hdr_from: EnvelopeFrom = From address, any case */
	{ "check_for_matching_env_and_hdr_from", { NULL }, NULL,
	  "Return-Path: <Joe@Example.com>\nFrom: Joe <joe@example.com>\n\nx\n", 1 },
	{ "check_for_matching_env_and_hdr_from", { NULL }, NULL,
	  "Return-Path: <bounce@example.com>\nFrom: Joe <joe@example.com>\n\nx\n", 0 },
	{ "check_for_matching_env_and_hdr_from", { NULL }, "joe@example.com",
	  "Return-Path: <bounce@example.com>\nFrom: Joe <joe@example.com>\n\nx\n", 1 },
	{ "check_for_matching_env_and_hdr_from", { NULL }, NULL,	/* both missing */
	  "Subject: hi\n\nx\n", 1 },
	{ "check_for_matching_env_and_hdr_from", { NULL }, NULL,	/* Return-Path relayed */
	  RCVD_0822 "Return-Path: <joe@example.com>\nFrom: joe@example.com\n\nx\n", 0 },
	/* check_outlook_message_id: the time in the id against Date, then Received */
	{ "check_outlook_message_id", { NULL }, NULL,
	  DATE_0822 "Message-Id: <000001c24a03$12345678$abcdef01@host>\n\nx\n", 0 },
	{ "check_outlook_message_id", { NULL }, NULL,
	  DATE_0822 "Message-Id: <000001c14a03$12345678$abcdef01@host>\n\nx\n", 1 },
	{ "check_outlook_message_id", { NULL }, NULL,	/* Date wrong, Received right */
	  RCVD_0822 "Date: Thu, 22 Aug 2001 17:45:01 +0000\n"
	  "Message-Id: <000001c24a03$12345678$abcdef01@host>\n\nx\n", 0 },
	{ "check_outlook_message_id", { NULL }, NULL,	/* not an Outlook id */
	  DATE_0822 "Message-Id: <20020822.1234@host>\n\nx\n", 0 },
	{ "check_outlook_message_id", { NULL }, NULL,	/* upper-case hex is not Outlook's */
	  DATE_0822 "Message-Id: <000001C14A03$12345678$ABCDEF01@host>\n\nx\n", 0 },
	/* check_for_shifted_date: Date minus the closest Received time, in hours */
	{ "check_for_shifted_date", { "6", "12" }, NULL,
	  RCVD_0822 "Date: Fri, 23 Aug 2002 01:45:01 +0000\n\nx\n", 1 },
	{ "check_for_shifted_date", { "3", "6" }, NULL,
	  RCVD_0822 "Date: Fri, 23 Aug 2002 01:45:01 +0000\n\nx\n", 0 },
	{ "check_for_shifted_date", { "-12", "-6" }, NULL,
	  RCVD_0822 "Date: Thu, 22 Aug 2002 08:45:01 +0000\n\nx\n", 1 },
	{ "check_for_shifted_date", { "undef", "-96" }, NULL,
	  RCVD_0822 "Date: Thu, 1 Aug 2002 08:45:01 +0000\n\nx\n", 1 },
	{ "check_for_shifted_date", { "2920", "undef" }, NULL,
	  RCVD_0822 "Date: Thu, 1 Aug 2003 08:45:01 +0000\n\nx\n", 1 },
	{ "check_for_shifted_date", { "-6", "-3" }, NULL,	/* no Received: no shift */
	  "Date: Thu, 22 Aug 2002 08:45:01 +0000\n\nx\n", 0 },
	{ "check_for_shifted_date", { "3", "6" }, NULL,	/* the closest hop counts */
	  RCVD_0822 "Received: from b by c; Thu, 22 Aug 2002 13:45:01 +0000\n"
	  "Date: Thu, 22 Aug 2002 17:45:01 +0000\n\nx\n", 0 },
	{ "check_for_shifted_date", { "3", "6" }, NULL,	/* a bottom hop equal to Date */
	  "Received: from b by c; Thu, 22 Aug 2002 13:45:01 +0000\n" RCVD_0822
	  "Date: Thu, 22 Aug 2002 17:45:01 +0000\n\nx\n", 1 },	/* is left out */
	{ "check_for_shifted_date", { "3", "6" }, NULL,	/* a fold is one space */
	  "Received: from a by b with ESMTP id 1; Thu, 22 Aug 2002 13:45:01\n"
	  "    +0000\nDate: Thu, 22 Aug 2002 17:45:01 +0000\n\nx\n", 1 },
	{ "check_for_shifted_date", { "6", "12" }, NULL,	/* Resent-Date first */
	  RCVD_0822 "Date: Thu, 22 Aug 2002 17:45:01 +0000\n"
	  "Resent-Date: Fri, 23 Aug 2002 01:45:01 +0000\n\nx\n", 1 },
	/* check_for_missing_to_header */
	{ "check_for_missing_to_header", { NULL }, NULL, "From: a@b.example\n\nx\n", 1 },
	{ "check_for_missing_to_header", { NULL }, NULL, "To: c@d.example\n\nx\n", 0 },
	{ "check_for_missing_to_header", { NULL }, NULL, "Apparently-To: c@d.example\n\nx\n", 0 },
	{ "check_for_missing_to_header", { NULL }, NULL, "To: \nFrom: a@b.example\n\nx\n", 0 },
	/* subject_is_all_caps */
	{ "subject_is_all_caps", { NULL }, NULL, "Subject: FREE MONEY FOR YOU\n\nx\n", 1 },
	{ "subject_is_all_caps", { NULL }, NULL, "Subject: Re: FWD: FREE MONEY 4 YOU!\n\nx\n", 1 },
	{ "subject_is_all_caps", { NULL }, NULL, "Subject: Free money for you\n\nx\n", 0 },
	{ "subject_is_all_caps", { NULL }, NULL, "Subject: FREE CASH\n\nx\n", 0 },	/* < 10 */
	{ "subject_is_all_caps", { NULL }, NULL, "Subject: FREEMONEYFORYOU\n\nx\n", 0 },
	{ "subject_is_all_caps", { NULL }, NULL, "Subject: 1234 5678 90\n\nx\n", 0 },
	{ "subject_is_all_caps", { NULL }, NULL,
	  "Subject: =?koi8-r?Q?FREE_MONEY_FOR_YOU?=\n\nx\n", 0 },
	{ "subject_is_all_caps", { NULL }, NULL,
	  "Subject: =?iso-8859-1?Q?FREE_MONEY_FOR_YOU?=\n\nx\n", 1 },
	/* similar_recipients: 2-byte prefixes of users and hosts over >= 5 addresses */
	{ "similar_recipients", { "0.65", "undef" }, NULL,
	  "To: ab1@xy1.example, ab2@xy2.example, ab3@xy3.example, ab4@xy4.example, "
	  "ab5@xy5.example\n\nx\n", 1 },
	{ "similar_recipients", { "0.65", "undef" }, NULL,
	  "To: alice@one.example, bob@two.example, carol@three.example, "
	  "dave@four.example, eve@five.example\n\nx\n", 0 },
	{ "similar_recipients", { "0.65", "undef" }, NULL,	/* only four */
	  "To: ab1@xy1.example, ab2@xy2.example, ab3@xy3.example, ab4@xy4.example\n\nx\n", 0 },
	{ "similar_recipients", { "0", "0.3" }, NULL,
	  "To: ab1@xy1.example, ab2@xy2.example\nCc: ab3@xy3.example, ab4@xy4.example, "
	  "ab5@xy5.example\n\nx\n", 0 },
	/* check_for_mime_html / _only */
	{ "check_for_mime_html_only", { NULL }, NULL,
	  "Content-Type: text/html\n\n<html><body>hi</body></html>\n", 1 },
	{ "check_for_mime_html_only", { NULL }, NULL, ALT_TEXT_HTML, 0 },
	{ "check_for_mime_html", { NULL }, NULL, ALT_TEXT_HTML, 1 },
	{ "check_for_mime_html", { NULL }, NULL, "Content-Type: text/plain\n\nhello\n", 0 },
	{ "check_for_mime_html_only", { NULL }, NULL,
	  "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\n"
	  "Content-Type: text/html\n\n<p>hi</p>\n--b\nContent-Type: image/gif\n"
	  "Content-Transfer-Encoding: base64\n\nR0lGODlhAQABAAAAACw=\n--b--\n", 1 },
	/* check_for_ascii_text_illegal: 8-bit, NUL or CR in text/plain said to be ASCII */
	{ "check_for_ascii_text_illegal", { NULL }, NULL, "Subject: x\n\ncaf\xc3\xa9\n", 1 },
	{ "check_for_ascii_text_illegal", { NULL }, NULL,
	  "Content-Type: text/plain; charset=US-ASCII\n\ncaf\xe9\n", 1 },
	{ "check_for_ascii_text_illegal", { NULL }, NULL, "Subject: x\n\nbare\rCR\n", 1 },
	{ "check_for_ascii_text_illegal", { NULL }, NULL, "Subject: x\n\nplain text\n", 0 },
	{ "check_for_ascii_text_illegal", { NULL }, NULL,
	  "Content-Type: text/plain; charset=iso-8859-1\n\ncaf\xe9\n", 0 },
	{ "check_for_ascii_text_illegal", { NULL }, NULL,
	  "Content-Type: text/html\n\n<p>caf\xe9</p>\n", 0 },
	/* check_illegal_chars: 8-bit and control bytes in the raw field */
	{ "check_illegal_chars", { "From", "0.20", "2" }, NULL,
	  "From: \xe9\xe8\xe0\xf9 <a@b.example>\n\nx\n", 1 },	/* 4 of 20 bytes */
	{ "check_illegal_chars", { "From", "0.20", "2" }, NULL,
	  "From: J\xe9r\xf4me Someone Longer <jerome@b.example>\n\nx\n", 0 },	/* ratio */
	{ "check_illegal_chars", { "From", "0.20", "2" }, NULL,	/* valid UTF-8 is fine */
	  "From: \xc3\xa9\xc3\xa8\xc3\xa0 <a@b.example>\n\nx\n", 0 },
	{ "check_illegal_chars", { "From", "0.20", "2" }, NULL, "To: a@b.example\n\nx\n", 0 },
	{ "check_illegal_chars", { "Subject", "0.00", "2" }, NULL,	/* one pound sign exempt */
	  "Subject: win \xa3 100 and \xe9\n\nx\n", 0 },
	{ "check_illegal_chars", { "Subject", "0.00", "2" }, NULL,
	  "Subject: win \xe9 100 and \xe9\n\nx\n", 1 },
	{ "check_illegal_chars", { "ALL", "0.010", "2" }, NULL,
	  "Subject: \x01\x02\x03\n\nx\n", 1 },
	/* html_test('html'), html_image_only */
	{ "html_test", { "html" }, NULL,
	  "Content-Type: text/html\n\n<html><body>hi</body></html>\n", 1 },
	{ "html_test", { "html" }, NULL, "Content-Type: text/plain\n\nhi\n", 0 },
	/* html_test('font_low_contrast'): HTML.pm's style stack; only CSS sets a
	 * background (bgcolor= is parsed but not applied in 4.0.1) */
	{ "html_test", { "font_low_contrast" }, NULL,
	  "Content-Type: text/html\n\n<p>visible <font color=\"#FFFFFF\">white</font></p>\n", 1 },
	{ "html_test", { "font_low_contrast" }, NULL,
	  "Content-Type: text/html\n\n<p>visible <font color=\"#fafafa\">near white</font></p>\n", 1 },
	{ "html_test", { "font_low_contrast" }, NULL,
	  "Content-Type: text/html\n\n<p>visible <font color=\"#999999\">grey</font></p>\n", 0 },
	{ "html_test", { "font_low_contrast" }, NULL,
	  "Content-Type: text/html\n\n<div style=\"background-color: black\">"
	  "<span style=\"color:rgb(10,10,10)\">dark on black</span></div>\n", 1 },
	{ "html_test", { "font_low_contrast" }, NULL,
	  "Content-Type: text/html\n\n<div style=\"background: url(x.png) #000 no-repeat\">"
	  "<span style=\"color:#fff\">white on black</span></div>\n", 0 },
	{ "html_test", { "font_low_contrast" }, NULL,	/* body bgcolor is not applied */
	  "Content-Type: text/html\n\n<body bgcolor=black text=white>hi</body>\n", 1 },
	{ "html_test", { "font_low_contrast" }, NULL,	/* closed before the text */
	  "Content-Type: text/html\n\n<font color=white></font>black text\n", 0 },
	{ "html_test", { "font_low_contrast" }, NULL,	/* white space alone is not text */
	  "Content-Type: text/html\n\n<font color=white> &nbsp; </font>black\n", 0 },
	{ "html_test", { "font_low_contrast" }, NULL,	/* not in a style sheet */
	  "Content-Type: text/html\n\n<style>p{color:white}</style><p>x</p>\n", 0 },
	{ "html_test", { "font_invalid_color" }, NULL,
	  "Content-Type: text/html\n\n<font color=\"blau\">text</font>\n", 1 },
	{ "html_test", { "font_invalid_color" }, NULL,
	  "Content-Type: text/html\n\n<font color=\"#00f\">text</font>\n", 0 },
	/* font_face_bad: a plain list of names is fine */
	{ "html_test", { "font_face_bad" }, NULL,
	  "Content-Type: text/html\n\n<font face=\"'Trebuchet MS', Arial, sans-serif\">x</font>\n", 0 },
	{ "html_test", { "font_face_bad" }, NULL,
	  "Content-Type: text/html\n\n<font face=\"Arial,Helvetica,Sans-Serif;\">x</font>\n", 0 },
	{ "html_test", { "font_face_bad" }, NULL,
	  "Content-Type: text/html\n\n<font face=\"hirakakupro-w3\">x</font>\n", 0 },
	{ "html_test", { "font_face_bad" }, NULL,
	  "Content-Type: text/html\n\n<font face=\"Ari@l\">x</font>\n", 1 },
	{ "html_test", { "font_face_bad" }, NULL,
	  "Content-Type: text/html\n\n<font face=\"x\">x</font>\n", 1 },
	{ "html_test", { "embeds" }, NULL,
	  "Content-Type: text/html\n\n<p>x<embed src=\"a.swf\"></p>\n", 1 },
	{ "html_test", { "embeds" }, NULL,
	  "Content-Type: text/html\n\n<p>x<object data=\"a.swf\"></object></p>\n", 1 },
	{ "html_test", { "embeds" }, NULL, "Content-Type: text/html\n\n<p>x</p>\n", 0 },
	{ "html_test", { "form_action_mailto" }, NULL,
	  "Content-Type: text/html\n\n<form action=\"MAILTO:a@example.com\"></form>\n", 1 },
	{ "html_test", { "form_action_mailto" }, NULL,
	  "Content-Type: text/html\n\n<form action=\"http://x.example/\"></form>\n", 0 },
	/* check_for_mime: MIMEEval's facts from part headers and raw lines */
	{ "check_for_mime", { "mime_attachment" }, NULL,
	  "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
	  "Content-Type: text/plain\n\nx\n--b\nContent-Type: application/pdf\n"
	  "Content-Disposition: attachment; filename=a.pdf\n\nx\n--b--\n", 1 },
	{ "check_for_mime", { "mime_attachment" }, NULL, "Content-Type: text/plain\n\nx\n", 0 },
	{ "check_for_mime", { "mime_base64_count" }, NULL,
	  "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\naGVsbG8K\n", 1 },
	{ "check_for_mime", { "mime_base64_encoded_text" }, NULL,
	  "Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: base64\n\n"
	  "aGVsbG8K\n", 1 },
	{ "check_for_mime", { "mime_base64_encoded_text" }, NULL,
	  "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
	  "aGVsbG8K\n", 0 },
	{ "check_for_mime", { "mime_base64_encoded_text" }, NULL,
	  "Content-Type: text/plain\nContent-Disposition: inline\n"
	  "Content-Transfer-Encoding: base64\n\naGVsbG8K\n", 0 },
	{ "check_for_mime", { "mime_bad_iso_charset" }, NULL,
	  "Content-Type: text/plain; charset=iso-8859-1-x\n\nx\n", 0 },
	{ "check_for_mime", { "mime_bad_iso_charset" }, NULL,
	  "Content-Type: text/plain; charset=iso-10646-ucs\n\nx\n", 1 },
	{ "check_for_mime", { "mime_qp_long_line" }, NULL,
	  "Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n"
	  "012345678901234567890123456789012345678901234567890123456789012345678901234567"
	  "\nshort\n", 0 },	/* 78 characters and the newline are allowed */
	{ "check_for_mime", { "mime_qp_long_line" }, NULL,
	  "Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n"
	  "0123456789012345678901234567890123456789012345678901234567890123456789012345678"
	  "\nshort\n", 1 },
	{ "check_for_mime", { "mime_qp_count" }, NULL,	/* "=41" needs no encoding */
	  "Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n=41bc\n", 1 },
	{ "check_for_mime", { "mime_qp_count" }, NULL,	/* "=3D" and 8-bit do */
	  "Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n"
	  "a=3Db=E9\n", 0 },
	{ "check_for_mime", { "mime_qp_count" }, NULL,	/* trailing encoded spaces are fine */
	  "Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\nab=20=20\n", 0 },
	{ "check_for_mime", { "mime_faraway_charset" }, NULL,	/* ok_locales all */
	  "Content-Type: text/plain; charset=koi8-r\n\nx\n", 0 },
	{ "check_for_mime", { "mime_text_unicode_ratio" }, NULL,	/* not kept */
	  "Content-Type: text/plain\n\nx\n", -1 },
	/* check_base64_length: the longest base64 line, newline included */
	{ "check_base64_length", { "79" }, NULL,
	  "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
	  "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n", 0 },
	{ "check_base64_length", { "77", "77" }, NULL,
	  "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
	  "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n"
	  "QUFB\n", 1 },
	{ "check_base64_length", { "79" }, NULL,
	  "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
	  "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n"
	  "QUFB\n", 1 },
	/* check_msg_parse_flags('mime_epilogue_exists'): text after the last boundary */
	{ "check_msg_parse_flags", { "mime_epilogue_exists" }, NULL,
	  "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
	  "Content-Type: text/plain\n\nx\n--b--\nbuy now\n", 1 },
	{ "check_msg_parse_flags", { "mime_epilogue_exists" }, NULL,
	  "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
	  "Content-Type: text/plain\n\nx\n--b--\n.\n\n", 0 },
	{ "check_msg_parse_flags", { "truncated_header" }, NULL, "Subject: x\n\nx\n", -1 },
	/* check_body_length: body bytes at most the argument */
	{ "check_body_length", { "10" }, NULL, "Subject: x\n\n0123456789", 1 },
	{ "check_body_length", { "10" }, NULL, "Subject: x\n\n0123456789a", 0 },
	/* check_for_to_in_subject('user') */
	{ "check_for_to_in_subject", { "user" }, NULL,
	  "To: john@example.com\nSubject: john, your invoice\n\nx\n", 1 },
	{ "check_for_to_in_subject", { "user" }, NULL,
	  "To: john@example.com\nSubject: Re: hello john\n\nx\n", 1 },
	{ "check_for_to_in_subject", { "user" }, NULL,
	  "To: john@example.com\nSubject: JOHN, hi\n\nx\n", 0 },	/* case kept there */
	{ "check_for_to_in_subject", { "user" }, NULL,
	  "To: john@example.com\nSubject: meeting with john tomorrow\n\nx\n", 0 },
	{ "check_for_to_in_subject", { "address" }, NULL,
	  "To: john@example.com\nSubject: for John@Example.com only\n\nx\n", 1 },
	/* html_range on HTML.pm's per-part values */
	{ "html_range", { "max_size", "5", "6" }, NULL,
	  "Content-Type: text/html\n\n<font size=\"+3\">big</font>\n", 1 },
	{ "html_range", { "max_size", "6", "inf" }, NULL,
	  "Content-Type: text/html\n\n<font size=\"+3\">big</font>\n", 0 },
	{ "html_range", { "max_size", "6", "inf" }, NULL,
	  "Content-Type: text/html\n\n<font size=7>huge</font>\n", 1 },
	{ "html_range", { "max_size", "5", "6" }, NULL,	/* <big> does not count */
	  "Content-Type: text/html\n\n<big><big><big>x</big></big></big>\n", 0 },
	{ "html_range", { "closed_extra_ratio", "0.09", "inf" }, NULL,
	  "Content-Type: text/html\n\n<p>x</p></b></i>\n", 1 },
	{ "html_range", { "closed_extra_ratio", "0.09", "inf" }, NULL,
	  "Content-Type: text/html\n\n<p>x</p>\n", 0 },
	{ "html_range", { "bad_tag_ratio", "0.40", "0.50" }, NULL,	/* 1 of 2: 0.5 */
	  "Content-Type: text/html\n\n<p>x<foo>\n", 1 },
	{ "html_range", { "bad_tag_ratio", "0.40", "0.50" }, NULL,	/* 1 of 3 */
	  "Content-Type: text/html\n\n<p>x<foo></p>\n", 0 },
	{ "html_range", { "obfuscation_ratio", "0.1", "0.2" }, NULL,	/* not kept */
	  "Content-Type: text/html\n\n<p>x</p>\n", -1 },
	{ "html_range", { "length", "0", "1024" }, NULL, "Content-Type: text/plain\n\nx\n", 0 },
	{ "html_eval", { "length", "< 384" }, NULL,
	  "Content-Type: text/html\n\n<p>short</p>\n", 1 },
	{ "html_eval", { "length", "< 384; system(1)" }, NULL,
	  "Content-Type: text/html\n\n<p>short</p>\n", -1 },
	/* html_tag_balance / html_tag_exists: tags as written */
	{ "html_tag_balance", { "body", "!= 0" }, NULL,
	  "Content-Type: text/html\n\n<html><body>x</html>\n", 1 },
	{ "html_tag_balance", { "body", "!= 0" }, NULL,
	  "Content-Type: text/html\n\n<html><body>x</body></html>\n", 0 },
	{ "html_tag_balance", { "head", "!= 0" }, NULL,	/* no head at all: not tested */
	  "Content-Type: text/html\n\n<html><body>x</html>\n", 0 },
	{ "html_tag_exists", { "center" }, NULL,
	  "Content-Type: text/html\n\n<CENTER>x</CENTER>\n", 1 },
	{ "html_tag_exists", { "head" }, NULL,	/* libxml2 would imply one; HTML.pm does not */
	  "Content-Type: text/html\n\n<p>x</p>\n", 0 },
	/* html_image_ratio: non-space rendered characters per pixel of <img> area,
	 * text after </html> included */
	{ "html_image_ratio", { "0.000", "0.002" }, NULL,
	  "Content-Type: text/html\n\n<html><body><img src=a.gif width=100 height=100>"
	  "</body></html>\nabcdefghij\n", 1 },
	{ "html_image_ratio", { "0.000", "0.002" }, NULL,
	  "Content-Type: text/html\n\n<html><body><img src=a.gif width=100 height=100>"
	  "</body></html>\nabcdefghijklmnopqrstu\n", 0 },
	{ "html_image_ratio", { "0.000", "0.002" }, NULL,	/* 50% x 50% of 800x600 */
	  "Content-Type: text/html\n\n<img src=a.gif width=\"50%\" height=\"50%\">x\n", 1 },
	{ "html_image_ratio", { "0.000", "0.002" }, NULL,	/* no image area */
	  "Content-Type: text/html\n\n<img src=a.gif>x\n", 0 },
	/* check_for_uppercase: capitals among letters and digits, bodies of 200+ chars */
	{ "check_for_uppercase", { "75", "100" }, NULL, "Subject: x\n\n" CAPS_220 "\n", 1 },
	{ "check_for_uppercase", { "25", "50" }, NULL, "Subject: x\n\n" CAPS_220 "\n", 0 },
	{ "check_for_uppercase", { "0", "25" }, NULL, "Subject: x\n\n" LOWER_220 "\n", 0 },	/* 0% */
	{ "check_for_uppercase", { "-1", "25" }, NULL, "Subject: x\n\n" LOWER_220 "\n", 1 },
	{ "check_for_uppercase", { "75", "100" }, NULL,	/* under 200 characters */
	  "Subject: x\n\nBUY NOW CHEAP PILLS\n", 0 },
	{ "check_for_uppercase", { "75", "100" }, NULL,	/* one word lines do not count */
	  "Subject: x\n\n" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", 0 },
	{ "check_for_uppercase", { "75", "100" }, NULL,	/* a charset that looks like caps */
	  "Subject: x\nContent-Type: text/plain; charset=\"big5\"\n\n" CAPS_220 "\n", 0 },
	{ "check_for_uppercase", { "75", "100" }, NULL,	/* ... even in a part */
	  "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\n"
	  "Content-Type: text/plain\n\n" CAPS_220 "\n--b\nContent-Type: text/plain; "
	  "charset=koi8-r\n\nx\n--b--\n", 0 },
	/* multipart_alternative_difference: HTML words the text alternative lacks */
	{ "multipart_alternative_difference", { "99", "100" }, NULL,
	  ALT("hello there friend", "<p>hello there friend</p>"), 0 },
	{ "multipart_alternative_difference", { "99", "100" }, NULL,
	  ALT("nothing alike", "<p>buy cheap pills now</p>"), 1 },
	{ "multipart_alternative_difference", { "40", "60" }, NULL,	/* 2 of 4 missing */
	  ALT("buy pills", "<p>buy cheap pills now</p>"), 1 },
	{ "multipart_alternative_difference", { "40", "60" }, NULL,	/* "buy" twice */
	  ALT("buy cheap pills now", "<p>buy buy cheap pills now</p>"), 0 },
	{ "multipart_alternative_difference", { "20", "30" }, NULL,	/* "buy" x2 once */
	  ALT("buy cheap pills now", "<p>buy buy cheap pills now</p>"), 1 },
	{ "multipart_alternative_difference", { "20", "30" }, NULL,	/* 1 of 4 */
	  ALT("buy buy cheap pills", "<p>buy buy cheap pills now</p>"), 1 },
	{ "multipart_alternative_difference", { "0", "undef" }, NULL,	/* min 0: any */
	  ALT("hello", "<p>hello</p>"), 1 },
	{ "multipart_alternative_difference", { "99", "100" }, NULL,	/* punctuation only */
	  ALT("hello hello", "<p>hello -- ** hello</p>"), 0 },
	{ "multipart_alternative_difference", { "99", "100" }, NULL,	/* an image only */
	  ALT("see the picture", "<img src=\"cid:x\">"), 1 },
	{ "multipart_alternative_difference", { "99", "100" }, NULL,	/* no alternative */
	  "Content-Type: text/html\n\n<p>buy cheap pills now</p>\n", 0 },
	/* multipart_alternative_difference_count(ratio, minhtml) */
	{ "multipart_alternative_difference_count", { "3", "1" }, NULL,	/* 8 / 2 words */
	  ALT("one two three four five six seven eight", "<p>one two</p>"), 1 },
	{ "multipart_alternative_difference_count", { "3", "1" }, NULL,	/* 3 / 2 */
	  ALT("one two three", "<p>one two</p>"), 0 },
	{ "multipart_alternative_difference_count", { "3", "1" }, NULL,	/* 1 HTML word */
	  ALT("one two three four five six seven eight", "<p>one</p>"), 0 },
	/* check_ratware_name_id: 28 capitals + "." + X in the id, From "Name" <X> */
	{ "check_ratware_name_id", { NULL }, NULL,
	  "Message-Id: <ABCDEFGHIJKLMNOPQRSTUVWXYZAB.joe@example.com>\n"
	  "From: \"Joe\" <joe@example.com>\n\nx\n", 1 },
	{ "check_ratware_name_id", { NULL }, NULL,	/* no quoted name */
	  "Message-Id: <ABCDEFGHIJKLMNOPQRSTUVWXYZAB.joe@example.com>\n"
	  "From: joe@example.com\n\nx\n", 0 },
	{ "check_ratware_name_id", { NULL }, NULL,	/* 27 capitals */
	  "Message-Id: <ABCDEFGHIJKLMNOPQRSTUVWXYZA.joe@example.com>\n"
	  "From: \"Joe\" <joe@example.com>\n\nx\n", 0 },
	{ "check_ratware_name_id", { NULL }, NULL,	/* another address */
	  "Message-Id: <ABCDEFGHIJKLMNOPQRSTUVWXYZAB.joe@example.com>\n"
	  "From: \"Joe\" <ann@example.com>\n\nx\n", 0 },
	/* check_unresolved_template: %PLACEHOLDER outside the usual fields */
	{ "check_unresolved_template", { NULL }, NULL,
	  "X-Campaign: %CAMPAIGN_ID\nSubject: hi\n\nx\n", 1 },
	{ "check_unresolved_template", { NULL }, NULL,	/* Subject may have one */
	  "Subject: hi %FIRSTNAME\n\nx\n", 0 },
	{ "check_unresolved_template", { NULL }, NULL,	/* lower case is no template */
	  "X-Campaign: 100%free\n\nx\n", 0 },
	{ "check_unresolved_template", { NULL }, NULL,	/* X-Message-Id may */
	  "X-Message-Id: <%MSGID@example.com>\n\nx\n", 0 },
	/* sorted_recipients: seven or more, in sort order */
	{ "sorted_recipients", { NULL }, NULL,
	  "To: a@x.example, b@x.example, c@x.example, d@x.example\n"
	  "Cc: e@x.example, f@x.example, g@x.example\n\nx\n", 1 },
	{ "sorted_recipients", { NULL }, NULL,
	  "To: a@x.example, c@x.example, b@x.example, d@x.example\n"
	  "Cc: e@x.example, f@x.example, g@x.example\n\nx\n", 0 },
	{ "sorted_recipients", { NULL }, NULL,	/* six */
	  "To: a@x.example, b@x.example, c@x.example, d@x.example, e@x.example, "
	  "f@x.example\n\nx\n", 0 },
	/* html_title_subject_ratio: title length over Subject length, in characters */
	{ "html_title_subject_ratio", { "3.5" }, NULL,
	  "Subject: hi\nContent-Type: text/html\n\n<title>a long title</title>x\n", 1 },
	{ "html_title_subject_ratio", { "3.5" }, NULL,
	  "Subject: hello there\nContent-Type: text/html\n\n<title>a long title</title>x\n",
	  0 },
	{ "html_title_subject_ratio", { "3.5" }, NULL,	/* no Subject */
	  "Content-Type: text/html\n\n<title>a long title</title>x\n", 0 },
	{ "html_title_subject_ratio", { "3" }, NULL,	/* 6 characters over 3, not 12 bytes */
	  "Subject: abc\nContent-Type: text/html; charset=utf-8\n\n"
	  "<title>\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9</title>x\n", 0 },
	/* check_abundant_unicode_ratio: &#xHHHH; escapes in plain text */
	{ "check_abundant_unicode_ratio", { "0.02" }, NULL,
	  "Content-Type: text/plain\n\n&#x0441;&#x0435;&#x043A;&#x0441; now\n", 1 },
	{ "check_abundant_unicode_ratio", { "0.02" }, NULL,
	  "Content-Type: text/plain\n\nplain words only\n", 0 },
	{ "check_abundant_unicode_ratio", { "0.02" }, NULL,	/* base64: not looked at */
	  "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
	  "JiN4MDQ0MTsmI3gwNDM1Ow==\n", 0 },
	{ "check_abundant_unicode_ratio", { "2" }, NULL,	/* not \d{0,3}\.\d{1,3} */
	  "Content-Type: text/plain\n\n&#x0441;&#x0435;\n", 0 },
	/* tvd_vertical_words: the most spaced-out paragraph */
	{ "tvd_vertical_words", { "0", "10" }, NULL,
	  "Subject: x\n\nSupercalifragilistic expialidocious\n", 1 },
	{ "tvd_vertical_words", { "0", "10" }, NULL,
	  "Subject: x\n\nb u y  n o w  c h e a p\n", 0 },
	{ "tvd_vertical_words", { "90", "100" }, NULL,
	  "Subject: x\n\nb u y  n o w  c h e a p\n", 1 },
	{ "tvd_vertical_words", { "0", "10" }, NULL,	/* nothing over 5 characters */
	  "Subject: x\n\nhi\n", 0 },
	/* check_header_count_range: distinct values of a field */
	{ "check_header_count_range", { "Subject", "2", "999" }, NULL,
	  "Subject: a\nSubject: b\n\nx\n", 1 },
	{ "check_header_count_range", { "Subject", "2", "999" }, NULL,	/* the same twice */
	  "Subject: a\nSubject: a\n\nx\n", 0 },
	{ "check_header_count_range", { "Content-Type", "2", "999" }, NULL,
	  "Content-Type: text/plain\n\nx\n", 0 },
	/* check_ma_non_text: an alternative with a non-text leaf */
	{ "check_ma_non_text", { NULL }, NULL, ALT("hi", "<p>hi</p>"), 0 },
	{ "check_ma_non_text", { NULL }, NULL,
	  "MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"b\"\n\n"
	  "--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: application/pdf\n\n%PDF\n"
	  "--b--\n", 1 },
	{ "check_ma_non_text", { NULL }, NULL,
	  "MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"b\"\n\n"
	  "--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: application/rtf\n\n{\\rtf}\n"
	  "--b--\n", 0 },
	/* check_mime_multipart_ratio: raw plain size over raw HTML size */
	{ "check_mime_multipart_ratio", { "0.00", "0.01" }, NULL,
	  ALT("x", "<p>" "0123456789012345678901234567890123456789012345678901234567890123456789"
	  "0123456789012345678901234567890123456789012345678901234567890123456789"
	  "0123456789012345678901234567890123456789012345678901234567890123456789</p>"), 1 },
	{ "check_mime_multipart_ratio", { "0.00", "0.01" }, NULL, ALT("hello", "<p>hello</p>"),
	  0 },
	{ "check_mime_multipart_ratio", { "1.00", "1.01" }, NULL,	/* no alternative: 1.0 */
	  "Content-Type: text/plain\n\nx\n", 1 },
	/* image_count / pixel_coverage (ImageInfo): base64 GIF, PNG and JPEG parts */
	{ "image_count", { "gif", "1", "1" }, NULL, IMG_MSG(IMG_PART("image/gif", GIF_300x200)), 1 },
	{ "image_count", { "gif", "2" }, NULL, IMG_MSG(IMG_PART("image/gif", GIF_300x200)), 0 },
	{ "image_count", { "all", "2" }, NULL,
	  IMG_MSG(IMG_PART("image/gif", GIF_300x200) IMG_PART("image/png", PNG_600x400)), 1 },
	{ "image_count", { "jpeg", "1", "1" }, NULL, IMG_MSG(IMG_PART("image/jpg", JPEG_640x480)),
	  1 },
	{ "image_count", { "png", "1", "1" }, NULL, IMG_MSG(IMG_PART("image/gif", GIF_300x200)), 0 },
	{ "image_count", { "gif", "1" }, NULL,		/* not base64: not looked at */
	  IMG_MSG("--b\nContent-Type: image/gif\n\nGIF89a,\n"), 0 },
	{ "image_count", { "bmp", "0" }, NULL, IMG_MSG(""), 0 },	/* no such count */
	{ "pixel_coverage", { "png", "180000", "475000" }, NULL,
	  IMG_MSG(IMG_PART("image/png", PNG_600x400)), 1 },
	{ "pixel_coverage", { "gif", "180000", "475000" }, NULL,
	  IMG_MSG(IMG_PART("image/gif", GIF_300x200)), 0 },
	{ "pixel_coverage", { "all", "62500", "300000" }, NULL,	/* 60000 + 240000 */
	  IMG_MSG(IMG_PART("image/gif", GIF_300x200) IMG_PART("image/png", PNG_600x400)), 1 },
	{ "pixel_coverage", { "all", "62500", "300000" }, NULL,	/* 307200 */
	  IMG_MSG(IMG_PART("image/jpeg", JPEG_640x480)), 0 },
	{ "pixel_coverage", { "jpeg", "307200", "307200" }, NULL,
	  IMG_MSG(IMG_PART("image/jpeg", JPEG_640x480)), 1 },
	{ "pixel_coverage", { "jpeg", "1" }, NULL,		/* no frame header: no area */
	  IMG_MSG(IMG_PART("image/jpeg", "/9j/4AAQSkZJRgABAQAAAQABAAD/2Q==")), 0 },
	{ "pixel_coverage", { "gif", "1" }, NULL,		/* not a GIF inside */
	  IMG_MSG(IMG_PART("image/gif", PNG_600x400)), 0 },
	/* html_text_match: HTML.pm's comment, anchor and title strings */
	{ "html_text_match", { "anchor", "<img>" }, NULL,	/* a linked image */
	  "Content-Type: text/html\n\n<p><a href=\"http://x.example/\">"
	  "<img src=\"a.gif\"></a></p>\n", 1 },
	{ "html_text_match", { "anchor", "<img>" }, NULL,	/* image after the link */
	  "Content-Type: text/html\n\n<a href=\"http://x.example/\">go</a>"
	  "<img src=\"a.gif\">\n", 0 },
	{ "html_text_match", { "anchor", "^Click here$" }, NULL,
	  "Content-Type: text/html\n\n<a href=\"http://x.example/\">Click <b>here</b></a>\n", 1 },
	{ "html_text_match", { "comment", "<!.*?>" }, NULL,
	  "Content-Type: text/html\n\n<p>x<!-- a note --></p>\n", 1 },
	{ "html_text_match", { "comment", "<!.*?>" }, NULL,	/* '.' stops at a newline */
	  "Content-Type: text/html\n\n<p>x<!--\na note\n--></p>\n", 0 },
	{ "html_text_match", { "comment", "<!.*?>" }, NULL,	/* no comment at all */
	  "Content-Type: text/html\n\n<p>x</p>\n", 0 },
	{ "html_text_match", { "comment", "<!-- saved from url=\\(\\d{4}\\)" }, NULL,
	  "Content-Type: text/html\n\n<!-- saved from url=(0022)http://x.example/ -->"
	  "<p>x</p>\n", 1 },
	{ "html_text_match", { "title", ".{20}" }, NULL,
	  "Content-Type: text/html\n\n<title>A rather long title here</title><p>x</p>\n", 1 },
	{ "html_text_match", { "title", ".{20}" }, NULL,	/* entities count decoded */
	  "Content-Type: text/html\n\n<title>&amp;&amp;&amp;&amp;&amp;</title><p>x</p>\n", 0 },
	{ "html_text_match", { "title", "&&&&&" }, NULL,
	  "Content-Type: text/html\n\n<title>&amp;&amp;&amp;&amp;&amp;</title><p>x</p>\n", 1 },
	{ "html_text_match", { "script", "." }, NULL,		/* not kept: cannot say */
	  "Content-Type: text/html\n\n<script>x()</script><p>x</p>\n", -1 },
	{ "html_text_match", { "anchor", "<img>" }, NULL,	/* plain text: no HTML */
	  "Content-Type: text/plain\n\n<a href=x><img src=y></a>\n", 0 },
	{ "html_image_only", { "0000", "0400" }, NULL,
	  "Content-Type: text/html\n\n<html><body><img src=\"http://x.example/a.gif\">"
	  "Click here</body></html>\n", 1 },
	{ "html_image_only", { "0400", "0800" }, NULL,
	  "Content-Type: text/html\n\n<html><body><img src=\"http://x.example/a.gif\">"
	  "Click here</body></html>\n", 0 },
	{ "html_image_only", { "0000", "0400" }, NULL,	/* no image */
	  "Content-Type: text/html\n\n<html><body>Click here</body></html>\n", 0 },
};

static void
test_evals(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ecase *c = &cases[i];
		const struct mw_eval_entry *e = mw_eval_lookup(c->fn);
		struct mw_scan_ctx ctx;
		struct mw_envelope env;
		struct mw_limits lim = { .max_header_count = 1000, .max_header_size = 65536 };
		struct mw_mime_limits mlim;
		struct mw_relay_conf rconf;
		struct mw_relays relays;
		struct mw_eval_args a;
		size_t argc = 0;
		int got;

		if (e == NULL)
			fail_msg("case %zu: %s is not registered", i, c->fn);
		while (argc < 3 && c->args[argc] != NULL)
			argc++;
		a.argc = argc;
		a.argv = c->args;
		memset(&ctx, 0, sizeof(ctx));
		memset(&env, 0, sizeof(env));
		mw_message_init(&ctx.msg);
		mw_mime_limits_default(&mlim);
		assert_int_equal(mw_message_parse(&ctx.msg, c->msg, strlen(c->msg), &lim), 0);
		assert_int_equal(mw_mime_build(&ctx.msg, &mlim), 0);
		if (c->mail_from != NULL) {
			env.mail_from = (char *)c->mail_from;
			ctx.env = &env;
		}
		/* the relay analysis, as the spam stage gives it (trust inferred) */
		mw_relay_conf_init(&rconf);
		assert_int_equal(mw_relays_build(&relays, &ctx.msg, &rconf, NULL), 0);
		ctx.relays = &relays;
		got = e->fn(&ctx, &a);
		mw_relays_free(&relays);
		mw_relay_conf_free(&rconf);
		mw_mime_free(&ctx.msg);
		mw_message_free(&ctx.msg);
		if (got != c->want)
			fail_msg("case %zu %s(%s,%s): got %d, want %d", i, c->fn,
			    argc > 0 ? c->args[0] : "", argc > 1 ? c->args[1] : "", got, c->want);
	}
}

/* An html_test name without facts behind it is "cannot evaluate", never a guess. */
static void
test_html_unknown(void **state)
{
	const char *msg = "Content-Type: text/html\n\n<p>hi</p>\n";
	const char *argv[] = { "no_such_test" };
	struct mw_eval_args a = { 1, argv };
	struct mw_scan_ctx ctx;
	struct mw_limits lim = { .max_header_count = 100, .max_header_size = 65536 };
	struct mw_mime_limits mlim;

	(void)state;
	memset(&ctx, 0, sizeof(ctx));
	mw_message_init(&ctx.msg);
	mw_mime_limits_default(&mlim);
	assert_int_equal(mw_message_parse(&ctx.msg, msg, strlen(msg), &lim), 0);
	assert_int_equal(mw_mime_build(&ctx.msg, &mlim), 0);
	assert_int_equal(mw_eval_html_test(&ctx, &a), -1);
	mw_mime_free(&ctx.msg);
	mw_message_free(&ctx.msg);
}

/* --- FreeMail: lists kept by the rule loader ---------------------------------------- */

static const char freemail_cf[] =
	"ifplugin Mail::SpamAssassin::Plugin::FreeMail\n"
	"freemail_domains example.net mail.example.org\n"
	"freemail_domains *.free.test yahoo.co.?? bad_entry!.test\n"
	"freemail_welcomelist vip@example.net trusted.free.test\n"
	"header FM_FROM eval:check_freemail_from()\n"
	"header FM_RT_DIGIT eval:check_freemail_header('Reply-To', '\\d@')\n"
	"header FM_ENV eval:check_freemail_header('EnvelopeFrom')\n"
	"header FM_RT eval:check_freemail_replyto('replyto')\n"
	"header FM_REPLY eval:check_freemail_replyto('reply')\n"
	"endif\n";

static void
test_freemail_lists(void **state)
{
	static const struct { const char *email; bool want; } emails[] = {
		{ "joe@example.net", true },
		{ "joe@mail.example.org", true },
		{ "joe@example.org", false },
		{ "joe@a.free.test", true },
		{ "joe@a.b.free.test", false },		/* '*' does not match a dot */
		{ "joe@yahoo.co.uk", true },		/* '?' is one character */
		{ "joe@yahoo.co.uk.example", false },
		{ "vip@example.net", false },		/* welcomelisted address */
		{ "joe@trusted.free.test", false },	/* welcomelisted domain */
		{ "postmaster@example.net", false },	/* role addresses never count */
		{ "bounce-123@example.net", false },
		{ "a=b=c@example.net", false },
		{ "joe@bad_entry!.test", false },	/* an invalid entry is dropped */
		{ "", false },
	};
	struct mw_diag diag;
	struct mw_ruleset *rs;
	size_t i;

	(void)state;
	mw_diag_init(&diag);
	rs = mw_rules_load_string("freemail.cf", freemail_cf, sizeof(freemail_cf) - 1, 0, &diag);
	assert_non_null(rs);
	assert_non_null(rs->eval_conf);
	for (i = 0; i < sizeof(emails) / sizeof(emails[0]); i++)
		if (mw_eval_sa_is_freemail(rs->eval_conf, emails[i].email) != emails[i].want)
			fail_msg("%s: want %d", emails[i].email, emails[i].want);
	mw_rules_free(rs);
	mw_diag_free(&diag);
}

static void
test_freemail_evals(void **state)
{
	static const struct { const char *rule, *msg; int want; } fc[] = {
		{ "FM_FROM", "From: Joe <joe@example.net>\n\nx\n", 1 },
		{ "FM_FROM", "From: Joe <JOE@Example.NET>\n\nx\n", 1 },
		{ "FM_FROM", "From: joe@example.com\n\nx\n", 0 },
		{ "FM_FROM", "From: joe@example.com\nX-Envelope-From: <x@example.net>\n\nx\n", 1 },
		{ "FM_FROM", "Resent-From: r@example.com\nFrom: joe@example.net\n\nx\n", 0 },
		{ "FM_RT_DIGIT", "Reply-To: joe7@example.net\n\nx\n", 1 },
		{ "FM_RT_DIGIT", "Reply-To: joe@example.net\n\nx\n", 0 },
		{ "FM_RT_DIGIT", "Reply-To: joe7@example.com\n\nx\n", 0 },
		{ "FM_ENV", "Return-Path: <joe@a.free.test>\n\nx\n", 1 },
		{ "FM_ENV", "Return-Path: <joe@example.com>\n\nx\n", 0 },
		/* check_freemail_replyto: From and Reply-To different freemails */
		{ "FM_RT", "From: joe@example.net\nReply-To: ann@a.free.test\n\nx\n", 1 },
		{ "FM_REPLY", "From: joe@example.net\nReply-To: ann@a.free.test\n\nx\n", 1 },
		{ "FM_RT", "From: joe@example.net\nReply-To: Joe <JOE@example.net>\n\nx\n", 0 },
		{ "FM_RT", "From: joe@example.com\nReply-To: ann@a.free.test\n\nx\n", 0 },
		/* ... or the reply address is freemail and the body names another one */
		{ "FM_RT", "From: joe@example.com\nReply-To: ann@a.free.test\n\n"
		  "write to bob@example.net now\n", 1 },
		{ "FM_RT", "From: joe@example.com\nReply-To: ann@a.free.test\n\n"
		  "write to ann@a.free.test now\n", 0 },
		{ "FM_REPLY", "From: joe@example.net\n\nwrite to bob@example.net now\n", 1 },
		{ "FM_REPLY", "From: joe@example.com\n\nwrite to bob@example.net now\n", 0 },
		{ "FM_REPLY", "From: joe@example.net\nReply-To: x@example.com\n\n"
		  "write to bob@example.net now\n", 0 },
		/* quoted addresses ("... wrote:", <...>) and URLs do not count */
		{ "FM_REPLY", "From: joe@example.net\n\nbob@example.net wrote: hi\n", 0 },
		{ "FM_REPLY", "From: joe@example.net\n\nsee <bob@example.net>\n", 0 },
		{ "FM_REPLY", "From: joe@example.net\n\nhttp://x.example/?u=bob@example.net\n", 0 },
		/* five addresses in the body: the plugin gives up on the body */
		{ "FM_REPLY", "From: joe@example.net\n\nbob@example.net a@example.com "
		  "b@example.com c@example.com d@example.com\n", 0 },
		/* a bulk-looking envelope sender skips the test */
		{ "FM_RT", "Return-Path: <list-bounces@example.com>\nFrom: joe@example.net\n"
		  "Reply-To: ann@a.free.test\n\nx\n", 0 },
		{ "FM_REPLY", "From: joe@example.net\nContent-Type: text/html\n\n"
		  "<a href=\"mailto:bob@example.net\">mail me</a>\n", 1 },
	};
	struct mw_diag diag;
	struct mw_ruleset *rs;
	struct mw_generation g;
	size_t i;

	(void)state;
	mw_diag_init(&diag);
	rs = mw_rules_load_string("freemail.cf", freemail_cf, sizeof(freemail_cf) - 1, 0, &diag);
	assert_non_null(rs);
	memset(&g, 0, sizeof(g));
	g.rules = rs;
	for (i = 0; i < sizeof(fc) / sizeof(fc[0]); i++) {
		const struct mw_rule *r = mw_rules_find(rs, fc[i].rule);
		struct mw_scan_ctx ctx;
		struct mw_limits lim = { .max_header_count = 100, .max_header_size = 65536 };
		struct mw_mime_limits mlim;
		struct mw_eval_args a;
		int got;

		assert_non_null(r);
		assert_non_null(r->native);
		a.argc = r->eval_argc;
		a.argv = (const char *const *)r->eval_argv;
		memset(&ctx, 0, sizeof(ctx));
		ctx.gen = &g;
		mw_message_init(&ctx.msg);
		mw_mime_limits_default(&mlim);
		assert_int_equal(mw_message_parse(&ctx.msg, fc[i].msg, strlen(fc[i].msg), &lim), 0);
		assert_int_equal(mw_mime_build(&ctx.msg, &mlim), 0);
		got = r->native(&ctx, &a);
		mw_mime_free(&ctx.msg);
		mw_message_free(&ctx.msg);
		if (got != fc[i].want)
			fail_msg("case %zu %s: got %d, want %d", i, fc[i].rule, got, fc[i].want);
	}
	/* without freemail_domains the plugin is off */
	g.rules = NULL;
	{
		struct mw_scan_ctx ctx;
		struct mw_limits lim = { .max_header_count = 100, .max_header_size = 65536 };
		struct mw_mime_limits mlim;
		struct mw_eval_args a = { 0, NULL };
		const char *msg = "From: joe@example.net\n\nx\n";

		memset(&ctx, 0, sizeof(ctx));
		ctx.gen = &g;
		mw_message_init(&ctx.msg);
		mw_mime_limits_default(&mlim);
		assert_int_equal(mw_message_parse(&ctx.msg, msg, strlen(msg), &lim), 0);
		assert_int_equal(mw_mime_build(&ctx.msg, &mlim), 0);
		assert_int_equal(mw_eval_check_freemail_from(&ctx, &a), 0);
		mw_mime_free(&ctx.msg);
		mw_message_free(&ctx.msg);
	}
	mw_rules_free(rs);
	mw_diag_free(&diag);
}

/* --- ok_locales: the faraway charset tests ------------------------------------------ */

static int
run_rule(const struct mw_ruleset *rs, const char *rule, const char *msg)
{
	const struct mw_rule *r = mw_rules_find(rs, rule);
	struct mw_generation g;
	struct mw_scan_ctx ctx;
	struct mw_limits lim = { .max_header_count = 100, .max_header_size = 65536 };
	struct mw_mime_limits mlim;
	struct mw_eval_args a;
	int got;

	assert_non_null(r);
	assert_non_null(r->native);
	memset(&g, 0, sizeof(g));
	g.rules = (struct mw_ruleset *)rs;
	a.argc = r->eval_argc;
	a.argv = (const char *const *)r->eval_argv;
	memset(&ctx, 0, sizeof(ctx));
	ctx.gen = &g;
	mw_message_init(&ctx.msg);
	mw_mime_limits_default(&mlim);
	assert_int_equal(mw_message_parse(&ctx.msg, msg, strlen(msg), &lim), 0);
	assert_int_equal(mw_mime_build(&ctx.msg, &mlim), 0);
	got = r->native(&ctx, &a);
	mw_mime_free(&ctx.msg);
	mw_message_free(&ctx.msg);
	return got;
}

#define FARAWAY_RULES \
	"header FA_HDR eval:check_for_faraway_charset_in_headers()\n" \
	"body FA_BODY eval:check_for_faraway_charset()\n" \
	"body FA_HTML eval:html_charset_faraway()\n" \
	"rawbody FA_MIME eval:check_for_mime('mime_faraway_charset')\n"
/* "Privet mir" in KOI8-R */
#define KOI8_TEXT "\xf0\xd2\xc9\xd7\xc5\xd4 \xcd\xc9\xd2"

static void
test_faraway(void **state)
{
	static const struct { const char *locales, *rule, *msg; int want; } fc[] = {
		{ "en", "FA_HDR", "Subject: =?koi8-r?B?8NLJ18XU?=\n\nx\n", 1 },
		{ "en", "FA_HDR", "Subject: =?iso-8859-1?Q?caf=E9?=\n\nx\n", 0 },
		{ "en", "FA_HDR", "From: =?utf-8?Q?Jos=C3=A9?= <j@example.com>\n\nx\n", 0 },
		{ "ru", "FA_HDR", "Subject: =?koi8-r?B?8NLJ18XU?=\n\nx\n", 0 },
		{ "en ru_RU.KOI8-R", "FA_HDR", "Subject: =?KOI8-R?B?8NLJ18XU?=\n\nx\n", 0 },
		{ "all", "FA_HDR", "Subject: =?koi8-r?B?8NLJ18XU?=\n\nx\n", 0 },
		{ NULL, "FA_HDR", "Subject: =?koi8-r?B?8NLJ18XU?=\n\nx\n", 0 },
		{ "en", "FA_BODY", "Content-Type: text/plain; charset=koi8-r\n\n" KOI8_TEXT "\n", 1 },
		{ "en", "FA_BODY", "Content-Type: text/plain; charset=koi8-r\n\n"
		  "mostly plain text " KOI8_TEXT "\n", 0 },
		{ "en", "FA_BODY", "Content-Type: text/plain; charset=\"windows-1251\"\n\n"
		  KOI8_TEXT "\n", 0 },
		{ "en", "FA_HTML", "Content-Type: text/html\n\n<meta http-equiv=\"Content-Type\" "
		  "content=\"text/html; charset=big5\"><p>x</p>\n", 1 },
		{ "zh", "FA_HTML", "Content-Type: text/html\n\n<meta http-equiv=\"Content-Type\" "
		  "content=\"text/html; charset=big5\"><p>x</p>\n", 0 },
		{ "en", "FA_HTML", "Content-Type: text/html\n\n<meta http-equiv=\"Content-Type\" "
		  "content=\"text/html; charset=windows-1252\"><p>x</p>\n", 0 },
		{ "en", "FA_MIME", "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
		  "--b\nContent-Type: text/plain; charset=euc-kr\n\nx\n--b--\n", 1 },
		{ "ko", "FA_MIME", "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
		  "--b\nContent-Type: text/plain; charset=euc-kr\n\nx\n--b--\n", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fc) / sizeof(fc[0]); i++) {
		char cf[512];
		struct mw_diag diag;
		struct mw_ruleset *rs;
		int got;

		snprintf(cf, sizeof(cf), "%s%s%s" FARAWAY_RULES, fc[i].locales ? "ok_locales " : "",
		    fc[i].locales ? fc[i].locales : "", fc[i].locales ? "\n" : "");
		mw_diag_init(&diag);
		rs = mw_rules_load_string("faraway.cf", cf, strlen(cf), 0, &diag);
		assert_non_null(rs);
		got = run_rule(rs, fc[i].rule, fc[i].msg);
		mw_rules_free(rs);
		mw_diag_free(&diag);
		if (got != fc[i].want)
			fail_msg("case %zu %s (ok_locales %s): got %d, want %d", i, fc[i].rule,
			    fc[i].locales ? fc[i].locales : "-", got, fc[i].want);
	}
}

/* --- enlist_addrlist: check_from_in_list, check_replyto_in_list --------------------- */

static const char addrlist_cf[] =
	"enlist_addrlist (PAYPAL) *@paypal.com *@*.paypal.com\n"
	"enlist_addrlist (GOV) *@*.gov\n"
	"enlist_addrlist (ONE) j?e@Example.ORG\n"
	"header FROM_PAYPAL eval:check_from_in_list('PAYPAL')\n"
	"header FROM_GOV eval:check_from_in_list('GOV')\n"
	"header FROM_ONE eval:check_from_in_list('ONE')\n"
	"header FROM_NONE eval:check_from_in_list('NO_SUCH_LIST')\n"
	"header RT_GOV eval:check_replyto_in_list('GOV')\n";

static void
test_addrlist(void **state)
{
	static const struct { const char *rule, *msg; int want; } ac[] = {
		{ "FROM_PAYPAL", "From: PayPal <service@paypal.com>\n\nx\n", 1 },
		{ "FROM_PAYPAL", "From: PayPal <service@mail.PayPal.com>\n\nx\n", 1 },
		{ "FROM_PAYPAL", "From: PayPal <service@paypal.com.example>\n\nx\n", 0 },
		{ "FROM_PAYPAL", "From: a@example.com\nReturn-Path: <b@paypal.com>\n\nx\n", 1 },
		{ "FROM_PAYPAL", "Resent-From: r@example.com\nFrom: service@paypal.com\n\nx\n", 0 },
		{ "FROM_GOV", "From: a@irs.gov\n\nx\n", 1 },
		{ "FROM_GOV", "From: a@gov\n\nx\n", 0 },
		{ "FROM_ONE", "From: JOE@example.org\n\nx\n", 1 },	/* '?' and case */
		{ "FROM_ONE", "From: joe.x@example.org\n\nx\n", 0 },
		{ "FROM_NONE", "From: a@irs.gov\n\nx\n", 0 },
		{ "RT_GOV", "From: a@example.com\nReply-To: b@irs.gov\n\nx\n", 1 },
		{ "RT_GOV", "From: a@irs.gov\n\nx\n", 0 },
	};
	struct mw_diag diag;
	struct mw_ruleset *rs;
	size_t i;

	(void)state;
	mw_diag_init(&diag);
	rs = mw_rules_load_string("addrlist.cf", addrlist_cf, sizeof(addrlist_cf) - 1, 0, &diag);
	assert_non_null(rs);
	for (i = 0; i < sizeof(ac) / sizeof(ac[0]); i++) {
		int got = run_rule(rs, ac[i].rule, ac[i].msg);

		if (got != ac[i].want)
			fail_msg("case %zu %s: got %d, want %d", i, ac[i].rule, got, ac[i].want);
	}
	mw_rules_free(rs);
	mw_diag_free(&diag);
}

/* --- VBounce: welcomelist_bounce_relays --------------------------------------------- */

static void
test_bounce_relays(void **state)
{
	static const char cf[] =
	    "welcomelist_bounce_relays mx.example.net *.relay.example.org\n"
	    "body HAVE eval:have_any_bounce_relays()\n"
	    "body MINE eval:check_welcomelist_bounce_relays()\n";
	static const char none_cf[] =
	    "body HAVE eval:have_any_bounce_relays()\n"
	    "body MINE eval:check_welcomelist_bounce_relays()\n";
	static const struct { const char *rule, *msg; int want; } bc[] = {
		{ "HAVE", "Subject: x\n\nx\n", 1 },
		{ "MINE", "Subject: bounce\n\nYour message could not be delivered.\n\n"
		  "Received: from client.example.com by mx.example.net with ESMTP id 1;\n"
		  "\tThu, 22 Aug 2002 17:45:01 +0000\n", 1 },
		{ "MINE", "Subject: bounce\n\n> Received: from a.example.com\n"
		  ">\tby b4.relay.example.org (Postfix) with SMTP\n", 1 },
		{ "MINE", "Subject: bounce\n\nReceived: from a.example.com by mx.example.com\n"
		  "\twith SMTP\n", 0 },
		{ "MINE", "Subject: hi\n\nmx.example.net is our server\n", 0 },
	};
	struct mw_diag diag;
	struct mw_ruleset *rs;
	size_t i;

	(void)state;
	mw_diag_init(&diag);
	rs = mw_rules_load_string("vbounce.cf", cf, sizeof(cf) - 1, 0, &diag);
	assert_non_null(rs);
	for (i = 0; i < sizeof(bc) / sizeof(bc[0]); i++) {
		int got = run_rule(rs, bc[i].rule, bc[i].msg);

		if (got != bc[i].want)
			fail_msg("case %zu %s: got %d, want %d", i, bc[i].rule, got, bc[i].want);
	}
	mw_rules_free(rs);
	/* none configured (Debian's rules): neither hits */
	rs = mw_rules_load_string("vbounce.cf", none_cf, sizeof(none_cf) - 1, 0, &diag);
	assert_non_null(rs);
	assert_int_equal(run_rule(rs, "HAVE", "Subject: x\n\nx\n"), 0);
	assert_int_equal(run_rule(rs, "MINE", bc[1].msg), 0);
	mw_rules_free(rs);
	mw_diag_free(&diag);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_date),
		cmocka_unit_test(test_evals),
		cmocka_unit_test(test_html_unknown),
		cmocka_unit_test(test_freemail_lists),
		cmocka_unit_test(test_freemail_evals),
		cmocka_unit_test(test_faraway),
		cmocka_unit_test(test_addrlist),
		cmocka_unit_test(test_bounce_relays),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
