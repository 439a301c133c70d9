/*
 * test_html - rendering (entities, comments, scripts, white space as SpamAssassin
 * renders it), hidden text, URI attributes and structure facts.
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
#include "html.h"
#include "utf8.h"

struct render_case {
	const char *label;
	const char *html;
	const char *want;
};

static const struct render_case cases[] = {
	{ "entities", "<p>Fish &amp; chips &lt;3 &eacute;&#233;&#x263A;&nbsp;!</p>",
	  "\n\nFish & chips <3 \xc3\xa9\xc3\xa9\xe2\x98\xba\xc2\xa0!\n\n" },
	{ "comments and scripts dropped",
	  "a<!-- hidden comment -->b<script>var x='<p>no</p>';</script>c<style>p{}</style>d",
	  "abcd" },
	{ "br and div are line breaks", "one<br>two<div>three</div>", "one\ntwo\nthree\n" },
	{ "cells are spaces", "<table><tr><td>a</td><td>b</td></tr></table>", " a  b " },
	{ "title kept", "<html><head><title>T</title></head><body>x</body></html>",
	  "\n\nT\n\nx" },
	{ "broken markup recovered", "<p>unclosed <b>bold <i>both</p>after", "\n\nunclosed bold both\n\nafter" },
	{ "tag soup in attributes", "<a href='x>y'>link</a>", "link" },
	{ "no markup at all", "just text", "just text" },
	{ "empty", "", "" },
};

static void
test_render(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mw_html_facts f;
		struct mw_buf out;

		memset(&f, 0, sizeof(f));
		mw_buf_init(&out, 0);
		print_message("case: %s\n", cases[i].label);
		assert_int_equal(mw_html_render(cases[i].html, strlen(cases[i].html), &out, &f,
		    NULL, NULL), 0);
		assert_string_equal(out.data ? out.data : "", cases[i].want);
		mw_buf_free(&out);
	}
}

static int
collect(void *arg, const char *s, size_t n)
{
	struct mw_buf *b = arg;

	mw_buf_append(b, s, n);
	return mw_buf_putc(b, '|');
}

static void
test_facts_and_uris(void **state)
{
	static const char html[] =
	    "<html><head><meta http-equiv=refresh content=\"0; url=http://r.example/\">"
	    "<title>Offer</title></head>"
	    "<body bgcolor=\"#FFFFFF\" background=\"http://bg.example/i.png\">"
	    "<a href=\"http://a.example/\">A</a><img src=\"http://i.example/x.gif\" width=10 "
	    "height=20><img src=cid:x><form action=\"https://f.example/post\"><input type=text>"
	    "</form><iframe src=\"http://fr.example/\"></iframe>"
	    "<font color=\"#fffffe\">invisible</font><span style=\"display: none\">gone</span>"
	    "<span style=\"font-size:0px\">tiny</span><div hidden>h</div>visible<!-- c -->"
	    "</body></html>";
	struct mw_html_facts f;
	struct mw_buf out, uris;

	(void)state;
	memset(&f, 0, sizeof(f));
	mw_buf_init(&out, 0);
	mw_buf_init(&uris, 0);
	assert_int_equal(mw_html_render(html, strlen(html), &out, &f, collect, &uris), 0);
	assert_string_equal(uris.data, "http://r.example/|http://bg.example/i.png|"
	    "http://a.example/|http://i.example/x.gif|cid:x|https://f.example/post|"
	    "http://fr.example/|");
	assert_int_equal(f.parts, 1);
	assert_int_equal(f.anchors, 1);
	assert_int_equal(f.images, 2);
	assert_int_equal(f.images_with_size, 1);
	assert_int_equal(f.image_area, 200);
	assert_int_equal(f.forms, 1);
	assert_int_equal(f.inputs, 1);
	assert_int_equal(f.iframes, 1);
	assert_int_equal(f.fonts, 1);
	assert_int_equal(f.metas, 1);
	assert_int_equal(f.comments, 1);
	assert_string_equal(f.title, "Offer");
	assert_string_equal(f.bgcolor, "#ffffff");
	assert_string_equal(f.text_color, "#fffffe");
	/* invisible + gone + tiny + h are hidden; the rendered text still has them */
	assert_int_equal(f.hidden_text_len, strlen("invisible") + strlen("gone") +
	    strlen("tiny") + strlen("h"));
	assert_non_null(strstr(out.data, "invisible"));
	assert_non_null(strstr(out.data, "visible"));
	assert_int_equal(f.text_len, out.len);
	assert_int_equal(f.raw_len, strlen(html));
	assert_int_equal(f.markup_len, f.raw_len - f.text_len);
	mw_buf_free(&out);
	mw_buf_free(&uris);
}

/* Hostile: the output cap holds, deep nesting and junk do not crash. */
static void
test_hostile(void **state)
{
	struct mw_html_facts f;
	struct mw_buf out;
	size_t n = 200000, i;
	char *big = malloc(n * 6 + 16);

	(void)state;
	assert_non_null(big);
	for (i = 0; i < n; i++)
		memcpy(big + i * 5, "<div>", 5);
	strcpy(big + n * 5, "x");
	memset(&f, 0, sizeof(f));
	mw_buf_init(&out, 1000);
	assert_int_equal(mw_html_render(big, strlen(big), &out, &f, NULL, NULL), 0);
	assert_true(out.len <= 1000);
	assert_true(out.truncated);
	mw_buf_free(&out);
	for (i = 0; i < n; i++)
		big[i] = (char)(i * 7919 % 251 + 1);
	big[n] = '\0';
	mw_buf_init(&out, 0);
	assert_int_equal(mw_html_render(big, n, &out, &f, NULL, NULL), 0);
	assert_true(mw_utf8_valid(out.data ? out.data : "", out.len));
	mw_buf_free(&out);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_facts_and_uris),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
