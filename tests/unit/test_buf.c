/*
 * test_buf - bounded buffer and the two escapers (log values, JSON strings).
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "utf8.h"

struct esc_case {
	const char *label;
	const char *in;
	size_t	 len;
	const char *log;
	const char *json;
};

static const struct esc_case esc_cases[] = {
	{ "plain", "abc@example.com", 15, "abc@example.com", "\"abc@example.com\"" },
	{ "empty", "", 0, "-", "\"\"" },
	{ "newline cannot break the line", "a\nb", 3, "a\\x0Ab", "\"a\\nb\"" },
	{ "fake field", "x action=accept", 15, "x\\x20action\\x3Daccept",
	  "\"x action=accept\"" },
	{ "quote and backslash", "\"\\", 2, "\\x22\\x5C", "\"\\\"\\\\\"" },
	{ "utf8 kept in json, escaped in log", "\xc3\xa9", 2, "\\xC3\\xA9", "\"\xc3\xa9\"" },
	{ "invalid utf8 replaced in json", "\xff", 1, "\\xFF", "\"\xef\xbf\xbd\"" },
	{ "control char", "\x01", 1, "\\x01", "\"\\u0001\"" },
	{ "nul", "a\0b", 3, "a\\x00b", "\"a\\u0000b\"" },
	{ "overlong slash", "\xc0\xaf", 2, "\\xC0\\xAF", "\"\xef\xbf\xbd\xef\xbf\xbd\"" },
	{ "surrogate", "\xed\xa0\x80", 3, "\\xED\\xA0\\x80",
	  "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
};

static void
test_escaping(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(esc_cases) / sizeof(esc_cases[0]); i++) {
		const struct esc_case *c = &esc_cases[i];
		struct mw_buf b;

		print_message("case: %s\n", c->label);
		mw_buf_init(&b, 0);
		assert_int_equal(mw_buf_log_value(&b, c->in, c->len), 0);
		assert_string_equal(b.data, c->log);
		mw_buf_reset(&b);
		assert_int_equal(mw_buf_json_str(&b, c->in, c->len), 0);
		assert_string_equal(b.data, c->json);
		mw_buf_free(&b);
	}
}

static void
test_cap(void **state)
{
	struct mw_buf b;

	(void)state;
	mw_buf_init(&b, 8);
	assert_int_equal(mw_buf_puts(&b, "12345678"), 0);
	assert_int_equal(mw_buf_putc(&b, '9'), -1);
	assert_int_equal(errno, ERANGE);
	assert_true(b.truncated);
	assert_string_equal(b.data, "12345678");
	mw_buf_free(&b);
}

static void
test_printf_and_steal(void **state)
{
	struct mw_buf b;
	char *s;

	(void)state;
	mw_buf_init(&b, 0);
	assert_int_equal(mw_buf_printf(&b, "%d-%s", 42, "x"), 0);
	s = mw_buf_steal(&b);
	assert_string_equal(s, "42-x");
	assert_null(b.data);
	free(s);
	mw_buf_free(&b);
}

static void
test_utf8(void **state)
{
	size_t n;
	char *s;

	(void)state;
	assert_true(mw_utf8_valid("h\xc3\xa9llo", 6));
	assert_false(mw_utf8_valid("\xf5\x80\x80\x80", 4));	/* > U+10FFFF */
	assert_false(mw_utf8_valid("\xe0\x80\xaf", 3));	/* overlong */
	s = mw_utf8_sanitize("a\xffz", 3, &n);
	assert_string_equal(s, "a\xef\xbf\xbdz");
	assert_int_equal(n, 5);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_printf_and_steal),
		cmocka_unit_test(test_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
