/*
 * test_charset - conversion to UTF-8: declared, aliased, undeclared, mislabelled,
 * invalid and truncated input.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "charset.h"
#include "utf8.h"

struct conv_case {
	const char *label;
	const char *charset;		/* NULL = undeclared */
	const char *in;
	size_t	 in_len;		/* 0 = strlen */
	const char *want;		/* UTF-8 */
	const char *used;		/* charset converted from */
	unsigned flags;			/* must all be set */
	unsigned not_flags;		/* must all be clear */
};

static const struct conv_case cases[] = {
	{ "ascii undeclared", NULL, "plain text", 0, "plain text", "US-ASCII",
	  MW_CHARSET_SNIFFED, MW_CHARSET_REPLACED },
	{ "utf-8 declared", "utf-8", "caf\xc3\xa9", 0, "caf\xc3\xa9", "UTF-8", 0,
	  MW_CHARSET_REPLACED },
	{ "utf8 alias", "UTF8", "caf\xc3\xa9", 0, "caf\xc3\xa9", "UTF-8", 0, 0 },
	{ "latin1 is read as windows-1252", "iso-8859-1", "caf\xe9 \x93q\x94", 0,
	  "caf\xc3\xa9 \xe2\x80\x9cq\xe2\x80\x9d", "WINDOWS-1252", 0, MW_CHARSET_REPLACED },
	{ "quoted label", "\"ISO-8859-2\"", "\xb1", 0, "\xc4\x85", "iso-8859-2", 0, 0 },
	{ "iso-8859-5", "iso-8859-5", "\xbf\xe0\xd8\xd2\xd5\xe2", 0,
	  "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "iso-8859-5", 0, 0 },
	{ "iso-8859-15 euro", "iso-8859-15", "\xa4", 0, "\xe2\x82\xac", "iso-8859-15", 0, 0 },
	{ "windows-1251", "windows-1251", "\xcf\xf0\xe8\xe2\xe5\xf2", 0,
	  "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "windows-1251", 0, 0 },
	{ "koi8-r", "koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4", 0,
	  "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "koi8-r", 0, 0 },
	{ "shift_jis via cp932", "Shift_JIS", "\x93\xfa\x96\x7b", 0,
	  "\xe6\x97\xa5\xe6\x9c\xac", "CP932", 0, 0 },
	{ "iso-2022-jp sniffed", NULL, "\x1b$BF|K\\\x1b(B", 0, "\xe6\x97\xa5\xe6\x9c\xac",
	  "ISO-2022-JP", MW_CHARSET_SNIFFED, 0 },
	{ "euc-kr via cp949", "ks_c_5601-1987", "\xc7\xd1", 0, "\xed\x95\x9c", "CP949", 0, 0 },
	{ "gb2312 via gb18030", "gb2312", "\xd6\xd0", 0, "\xe4\xb8\xad", "GB18030", 0, 0 },
	{ "utf-16 with BOM", "utf-16", "\xff\xfeh\0i\0", 6, "hi", "UTF-16", 0, 0 },
	{ "utf-16 without BOM, LE", "utf-16", "h\0i\0", 4, "hi", "UTF-16LE", 0, 0 },
	{ "utf-16 without BOM, BE", "utf-16", "\0h\0i", 4, "hi", "UTF-16BE", 0, 0 },
	{ "undeclared utf-8", NULL, "na\xc3\xafve", 0, "na\xc3\xafve", "UTF-8",
	  MW_CHARSET_SNIFFED, 0 },
	{ "undeclared 8-bit", NULL, "na\xefve", 0, "na\xc3\xafve", "WINDOWS-1252",
	  MW_CHARSET_SNIFFED, 0 },
	{ "ascii label on utf-8", "us-ascii", "na\xc3\xafve", 0, "na\xc3\xafve", "UTF-8",
	  MW_CHARSET_MISMATCH, 0 },
	{ "shift_jis label on utf-8", "shift_jis", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 0,
	  "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "UTF-8", MW_CHARSET_MISMATCH, 0 },
	{ "unknown charset falls back", "x-no-such-charset", "abc \xe9", 0, "abc \xc3\xa9",
	  "WINDOWS-1252", MW_CHARSET_UNKNOWN, 0 },
	{ "invalid utf-8 replaced", "utf-8", "a\xff" "b\xc3", 0, "a\xef\xbf\xbd" "b\xef\xbf\xbd",
	  "UTF-8", MW_CHARSET_REPLACED, 0 },
	{ "invalid shift_jis byte replaced", "shift_jis", "a\x81\x20" "b", 0, NULL, "CP932",
	  MW_CHARSET_REPLACED, 0 },
	{ "utf-8 BOM dropped", "utf-8", "\xef\xbb\xbfhi", 0, "hi", "UTF-8", 0, 0 },
	{ "nul bytes kept", "utf-8", "a\0b", 3, NULL, "UTF-8", 0, MW_CHARSET_REPLACED },
	{ "glibc passes 0xF5 sequences through", "ut*f-8", "a\xf5\xbc\x90\x91" "b", 0,
	  "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "b", "ut*f-8",
	  MW_CHARSET_REPLACED, 0 },
};

static void
test_conversions(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct conv_case *c = &cases[i];
		struct mw_charset_result res;
		struct mw_buf out;
		size_t n = c->in_len ? c->in_len : strlen(c->in);

		mw_buf_init(&out, 0);
		print_message("case: %s\n", c->label);
		assert_int_equal(mw_charset_to_utf8(c->charset, c->in, n, &out, &res), 0);
		if (c->want) {
			assert_int_equal(out.len, strlen(c->want));
			assert_memory_equal(out.data, c->want, out.len);
		}
		assert_true(mw_utf8_valid(out.data ? out.data : "", out.len));
		if (strcasecmp(res.used, c->used) != 0)
			fail_msg("%s: used %s, want %s", c->label, res.used, c->used);
		assert_int_equal(res.flags & c->flags, c->flags);
		assert_int_equal(res.flags & c->not_flags, 0);
		mw_buf_free(&out);
	}
}

/* The cap is honoured and never splits a character. */
static void
test_cap(void **state)
{
	struct mw_charset_result res;
	struct mw_buf out;
	char in[1000];

	(void)state;
	memset(in, 0xe9, sizeof(in));	/* each becomes 2 bytes */
	mw_buf_init(&out, 101);
	assert_int_equal(mw_charset_to_utf8("iso-8859-1", in, sizeof(in), &out, &res), 0);
	assert_true(res.flags & MW_CHARSET_TRUNCATED);
	assert_int_equal(out.len, 100);
	assert_true(mw_utf8_valid(out.data, out.len));
	mw_buf_free(&out);
}

static void
test_html_meta(void **state)
{
	char cs[48];

	(void)state;
	assert_int_equal(mw_charset_from_html_meta("<html><meta charset=\"KOI8-R\">", 30, cs,
	    sizeof(cs)), 0);
	assert_string_equal(cs, "koi8-r");
	assert_int_equal(mw_charset_from_html_meta("<meta http-equiv=\"Content-Type\" "
	    "content=\"text/html; charset=windows-1251\">", 73, cs, sizeof(cs)), 0);
	assert_string_equal(cs, "windows-1251");
	assert_int_equal(mw_charset_from_html_meta("<p>no charset</p>", 17, cs, sizeof(cs)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_html_meta),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
