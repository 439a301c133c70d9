/*
 * fuzz_message - libFuzzer target for the message model (issue 3): the header
 * parser, GMime over our read-only stream, charset conversion, HTML rendering, URI
 * extraction and the JSON dump, with deliberately small limits so the limit paths
 * are exercised too.  Checks the model's promises: views are valid UTF-8,
 * NUL-terminated and within the limits.
 *
 * Build: ./configure --enable-fuzzing CC=clang && make tests/fuzz/fuzz_message
 * Run:   tests/fuzz/run-fuzz.sh SECONDS
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "message.h"
#include "mime.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_views(const struct mw_textv *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!mw_utf8_valid(v[i].s, v[i].len) || v[i].s[v[i].len] != '\0')
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mw_limits hlim = { .max_header_count = 200, .max_header_size = 4096 };
	struct mw_mime_limits ml = {
		.max_depth = 8, .max_parts = 64, .max_part_decoded = 64 * 1024,
		.max_text = 128 * 1024, .max_uris = 64,
	};
	struct mw_message m;
	const struct mw_views *v;
	struct mw_buf out;
	size_t n, i, text = 0;

	mw_message_init(&m);
	if (mw_message_parse(&m, (const char *)data, size, &hlim) < 0 ||
	    mw_mime_build(&m, &ml) < 0) {
		mw_message_free(&m);
		return 0;		/* ENOMEM only */
	}
	v = mw_mime_views(&m);
	check_views(v->body, v->nbody);
	check_views(v->rawbody, v->nrawbody);
	check_views(v->uri, v->nuri);
	mw_mime_parts(&m, &n);
	if (v->nuri > ml.max_uris || n > ml.max_parts)
		abort();
	for (i = 1; i < v->nbody; i++)
		text += v->body[i].len;
	if (text > ml.max_text)
		abort();
	for (i = 0; i < m.nheaders; i++) {
		const char *d = mw_mime_header_decoded(&m, m.headers[i].name, 0);

		if (d == NULL || !mw_utf8_valid(d, strlen(d)))
			abort();
	}
	mw_buf_init(&out, 0);
	if (mw_mime_dump_json(&m, &out) < 0 || !mw_utf8_valid(out.data, out.len))
		abort();
	mw_buf_free(&out);
	mw_mime_free(&m);
	mw_message_free(&m);
	return 0;
}
