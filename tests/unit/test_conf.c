/*
 * test_conf - the option table and the mailwarden.conf parser: values, ranges,
 * every error with its file:line, all errors reported.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"

static char *
write_temp(const char *text)
{
	char *path = strdup("/tmp/mw-test-conf.XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void
test_defaults(void **state)
{
	struct mw_diag d;
	struct mw_conf *c;

	(void)state;
	mw_diag_init(&d);
	c = mw_conf_load(NULL, true, &d);
	assert_non_null(c);
	assert_int_equal(d.nerrors, 0);
	assert_string_equal(c->socket, "inet:8899@127.0.0.1");
	assert_int_equal(c->max_message_size, 50L * 1024 * 1024);
	assert_int_equal(c->socket_mode, 0660);
	assert_int_equal(c->oversize_action, MW_OVERSIZE_ACCEPT);
	mw_conf_free(c);
	mw_diag_free(&d);
}

static void
test_missing_file(void **state)
{
	struct mw_diag d;
	struct mw_conf *c;

	(void)state;
	mw_diag_init(&d);
	c = mw_conf_load("/nonexistent/mailwarden.conf", true, &d);
	assert_non_null(c);			/* embedded defaults */
	assert_null(c->path);
	mw_conf_free(c);
	c = mw_conf_load("/nonexistent/mailwarden.conf", false, &d);
	assert_null(c);
	assert_int_equal(d.nerrors, 1);
	assert_non_null(strstr(d.v[0].text, "/nonexistent/mailwarden.conf: cannot open"));
	mw_diag_free(&d);
}

static void
test_values(void **state)
{
	static const char text[] =
	    "# comment\n"
	    "\n"
	    "socket = unix:/run/mailwarden/mw.sock   # trailing comment\n"
	    "socket_mode=0600\n"
	    "max_message_size = 10M\n"
	    "memory_body_limit = 512k\n"
	    "oversize_action = REJECT\n"
	    "milter_timeout = 2m\n"
	    "hostname = \"mx.example.net\"\n"
	    "log_file = /var/log/mw#1.log\n";
	struct mw_diag d;
	struct mw_conf *c;
	char *path = write_temp(text);

	(void)state;
	mw_diag_init(&d);
	c = mw_conf_load(path, false, &d);
	assert_non_null(c);
	assert_string_equal(c->socket, "unix:/run/mailwarden/mw.sock");
	assert_int_equal(c->socket_mode, 0600);
	assert_int_equal(c->max_message_size, 10L * 1024 * 1024);
	assert_int_equal(c->memory_body_limit, 512L * 1024);
	assert_int_equal(c->oversize_action, MW_OVERSIZE_REJECT);
	assert_int_equal(c->milter_timeout, 120);
	assert_string_equal(c->hostname, "mx.example.net");
	assert_string_equal(c->log_file, "/var/log/mw#1.log");	/* '#' inside a word */
	mw_conf_free(c);
	mw_diag_free(&d);
	unlink(path);
	free(path);
}

struct error_case {
	const char *line;
	const char *expect;	/* substring of the diagnostic after "file:2: " */
};

static const struct error_case error_cases[] = {
	{ "no_such_option = 1", "unknown option 'no_such_option'" },
	{ "socket", "expected 'name = value'" },
	{ "max_message_size = lots", "max_message_size: 'lots' is not a size" },
	{ "max_message_size = 10", "max_message_size: 10 is out of range" },
	{ "max_header_count = 9", "max_header_count: 9 is out of range 10..100000" },
	{ "max_header_count = 12x", "'12x' is not an integer" },
	{ "oversize_action = bounce", "'bounce' is not one of accept tempfail reject" },
	{ "socket_mode = 999", "'999' is not an octal mode" },
	{ "milter_timeout = 1d", "'1d' is not a duration" },
	{ "log_facility = kernel", "'kernel' is not one of" },
};

static void
test_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		struct mw_diag d;
		char text[256], expect[512];
		char *path;

		print_message("case: %s\n", error_cases[i].line);
		snprintf(text, sizeof(text), "# first line\n%s\n", error_cases[i].line);
		path = write_temp(text);
		mw_diag_init(&d);
		assert_null(mw_conf_load(path, false, &d));
		assert_int_equal(d.nerrors, 1);
		snprintf(expect, sizeof(expect), "%s:2: ", path);
		assert_memory_equal(d.v[0].text, expect, strlen(expect));
		assert_non_null(strstr(d.v[0].text, error_cases[i].expect));
		mw_diag_free(&d);
		unlink(path);
		free(path);
	}
}

/* All errors are reported, not just the first; duplicates name the earlier line. */
static void
test_all_errors(void **state)
{
	static const char text[] =
	    "bogus = 1\n"
	    "socket = inet:1@127.0.0.1\n"
	    "socket = inet:2@127.0.0.1\n"
	    "max_header_count = -5\n";
	struct mw_diag d;
	char *path = write_temp(text);

	(void)state;
	mw_diag_init(&d);
	assert_null(mw_conf_load(path, false, &d));
	assert_int_equal(d.nerrors, 3);
	assert_non_null(strstr(d.v[0].text, ":1: unknown option"));
	assert_non_null(strstr(d.v[1].text, ":3: 'socket' already set at line 2"));
	assert_non_null(strstr(d.v[2].text, ":4: max_header_count"));
	mw_diag_free(&d);
	unlink(path);
	free(path);
}

/* Every option's default parses and every option has help text. */
static void
test_table(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < mw_noptions; i++) {
		assert_non_null(mw_options[i].help);
		assert_true(strlen(mw_options[i].help) > 5);
		for (j = 0; j < i; j++)
			assert_string_not_equal(mw_options[i].name, mw_options[j].name);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_all_errors),
		cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
