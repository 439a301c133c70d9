/*
 * test_mime - the message model: tree, decoded headers, addresses, SpamAssassin's
 * views, limits, hostile input and memory use with a large attachment.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "buf.h"
#include "html.h"
#include "message.h"
#include "mime.h"
#include "utf8.h"

static const struct mw_limits hlim = { .max_header_count = 1000, .max_header_size = 65536 };

static void
build(struct mw_message *m, const char *data, size_t len, const struct mw_mime_limits *ml)
{
	mw_message_init(m);
	assert_int_equal(mw_message_parse(m, data, len, &hlim), 0);
	assert_int_equal(mw_mime_build(m, ml), 0);
}

static void
release(struct mw_message *m)
{
	mw_mime_free(m);
	mw_mime_free(m);		/* twice: must be harmless */
	mw_message_free(m);
}

/* Every string of every view is valid UTF-8 and NUL-terminated at len. */
static void
assert_views_valid(const struct mw_message *m)
{
	const struct mw_views *v = mw_mime_views(m);
	const struct mw_textv *sets[] = { v->body, v->rawbody, v->uri };
	const size_t ns[] = { v->nbody, v->nrawbody, v->nuri };
	size_t s, i;

	for (s = 0; s < 3; s++)
		for (i = 0; i < ns[s]; i++) {
			assert_true(mw_utf8_valid(sets[s][i].s, sets[s][i].len));
			assert_int_equal(sets[s][i].s[sets[s][i].len], '\0');
		}
}

static const char alternative[] =
    "From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.de>, bob@example.com\n"
    "To: undisclosed: a@x.example, \"B, C\" <b@y.example>;\n"
    "Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= and\n =?UTF-8?Q?=E2=82=AC?=\n"
    "Received: one\nReceived: two\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/alternative; boundary=\"XX\"\n"
    "\n"
    "preamble\n"
    "--XX\n"
    "Content-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Gr=FC=DFe,  see   www.Example.COM/x.\n"
    "second line\n"
    "\n"
    "  \n"
    "next paragraph=\n"
    " joined\n"
    "--XX\n"
    "Content-Type: text/html; charset=utf-8\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    /* <p>Hi &amp; <a href="HTTP://3232235777/x">bye</a></p> */
    "PHA+SGkgJmFtcDsgPGEgaHJlZj0iSFRUUDovLzMyMzIyMzU3NzcveCI+YnllPC9hPjwvcD4=\n"
    "--XX--\n"
    "epilogue\n";

