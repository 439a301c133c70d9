/*
 * fuzz_rules - libFuzzer target for the rule-file loader and the engine: the input
 * is a rule file; it is loaded (every diagnostic path), and the resulting ruleset
 * is run over a small fixed message with body views.  Build with --enable-fuzzing
 * (clang); seeds in tests/fuzz/seeds-rules.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "message.h"
#include "mime.h"
#include "rules_eval.h"
#include "rules_load.h"

static const char msg[] =
	"From: \"A\" <a@example.com>\nTo: b@example.net\nSubject: hello there\n\nbody text\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mw_diag d;
	struct mw_ruleset *rs;
	struct mw_message m;
	struct mw_limits lim = { .max_header_count = 100, .max_header_size = 4096 };
	struct mw_textv body[] = { { "hello there", 11 }, { "body text", 9 } };
	struct mw_textv uri[] = { { "http://example.com/x", 20 } };
	struct mw_views views = { body, 2, body + 1, 1, uri, 1 };
	struct mw_rules_input in = { 0 };
	struct mw_rules_result res;

	mw_diag_init(&d);
	rs = mw_rules_load_string("fuzz.cf", (const char *)data, size, 0, &d);
	if (rs != NULL) {
		mw_message_init(&m);
		if (mw_message_parse(&m, msg, sizeof(msg) - 1, &lim) == 0) {
			in.msg = &m;
			in.views = &views;
			in.keep_matches = true;
			if (mw_rules_run(rs, &in, &res) == 0)
				mw_rules_result_free(&res);
		}
		mw_message_free(&m);
	}
	mw_rules_free(rs);
	mw_diag_free(&d);
	return 0;
}
