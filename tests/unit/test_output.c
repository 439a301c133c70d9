/*
 * test_output - the core end to end on the embedded defaults: forged result
 * headers removed, oversize handling, and the log record / JSON a sender cannot
 * corrupt.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "envelope.h"
#include "generation.h"
#include "output.h"
#include "scan.h"
#include "verdict.h"

/* The foundation's behaviour alone: no spam rules and no SPF lookups (each stage
 * has its own tests). */
static int
setup(void **state)
{
	static const char conf[] = "rules =\nspf_check = no\n";
	char path[] = "/tmp/mw-test-output.XXXXXX";
	struct mw_diag d;
	size_t i;
	int fd;

	if ((fd = mkstemp(path)) < 0)
		return -1;
	if (write(fd, conf, sizeof(conf) - 1) != (ssize_t)(sizeof(conf) - 1)) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	mw_diag_init(&d);
	*state = mw_generation_build(path, false, 1, &d);
	for (i = 0; i < d.n; i++)
		print_message("%s\n", d.v[i].text);
	mw_diag_free(&d);
	unlink(path);
	return *state ? 0 : -1;
}

static int
teardown(void **state)
{
	mw_generation_unref(*state);
	return 0;
}

static void
scan_text(struct mw_generation *g, struct mw_envelope *env, const char *msg, size_t total,
    struct mw_verdict *v)
{
	mw_verdict_init(v);
	assert_int_equal(mw_scan(g, env, msg, strlen(msg), total ? total : strlen(msg), v), 0);
}

static void
test_strip_forged(void **state)
{
	static const char msg[] =
	    "X-Spam-Status: No, score=-100\n"
	    "Subject: hi\n"
	    "x-spam-flag: NO\n"
	    "X-Mailwarden-TLS: TLSv1.3 (forged)\n"
	    "X-Spam-Status: No again\n"
	    "X-Virus-Status: Clean\n"
	    "\nbody\n";
	struct mw_envelope env;
	struct mw_verdict v;
	size_t i, ndel = 0;

	mw_envelope_init(&env);
	scan_text(*state, &env, msg, 0, &v);
	for (i = 0; i < v.nedits; i++)
		if (v.edits[i].op == MW_HDR_DELETE)
			ndel++;
	assert_int_equal(ndel, 5);
	assert_string_equal(v.edits[0].name, "X-Spam-Status");
	assert_int_equal(v.edits[0].index, 1);
	assert_string_equal(v.edits[3].name, "X-Spam-Status");
	assert_int_equal(v.edits[3].index, 2);
	mw_verdict_free(&v);
	mw_envelope_clear(&env);
}

struct oversize_case {
	const char *conf_value;	/* oversize_action */
	enum mw_action action;
	int code;
};

static void
test_oversize(void **state)
{
	static const char msg[] = "Subject: big\n\nbody\n";
	struct mw_generation *g = *state;
	struct mw_envelope env;
	struct mw_verdict v;
	static const struct oversize_case cases[] = {
		{ "accept", MW_ACTION_ACCEPT, 0 },
		{ "tempfail", MW_ACTION_TEMPFAIL, 452 },
		{ "reject", MW_ACTION_REJECT, 552 },
	};
	size_t i;
	int saved = g->conf->oversize_action;

	mw_envelope_init(&env);
	for (i = 0; i < 3; i++) {
		g->conf->oversize_action = (int)i;
		scan_text(g, &env, msg, (size_t)g->conf->max_message_size + 1, &v);
		assert_int_equal(v.action, cases[i].action);
		assert_int_equal(v.reply.code, cases[i].code);
		assert_string_equal(v.skip_reason, "oversize");
		mw_verdict_free(&v);
	}
	g->conf->oversize_action = saved;
	mw_envelope_clear(&env);
}

static void
test_log_record_escaping(void **state)
{
	static const char msg[] = "Subject: secret words\n\nbody text\n";
	struct mw_envelope env;
	struct mw_verdict v;
	struct mw_buf b;

	mw_envelope_init(&env);
	assert_int_equal(mw_envelope_set(&env.queue_id, "4XyZ12"), 0);
	assert_int_equal(mw_envelope_set_path(&env.mail_from, "<evil action=reject\n@x>"), 0);
	assert_int_equal(mw_envelope_add_rcpt(&env, "<a@b>"), 0);
	scan_text(*state, &env, msg, 0, &v);
	mw_buf_init(&b, 0);
	assert_int_equal(mw_output_log_record(*state, &env, &v, &b), 0);
	assert_memory_equal(b.data, "queue_id=4XyZ12 from=evil\\x20action\\x3Dreject\\x0A@x rcpts=1",
	    strlen("queue_id=4XyZ12 from=evil\\x20action\\x3Dreject\\x0A@x rcpts=1"));
	assert_null(strchr(b.data, '\n'));
	assert_null(strstr(b.data, "secret"));		/* no message content */
	assert_null(strstr(b.data, "body text"));
	mw_buf_reset(&b);
	assert_int_equal(mw_output_json(&env, &v, "f.eml", &b), 0);
	assert_memory_equal(b.data, "{\"file\":\"f.eml\",\"action\":\"accept\",\"reply\":null",
	    strlen("{\"file\":\"f.eml\",\"action\":\"accept\",\"reply\":null"));
	mw_buf_free(&b);
	mw_verdict_free(&v);
	mw_envelope_clear(&env);
}

static void
test_null_sender(void **state)
{
	struct mw_envelope env;
	struct mw_verdict v;
	struct mw_buf b;

	mw_envelope_init(&env);
	assert_int_equal(mw_envelope_set_path(&env.mail_from, "<>"), 0);
	scan_text(*state, &env, "From: x\n\n", 0, &v);
	mw_buf_init(&b, 0);
	assert_int_equal(mw_output_log_record(*state, &env, &v, &b), 0);
	assert_non_null(strstr(b.data, " from=<> "));
	mw_buf_free(&b);
	mw_verdict_free(&v);
	mw_envelope_clear(&env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strip_forged),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_log_record_escaping),
		cmocka_unit_test(test_null_sender),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