static void
test_alternative(void **state)
{
	struct mw_message m;
	const struct mw_views *v;
	const struct mw_mime_part *p;
	const struct mw_mime_address *a;
	size_t n;

	(void)state;
	build(&m, alternative, strlen(alternative), NULL);
	assert_int_equal(m.flags & (MW_MSG_MIME_MALFORMED | MW_MSG_MIME_TRUNCATED), 0);

	p = mw_mime_parts(&m, &n);
	assert_int_equal(n, 3);
	assert_string_equal(p[0].id, "1");
	assert_string_equal(p[0].type, "multipart/alternative");
	assert_true(p[0].is_multipart);
	assert_string_equal(p[1].id, "1.1");
	assert_string_equal(p[1].type, "text/plain");
	assert_string_equal(p[1].charset, "iso-8859-1");
	assert_string_equal(p[1].encoding, "quoted-printable");
	assert_string_equal(p[2].type, "text/html");
	assert_string_equal(p[2].encoding, "base64");
	assert_int_equal(p[2].decoded_size, strlen("<p>Hi &amp; <a href=\"HTTP://3232235777/x\">"
	    "bye</a></p>"));

	assert_string_equal(mw_mime_header_decoded(&m, "subject", 0),
	    "Gr\xc3\xbc\xc3\x9f" "e and \xe2\x82\xac");
	assert_string_equal(mw_mime_header_decoded(&m, "Received", 1), "two");
	assert_null(mw_mime_header_decoded(&m, "Received", 2));
	assert_null(mw_mime_header_decoded(&m, "X-None", 0));

	a = mw_mime_addresses(&m, "from", &n);
	assert_int_equal(n, 2);
	assert_string_equal(a[0].name, "J\xc3\xbcrgen");
	assert_string_equal(a[0].addr, "j@example.de");
	assert_null(a[1].name);
	assert_string_equal(a[1].addr, "bob@example.com");
	a = mw_mime_addresses(&m, "To", &n);
	assert_int_equal(n, 2);		/* group members, flattened */
	assert_string_equal(a[1].name, "B, C");
	assert_string_equal(a[1].addr, "b@y.example");
	assert_null(mw_mime_addresses(&m, "Cc", &n));
	assert_int_equal(n, 0);

	v = mw_mime_views(&m);
	assert_int_equal(v->nbody, 4);
	assert_string_equal(v->body[0].s, "Gr\xc3\xbc\xc3\x9f" "e and \xe2\x82\xac");
	assert_string_equal(v->body[1].s, "Gr\xc3\xbc\xc3\x9f" "e, see www.Example.COM/x. "
	    "second line");
	assert_string_equal(v->body[2].s, "next paragraph joined");
	assert_string_equal(v->body[3].s, "Hi & bye");
	assert_int_equal(v->nrawbody, 6);
	assert_string_equal(v->rawbody[0].s, "Gr\xc3\xbc\xc3\x9f" "e,  see   www.Example.COM/x.");
	assert_string_equal(v->rawbody[3].s, "  ");
	assert_string_equal(v->rawbody[5].s, "<p>Hi &amp; <a href=\"HTTP://3232235777/x\">bye</a></p>");
	assert_int_equal(v->nuri, 3);
	assert_string_equal(v->uri[0].s, "http://www.example.com/x");
	assert_string_equal(v->uri[1].s, "http://192.168.1.1/x");
	assert_string_equal(v->uri[2].s, "HTTP://3232235777/x");	/* as written */
	assert_int_equal(mw_mime_html(&m)->anchors, 1);
	assert_views_valid(&m);
	release(&m);
}

/* The MTA's CRLF and a file's LF give the same model. */
static void
test_crlf_same_as_lf(void **state)
{
	struct mw_buf crlf, a, b;
	struct mw_message m1, m2;
	size_t i;

	(void)state;
	mw_buf_init(&crlf, 0);
	for (i = 0; alternative[i]; i++) {
		if (alternative[i] == '\n')
			mw_buf_putc(&crlf, '\r');
		mw_buf_putc(&crlf, alternative[i]);
	}
	build(&m1, alternative, strlen(alternative), NULL);
	build(&m2, crlf.data, crlf.len, NULL);
	mw_buf_init(&a, 0);
	mw_buf_init(&b, 0);
	assert_int_equal(mw_mime_dump_json(&m1, &a), 0);
	assert_int_equal(mw_mime_dump_json(&m2, &b), 0);
	/* Sizes of the raw content differ by the CRs; the views must not. */
	assert_string_equal(strstr(a.data, "\"body\""), strstr(b.data, "\"body\""));
	release(&m1);
	release(&m2);
	mw_buf_free(&a);
	mw_buf_free(&b);
	mw_buf_free(&crlf);
}

static void
test_no_subject_and_empty(void **state)
{
	struct mw_message m;
	const struct mw_views *v;
	size_t n;

	(void)state;
	build(&m, "", 0, NULL);
	v = mw_mime_views(&m);
	assert_int_equal(v->nbody, 1);		/* SpamAssassin's first line: the Subject */
	assert_string_equal(v->body[0].s, "");
	assert_int_equal(v->nrawbody, 0);
	mw_mime_parts(&m, &n);
	release(&m);

	build(&m, "To: x@y\n\nline one\nline two\n", 27, NULL);
	v = mw_mime_views(&m);
	assert_int_equal(v->nbody, 2);
	assert_string_equal(v->body[0].s, "");
	assert_string_equal(v->body[1].s, "line one line two ");
	release(&m);
}

