/*
 * test_message - the header-block parser on well-formed and hostile input.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "message.h"

static const struct mw_limits lim = { .max_header_count = 50, .max_header_size = 1024 };

struct header_case {
	const char *label;
	const char *input;
	size_t	 input_len;	/* 0 = strlen */
	size_t	 nheaders;
	const char *name0, *value0;	/* first header expected (NULL = none) */
	unsigned flags;
	size_t	 body_len;
};

static const struct header_case cases[] = {
	{ "simple", "From: a@b\nSubject: hi\n\nbody\n", 0, 2, "From", "a@b", 0, 5 },
	{ "crlf", "From: a@b\r\nSubject: hi\r\n\r\nbody\r\n", 0, 2, "From", "a@b", 0, 6 },
	{ "folded", "Subject: one\n\ttwo\n  three\n\n", 0, 1, "Subject", "one\ttwo  three", 0, 0 },
	{ "fold right after colon", "Subject:\n  later\n\n", 0, 1, "Subject", "later", 0, 0 },
	{ "missing colon", "From: a@b\nthis is no header\nTo: c@d\n\nx", 0, 2, "From", "a@b",
	  MW_MSG_MALFORMED_HEADER, 1 },
	{ "leading space before any field", " cont\nFrom: a\n\n", 0, 1, "From", "a",
	  MW_MSG_MALFORMED_HEADER, 0 },
	{ "no body separator", "From: a@b\nTo: c@d\n", 0, 2, "From", "a@b", MW_MSG_NO_BODY, 0 },
	{ "empty message", "", 0, 0, NULL, NULL, MW_MSG_NO_BODY, 0 },
	{ "only the blank line", "\nbody", 0, 0, NULL, NULL, 0, 4 },
	{ "nul in value", "Subject: a\0b\n\n", 14, 1, "Subject", "a b", MW_MSG_NUL_BYTES, 0 },
	{ "8bit value", "Subject: caf\xc3\xa9\n\n", 0, 1, "Subject", "caf\xc3\xa9",
	  MW_MSG_8BIT_HEADER, 0 },
	{ "obsolete space before colon", "Subject : x\n\n", 0, 1, "Subject", "x", 0, 0 },
	{ "space inside name", "Bad Name: x\nTo: y\n\n", 0, 1, "To", "y",
	  MW_MSG_MALFORMED_HEADER, 0 },
	{ "colon first", ": x\n\n", 0, 0, NULL, NULL, MW_MSG_MALFORMED_HEADER, 0 },
	{ "trailing white space trimmed", "Subject: x  \t\n\n", 0, 1, "Subject", "x", 0, 0 },
	/* An empty value is a valid, NUL-terminated empty string (the fuzzer found one
	 * that was not). */
	{ "empty value", "Subject: \nX-Empty:\n\n", 0, 2, "Subject", "", 0, 0 },
};

static void
test_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct header_case *c = &cases[i];
		struct mw_message m;
		size_t len = c->input_len ? c->input_len : strlen(c->input);

		print_message("case: %s\n", c->label);
		mw_message_init(&m);
		assert_int_equal(mw_message_parse(&m, c->input, len, &lim), 0);
		assert_int_equal(m.nheaders, c->nheaders);
		if (c->name0) {
			assert_string_equal(m.headers[0].name, c->name0);
			assert_string_equal(m.headers[0].value, c->value0);
		}
		assert_int_equal(m.flags, c->flags);
		assert_int_equal(m.body_len, c->body_len);
		mw_message_free(&m);
	}
}

static void
test_repeated_and_index(void **state)
{
	static const char msg[] = "Received: a\nX-Spam-Status: no\nReceived: b\nreceived: c\n\n";
	struct mw_message m;

	(void)state;
	mw_message_init(&m);
	assert_int_equal(mw_message_parse(&m, msg, sizeof(msg) - 1, &lim), 0);
	assert_int_equal(mw_message_header_count(&m, "RECEIVED"), 3);
	assert_string_equal(mw_message_header(&m, "received", 2)->value, "c");
	assert_int_equal(mw_message_header(&m, "received", 2)->index, 3);
	assert_int_equal(mw_message_header(&m, "x-spam-status", 0)->index, 1);
	assert_null(mw_message_header(&m, "received", 3));
	mw_message_free(&m);
}

static void
test_limits(void **state)
{
	struct mw_limits small = { .max_header_count = 3, .max_header_size = 10 };
	static const char msg[] =
	    "A: 1\nB: 2\nC: 3\nD: 4\nLong: 0123456789abcdef\n\n";
	struct mw_message m;

	(void)state;
	mw_message_init(&m);
	assert_int_equal(mw_message_parse(&m, msg, sizeof(msg) - 1, &small), 0);
	assert_int_equal(m.nheaders, 3);
	assert_true(m.flags & MW_MSG_TOO_MANY_HEADERS);
	mw_message_free(&m);

	small.max_header_count = 10;
	mw_message_init(&m);
	assert_int_equal(mw_message_parse(&m, msg, sizeof(msg) - 1, &small), 0);
	assert_string_equal(mw_message_header(&m, "Long", 0)->value, "0123456789");
	assert_true(m.flags & MW_MSG_HEADER_TRUNCATED);
	mw_message_free(&m);
}

/* A 1 MB single-line header is bounded by max_header_size, not copied whole. */
static void
test_huge_header(void **state)
{
	size_t n = 1024 * 1024;
	char *msg = malloc(n + 32);
	struct mw_message m;

	(void)state;
	assert_non_null(msg);
	memcpy(msg, "Subject: ", 9);
	memset(msg + 9, 'x', n);
	memcpy(msg + 9 + n, "\n\nbody", 6);
	mw_message_init(&m);
	assert_int_equal(mw_message_parse(&m, msg, n + 15, &lim), 0);
	assert_int_equal(m.nheaders, 1);
	assert_int_equal(m.headers[0].value_len, lim.max_header_size);
	assert_true(m.flags & MW_MSG_HEADER_TRUNCATED);
	assert_int_equal(m.body_len, 4);
	mw_message_free(&m);
	free(msg);
}

/* Arbitrary bytes never crash the parser and always give a consistent view. */
static void
test_random_bytes(void **state)
{
	unsigned seed = 12345;
	char buf[512];
	int round;
	size_t i;

	(void)state;
	for (round = 0; round < 2000; round++) {
		struct mw_message m;
		size_t len = (size_t)(rand_r(&seed) % (int)sizeof(buf));
		for (i = 0; i < len; i++) {
			int r = rand_r(&seed) % 8;
			buf[i] = r == 0 ? '\n' : r == 1 ? ':' : r == 2 ? ' ' : (char)rand_r(&seed);
		}
		mw_message_init(&m);
		assert_int_equal(mw_message_parse(&m, buf, len, &lim), 0);
		assert_true(m.header_len + m.body_len == len);
		assert_true(m.nheaders <= lim.max_header_count);
		mw_message_free(&m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_repeated_and_index),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_huge_header),
		cmocka_unit_test(test_random_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
