/*
 * test_verdict - proposals: the strongest action wins, whatever the order.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "verdict.h"

struct order_case {
	const char *label;
	enum mw_action first, second, expect;
	const char *expect_stage;
};

static const struct order_case cases[] = {
	{ "reject beats tag", MW_ACTION_TAG, MW_ACTION_REJECT, MW_ACTION_REJECT, "b" },
	{ "reject is not weakened", MW_ACTION_REJECT, MW_ACTION_TAG, MW_ACTION_REJECT, "a" },
	{ "hold beats tempfail", MW_ACTION_TEMPFAIL, MW_ACTION_HOLD, MW_ACTION_HOLD, "b" },
	{ "discard beats hold", MW_ACTION_HOLD, MW_ACTION_DISCARD, MW_ACTION_DISCARD, "b" },
	{ "tempfail beats tag", MW_ACTION_TAG, MW_ACTION_TEMPFAIL, MW_ACTION_TEMPFAIL, "b" },
	{ "first of equals stays", MW_ACTION_TAG, MW_ACTION_TAG, MW_ACTION_TAG, "a" },
	{ "accept then tag", MW_ACTION_ACCEPT, MW_ACTION_TAG, MW_ACTION_TAG, "b" },
};

static void
test_order(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mw_verdict v;

		print_message("case: %s\n", cases[i].label);
		mw_verdict_init(&v);
		mw_verdict_propose(&v, cases[i].first, "a", 550, "5.7.1", "first");
		mw_verdict_propose(&v, cases[i].second, "b", 451, "4.3.0", "second");
		assert_int_equal(v.action, cases[i].expect);
		assert_string_equal(v.decided_by, cases[i].expect_stage);
		assert_string_equal(v.reply.text,
		    strcmp(cases[i].expect_stage, "a") == 0 ? "first" : "second");
		mw_verdict_free(&v);
	}
}

static void
test_edits(void **state)
{
	struct mw_verdict v;

	(void)state;
	mw_verdict_init(&v);
	assert_int_equal(mw_verdict_delete_header(&v, "X-Spam-Flag", 2), 0);
	assert_int_equal(mw_verdict_add_header(&v, "X-Virus-Status", "Clean"), 0);
	assert_int_equal(mw_verdict_change_header(&v, "Subject", 1, "[SPAM] hi"), 0);
	assert_int_equal(v.nedits, 3);
	assert_int_equal(v.edits[0].op, MW_HDR_DELETE);
	assert_int_equal(v.edits[0].index, 2);
	assert_null(v.edits[0].value);
	assert_string_equal(v.edits[1].value, "Clean");
	assert_string_equal(v.edits[2].value, "[SPAM] hi");
	mw_verdict_free(&v);
	assert_int_equal(v.nedits, 0);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(mw_action_name(MW_ACTION_ACCEPT), "accept");
	assert_string_equal(mw_action_name(MW_ACTION_TAG), "tag");
	assert_string_equal(mw_action_name(MW_ACTION_HOLD), "hold");
	assert_string_equal(mw_action_name(MW_ACTION_REJECT), "reject");
	assert_string_equal(mw_action_name(MW_ACTION_TEMPFAIL), "tempfail");
	assert_string_equal(mw_action_name(MW_ACTION_DISCARD), "discard");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_edits),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