static void
test_nested_rfc822(void **state)
{
	static const char msg[] =
	    "Subject: outer\nContent-Type: multipart/mixed; boundary=o\n\n"
	    "--o\nContent-Type: text/plain\n\nouter text\n"
	    "--o\nContent-Type: message/rfc822\n\n"
	    "Subject: inner\nContent-Type: multipart/mixed; boundary=i\n\n"
	    "--i\nContent-Type: text/plain; charset=koi8-r\n\n\xf0\xd2\xc9\xd7\xc5\xd4\n"
	    "--i\nContent-Type: application/pdf; name=\"=?UTF-8?Q?r=C3=A9sum=C3=A9.pdf?=\"\n"
	    "Content-Disposition: attachment\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n"
	    "--i--\n"
	    "--o--\n";
	struct mw_message m;
	const struct mw_mime_part *p;
	const struct mw_views *v;
	size_t n;

	(void)state;
	build(&m, msg, strlen(msg), NULL);
	p = mw_mime_parts(&m, &n);
	assert_int_equal(n, 6);
	assert_string_equal(p[2].type, "message/rfc822");
	assert_true(p[2].is_message);
	assert_string_equal(p[3].id, "1.2.1");
	assert_int_equal(p[3].depth, 2);
	assert_string_equal(p[4].id, "1.2.1.1");
	assert_string_equal(p[4].charset_used, "koi8-r");
	assert_string_equal(p[5].type, "application/pdf");
	assert_string_equal(p[5].disposition, "attachment");
	assert_string_equal(p[5].filename, "r\xc3\xa9sum\xc3\xa9.pdf");
	assert_int_equal(p[5].decoded_size, 0);	/* attachments are never decoded */
	v = mw_mime_views(&m);
	assert_int_equal(v->nbody, 2);
	assert_string_equal(v->body[1].s, "outer text \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
	release(&m);
}

struct limit_case {
	const char *label;
	struct mw_mime_limits lim;
	const char *msg;
	unsigned want_flags;
};

static const char many_parts[] =
    "Content-Type: multipart/mixed; boundary=b\n\n"
    "--b\n\none http://1.example/\n--b\n\ntwo http://2.example/\n"
    "--b\n\nthree http://3.example/\n--b--\n";
static const char nested[] =
    "Content-Type: multipart/mixed; boundary=a\n\n--a\n"
    "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
    "Content-Type: multipart/mixed; boundary=c\n\n--c\n\ndeep\n--c--\n--b--\n--a--\n";

static const struct limit_case limit_cases[] = {
	{ "within limits", { 20, 500, 1 << 20, 1 << 20, 1000 }, many_parts, 0 },
	{ "max_parts", { 20, 2, 1 << 20, 1 << 20, 1000 }, many_parts, MW_MSG_MIME_TRUNCATED },
	{ "max_uris", { 20, 500, 1 << 20, 1 << 20, 2 }, many_parts, MW_MSG_MIME_TRUNCATED },
	{ "max_text", { 20, 500, 1 << 20, 10, 1000 }, many_parts, MW_MSG_MIME_TRUNCATED },
	{ "max_part_decoded", { 20, 500, 4, 1 << 20, 1000 }, many_parts, MW_MSG_MIME_TRUNCATED },
	{ "max_depth", { 2, 500, 1 << 20, 1 << 20, 1000 }, nested, MW_MSG_MIME_TRUNCATED },
	{ "depth ok", { 3, 500, 1 << 20, 1 << 20, 1000 }, nested, 0 },
	{ "broken base64", { 20, 500, 1 << 20, 1 << 20, 1000 },
	  "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\naGVs*bG8=\n",
	  MW_MSG_MIME_MALFORMED },
	{ "multipart without boundary", { 20, 500, 1 << 20, 1 << 20, 1000 },
	  "Content-Type: multipart/mixed\n\n--x\n\ntext\n", MW_MSG_MIME_MALFORMED },
	{ "missing terminator", { 20, 500, 1 << 20, 1 << 20, 1000 },
	  "Content-Type: multipart/mixed; boundary=z\n\n--z\n\ntext\n", MW_MSG_MIME_MALFORMED },
};

static void
test_limits_and_malformed(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(limit_cases) / sizeof(limit_cases[0]); i++) {
		const struct limit_case *c = &limit_cases[i];
		struct mw_message m;
		const struct mw_views *v;
		size_t n, total = 0, k;

		print_message("case: %s\n", c->label);
		build(&m, c->msg, strlen(c->msg), &c->lim);
		assert_int_equal(m.flags & (MW_MSG_MIME_MALFORMED | MW_MSG_MIME_TRUNCATED),
		    c->want_flags);
		v = mw_mime_views(&m);
		assert_true(v->nuri <= c->lim.max_uris);
		mw_mime_parts(&m, &n);
		assert_true(n <= c->lim.max_parts);
		for (k = 1; k < v->nbody; k++)	/* [0] is the Subject */
			total += v->body[k].len;
		assert_true(total <= c->lim.max_text);
		assert_views_valid(&m);
		release(&m);
	}
}

