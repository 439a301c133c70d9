/*
 * test_uri - normalisation, obfuscated hosts, and finding URIs in text.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "uri.h"

struct norm_case {
	const char *in;
	int	 rc;			/* 0 kept, 1 not a URI we keep */
	const char *want;
	const char *host;
	unsigned flags;
};

static const struct norm_case norm_cases[] = {
	{ "HTTP://WWW.Example.COM/Path", 0, "http://www.example.com/Path", "www.example.com", 0 },
	{ "https://example.com", 0, "https://example.com/", "example.com", 0 },
	{ "https://example.com?q=1", 0, "https://example.com/?q=1", "example.com", 0 },
	{ "www.example.com/x", 0, "http://www.example.com/x", "www.example.com",
	  MW_URI_NO_SCHEME },
	{ "ftp.example.com", 0, "ftp://ftp.example.com/", "ftp.example.com", MW_URI_NO_SCHEME },
	{ "  \"http://example.com/a\"  ", 0, "http://example.com/a", "example.com", 0 },
	{ "http://exa\nmple.com/a\tb", 0, "http://example.com/ab", "example.com", 0 },
	{ "http://example.com/%7Euser/%41%20%2F", 0, "http://example.com/~user/A%20%2F",
	  "example.com", 0 },
	{ "http://%65xample.com/", 0, "http://example.com/", "example.com",
	  MW_URI_ENCODED_HOST },
	{ "http://www.bank.com@evil.example/login", 0, "http://evil.example/login",
	  "evil.example", MW_URI_USERINFO },
	{ "http://user:pw@Host.Example:8080/", 0, "http://host.example:8080/", "host.example",
	  MW_URI_USERINFO },
	{ "http://192.168.1.1/", 0, "http://192.168.1.1/", "192.168.1.1", MW_URI_IP },
	{ "http://3232235777/", 0, "http://192.168.1.1/", "192.168.1.1",
	  MW_URI_IP | MW_URI_OBFUSCATED_IP },
	{ "http://0xC0.0xA8.0x01.0x01/", 0, "http://192.168.1.1/", "192.168.1.1",
	  MW_URI_IP | MW_URI_OBFUSCATED_IP },
	{ "http://0300.0250.01.01/", 0, "http://192.168.1.1/", "192.168.1.1",
	  MW_URI_IP | MW_URI_OBFUSCATED_IP },
	{ "http://192.168.257/", 0, "http://192.168.1.1/", "192.168.1.1",
	  MW_URI_IP | MW_URI_OBFUSCATED_IP },
	{ "http://[2001:DB8::1]:80/x", 0, "http://[2001:db8::1]:80/x", "[2001:db8::1]",
	  MW_URI_IP },
	{ "http://example.com./", 0, "http://example.com/", "example.com", 0 },
	{ "http:\\\\example.com\\x", 0, "http://example.com\\x", "example.com", 0 },
	{ "//cdn.example.net/a.js", 0, "http://cdn.example.net/a.js", "cdn.example.net", 0 },
	{ "MAILTO:Joe@EXAMPLE.com?subject=Hi", 0, "mailto:Joe@example.com?subject=Hi",
	  "example.com", 0 },
	{ "Joe.Bloggs@Example.COM", 0, "mailto:Joe.Bloggs@example.com", "example.com", 0 },
	{ "javascript:alert(1)", 1, NULL, NULL, 0 },
	{ "cid:part1@example", 1, NULL, NULL, 0 },
	{ "/relative/path", 1, NULL, NULL, 0 },
	{ "", 1, NULL, NULL, 0 },
	{ "http://", 1, NULL, NULL, 0 },
	{ "http://999.1.1.1/", 0, "http://999.1.1.1/", "999.1.1.1", 0 },
	{ "http://a%ffb.example/", 0, "http://a\xef\xbf\xbd" "b.example/", "a\xef\xbf\xbd" "b.example",
	  MW_URI_ENCODED_HOST },
	{ "http://a%0ab.example/", 0, "http://a%0ab.example/", "a%0ab.example", 0 },
};

static void
test_normalize(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
		const struct norm_case *c = &norm_cases[i];
		struct mw_uri u;
		int rc = mw_uri_normalize(c->in, strlen(c->in), 0, &u);

		print_message("case: %s\n", c->in);
		assert_int_equal(rc, c->rc);
		if (rc != 0)
			continue;
		assert_string_equal(u.uri, c->want);
		assert_int_equal(u.len, strlen(c->want));
		assert_string_equal(u.host, c->host);
		assert_int_equal(u.flags, c->flags);
		mw_uri_clear(&u);
	}
}

static void
test_ipv4_forms(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(mw_uri_parse_ipv4("10.0.0.1", 8, out), 0);
	assert_string_equal(out, "10.0.0.1");
	assert_int_equal(mw_uri_parse_ipv4("167772161", 9, out), 1);
	assert_string_equal(out, "10.0.0.1");
	assert_int_equal(mw_uri_parse_ipv4("10.1", 4, out), 1);
	assert_string_equal(out, "10.0.0.1");
	assert_int_equal(mw_uri_parse_ipv4("example.com", 11, out), -1);
	assert_int_equal(mw_uri_parse_ipv4("1.2.3.4.5", 9, out), -1);
	assert_int_equal(mw_uri_parse_ipv4("4294967296", 10, out), -1);
	assert_int_equal(mw_uri_parse_ipv4("08.1.1.1", 8, out), -1);	/* bad octal */
	assert_int_equal(mw_uri_parse_ipv4("1..1", 4, out), -1);
}

static int
collect(void *arg, const char *s, size_t n)
{
	struct mw_buf *b = arg;

	mw_buf_append(b, s, n);
	return mw_buf_putc(b, '|');
}

struct scan_case {
	const char *text;
	const char *want;	/* spans joined with '|' */
};

static const struct scan_case scan_cases[] = {
	{ "see http://example.com/a.", "http://example.com/a|" },
	{ "(http://example.com/a_(b)) and www.x.org, ok", "http://example.com/a_(b)|www.x.org|" },
	{ "<https://e.com/?q=1&r=2>", "https://e.com/?q=1&r=2|" },
	{ "mail mailto:a@b.c now", "mailto:a@b.c|" },
	{ "nowww.example.com xhttp://no", "" },
	{ "www. alone and www.nodot", "" },
	{ "HTTP://UPPER.example/X", "HTTP://UPPER.example/X|" },
	{ "two http://a.example http://b.example", "http://a.example|http://b.example|" },
	{ "utf8 http://a.example/\xc3\xa9t\xc3\xa9", "http://a.example/|" },
	{ "quote 'http://q.example/x'", "http://q.example/x|" },
	{ "mail list-unsubscribe@lists.example.com.", "list-unsubscribe@lists.example.com|" },
	{ "<a.b+tag@x-y.example.org>, c@d.example", "a.b+tag@x-y.example.org|c@d.example|" },
	{ "no tld a@b, a@b.c1, @example.com, a@.example.com", "" },
	{ "http://u@h.example/ then x@y.example", "http://u@h.example/|x@y.example|" },
};

static void
test_scan_text(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(scan_cases) / sizeof(scan_cases[0]); i++) {
		struct mw_buf b;

		mw_buf_init(&b, 0);
		mw_buf_puts(&b, "");
		print_message("case: %s\n", scan_cases[i].text);
		assert_int_equal(mw_uri_scan_text(scan_cases[i].text, strlen(scan_cases[i].text),
		    collect, &b), 0);
		assert_string_equal(b.data ? b.data : "", scan_cases[i].want);
		mw_buf_free(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_ipv4_forms),
		cmocka_unit_test(test_scan_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