/* Hostile shapes: no crash, bounded work, flags set. */
static void
test_hostile(void **state)
{
	struct mw_buf b;
	struct mw_message m;
	size_t i, n;

	(void)state;
	/* 10,000 nested multiparts */
	mw_buf_init(&b, 0);
	mw_buf_puts(&b, "Content-Type: multipart/mixed; boundary=b0\n\n");
	for (i = 0; i < 10000; i++)
		mw_buf_printf(&b, "--b%zu\nContent-Type: multipart/mixed; boundary=b%zu\n\n", i, i + 1);
	build(&m, b.data, b.len, NULL);
	assert_true(m.flags & MW_MSG_MIME_TRUNCATED);
	mw_mime_parts(&m, &n);
	assert_true(n <= 21);
	release(&m);
	mw_buf_free(&b);

	/* 100,000 tiny parts: GMime is shown only a bounded prefix */
	mw_buf_init(&b, 0);
	mw_buf_puts(&b, "Content-Type: multipart/mixed; boundary=p\n\n");
	for (i = 0; i < 100000; i++)
		mw_buf_puts(&b, "--p\n\nx\n");
	build(&m, b.data, b.len, NULL);
	assert_true(m.flags & MW_MSG_MIME_TRUNCATED);
	mw_mime_parts(&m, &n);
	assert_int_equal(n, 500);
	release(&m);
	mw_buf_free(&b);

	/* NULs, 8-bit junk in headers and body, a 1 MB header line */
	mw_buf_init(&b, 0);
	mw_buf_puts(&b, "Subject: ");
	for (i = 0; i < (1u << 20); i++)
		mw_buf_putc(&b, (char)(0x80 + i % 64));
	mw_buf_append(&b, "\nX: a\0b\n\nbody\0with\xff\xfe nul\n", 25);
	build(&m, b.data, b.len, NULL);
	assert_views_valid(&m);
	release(&m);
	mw_buf_free(&b);
}

/* A 40 MB attachment is never copied or decoded: peak RSS grows by far less. */
static void
test_memory_large_attachment(void **state)
{
	struct mw_buf b;
	struct mw_message m;
	struct rusage before, after;
	long grown_kb;

	(void)state;
	mw_buf_init(&b, 0);
	assert_int_equal(mw_buf_reserve(&b, (40u << 20) + 4096), 0);
	mw_buf_puts(&b, "Subject: big\nContent-Type: multipart/mixed; boundary=B\n\n"
	    "--B\nContent-Type: text/plain\n\nsee attachment\n--B\n"
	    "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n");
	while (b.len < (40u << 20))
		mw_buf_puts(&b, "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2\n");
	mw_buf_puts(&b, "--B--\n");
	/* warm up GMime's one-time allocations outside the measurement */
	build(&m, "Subject: x\n\ny\n", 14, NULL);
	release(&m);
	assert_int_equal(getrusage(RUSAGE_SELF, &before), 0);
	build(&m, b.data, b.len, NULL);
	assert_int_equal(getrusage(RUSAGE_SELF, &after), 0);
	grown_kb = after.ru_maxrss - before.ru_maxrss;
	print_message("peak RSS grew by %ld KB for a %zu-byte message\n", grown_kb, b.len);
	assert_true(grown_kb < 8 * 1024);
	assert_int_equal(mw_mime_views(&m)->nbody, 2);
	release(&m);
	mw_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alternative),
		cmocka_unit_test(test_crlf_same_as_lf),
		cmocka_unit_test(test_no_subject_and_empty),
		cmocka_unit_test(test_nested_rfc822),
		cmocka_unit_test(test_limits_and_malformed),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_memory_large_attachment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
