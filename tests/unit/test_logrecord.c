/*
 * test_logrecord - the postmaster's view of the log (issue 10): addresses written
 * full, domain-only or as keyed hashes; the JSON form of the record; one record
 * per recipient; lifecycle records; and never any message content.
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

#include "buf.h"
#include "conf.h"
#include "envelope.h"
#include "generation.h"
#include "logaddr.h"
#include "output.h"
#include "scan.h"
#include "verdict.h"

#define KEY	"test-key-0123456789"

static const char message[] =
    "From: Alice <alice@example.org>\n"
    "Subject: SECRET-SUBJECT-WORDS\n"
    "\n"
    "SECRET-BODY-TEXT\n";

static int
setup(void **state)
{
	struct mw_diag d;

	mw_diag_init(&d);
	*state = mw_generation_build(NULL, true, 1, &d);
	mw_diag_free(&d);
	return *state ? 0 : -1;
}

static int
teardown(void **state)
{
	mw_generation_unref(*state);
	return 0;
}

static void
set_mode(struct mw_generation *g, int addresses, int format)
{
	free(g->conf->log_hash_key);
	g->conf->log_hash_key = strdup(KEY);
	assert_non_null(g->conf->log_hash_key);
	g->conf->log_addresses = addresses;
	g->conf->log_format = format;
}

static void
make_envelope(struct mw_envelope *env)
{
	mw_envelope_init(env);
	assert_int_equal(mw_envelope_set(&env->queue_id, "4F3A2B1C0D"), 0);
	assert_int_equal(mw_envelope_set_path(&env->mail_from, "<Alice@Example.ORG>"), 0);
	assert_int_equal(mw_envelope_add_rcpt(env, "<bob@example.net>"), 0);
	assert_int_equal(mw_envelope_add_rcpt(env, "<carol@other.example>"), 0);
	assert_int_equal(mw_envelope_set(&env->client_addr, "192.0.2.10"), 0);
}

/* The hash the documentation promises: HMAC-SHA256 over the lower-cased address,
 * first 16 hex digits (values computed independently with Python's hmac module). */
static void
test_hash_token(void **state)
{
	static const struct { const char *addr, *hex; } cases[] = {
		{ "alice@example.org", "d7a174ecb70e1deb" },
		{ "ALICE@Example.Org", "d7a174ecb70e1deb" },
		{ "bob", "5f162daba1d6bfc6" },
	};
	char hex[MW_LOGADDR_HEX + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(mw_logaddr_hash(KEY, strlen(KEY), cases[i].addr, hex), 0);
		assert_string_equal(hex, cases[i].hex);
	}
}

static void
test_address_modes(void **state)
{
	static const struct {
		int mode;
		const char *addr, *want;
	} cases[] = {
		{ MW_LOG_ADDR_FULL, "alice@example.org", "alice@example.org" },
		{ MW_LOG_ADDR_FULL, "a b@x", "a\\x20b@x" },
		{ MW_LOG_ADDR_FULL, "", "<>" },
		{ MW_LOG_ADDR_FULL, NULL, "-" },
		{ MW_LOG_ADDR_DOMAIN, "alice@example.org", "@example.org" },
		{ MW_LOG_ADDR_DOMAIN, "bob", "@-" },
		{ MW_LOG_ADDR_DOMAIN, "", "<>" },
		{ MW_LOG_ADDR_HASH, "alice@example.org", "h:d7a174ecb70e1deb@example.org" },
		{ MW_LOG_ADDR_HASH, "Alice@Example.org", "h:d7a174ecb70e1deb@Example.org" },
		{ MW_LOG_ADDR_HASH, "bob", "h:5f162daba1d6bfc6" },
		{ MW_LOG_ADDR_HASH, "", "<>" },
	};
	struct mw_buf b;
	size_t i;

	(void)state;
	mw_buf_init(&b, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mw_buf_reset(&b);
		assert_int_equal(mw_logaddr_put(&b, cases[i].mode, KEY, cases[i].addr), 0);
		assert_string_equal(b.data, cases[i].want);
	}
	mw_buf_free(&b);
}

/* Whatever the mode, the record carries neither the Subject nor the body, and in
 * domain/hash mode no local part of any address. */
static void
test_record_privacy(void **state)
{
	struct mw_generation *g = *state;
	static const struct { int mode, format; const char *from; } cases[] = {
		{ MW_LOG_ADDR_FULL, MW_LOG_KV, " from=Alice@Example.ORG " },
		{ MW_LOG_ADDR_DOMAIN, MW_LOG_KV, " from=@Example.ORG " },
		{ MW_LOG_ADDR_HASH, MW_LOG_KV, " from=h:d7a174ecb70e1deb@Example.ORG " },
		{ MW_LOG_ADDR_FULL, MW_LOG_JSON, "\"from\":\"Alice@Example.ORG\"" },
		{ MW_LOG_ADDR_HASH, MW_LOG_JSON, "\"from\":\"h:d7a174ecb70e1deb@Example.ORG\"" },
	};
	struct mw_envelope env;
	struct mw_verdict v;
	struct mw_buf b;
	size_t i, r;

	make_envelope(&env);
	mw_verdict_init(&v);
	assert_int_equal(mw_scan(g, &env, message, strlen(message), strlen(message), &v), 0);
	mw_buf_init(&b, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		set_mode(g, cases[i].mode, cases[i].format);
		mw_buf_reset(&b);
		assert_int_equal(mw_output_log_record(g, &env, &v, &b), 0);
		assert_non_null(strstr(b.data, cases[i].from));
		assert_null(strstr(b.data, "SECRET"));
		assert_null(strchr(b.data, '\n'));
		for (r = 0; r < env.nrcpts; r++) {
			mw_buf_reset(&b);
			assert_int_equal(mw_output_rcpt_records(g, &env, &v, r, &b), 0);
			assert_null(strstr(b.data, "SECRET"));
			if (cases[i].mode != MW_LOG_ADDR_FULL) {
				assert_null(strstr(b.data, "bob"));
				assert_null(strstr(b.data, "carol"));
			}
		}
	}
	set_mode(g, MW_LOG_ADDR_FULL, MW_LOG_KV);
	mw_buf_free(&b);
	mw_verdict_free(&v);
	mw_envelope_clear(&env);
}

static void
test_rcpt_records(void **state)
{
	struct mw_generation *g = *state;
	struct mw_envelope env;
	struct mw_verdict v;
	struct mw_buf b;
	char want[256];

	make_envelope(&env);
	mw_verdict_init(&v);
	assert_int_equal(mw_scan(g, &env, message, strlen(message), strlen(message), &v), 0);
	mw_buf_init(&b, 0);
	set_mode(g, MW_LOG_ADDR_FULL, MW_LOG_KV);
	assert_int_equal(mw_output_rcpt_records(g, &env, &v, 1, &b), 0);
	snprintf(want, sizeof(want), "queue_id=4F3A2B1C0D rcpt=carol@other.example rcpt_index=2 "
	    "customer=");
	assert_memory_equal(b.data, want, strlen(want));
	snprintf(want, sizeof(want), " action=%s", mw_action_name(v.action));
	assert_non_null(strstr(b.data, want));
	assert_non_null(strstr(b.data, " checks="));
	/* out of range */
	mw_buf_reset(&b);
	assert_int_equal(mw_output_rcpt_records(g, &env, &v, 2, &b), -1);
	/* JSON */
	set_mode(g, MW_LOG_ADDR_DOMAIN, MW_LOG_JSON);
	mw_buf_reset(&b);
	assert_int_equal(mw_output_rcpt_records(g, &env, &v, 0, &b), 0);
	assert_memory_equal(b.data, "{\"queue_id\":\"4F3A2B1C0D\",\"rcpt\":\"@example.net\","
	    "\"rcpt_index\":1,\"customer\":", strlen("{\"queue_id\":\"4F3A2B1C0D\",\"rcpt\":"
	    "\"@example.net\",\"rcpt_index\":1,\"customer\":"));
	assert_int_equal(b.data[b.len - 1], '}');
	assert_non_null(strstr(b.data, "\"checks\":["));
	set_mode(g, MW_LOG_ADDR_FULL, MW_LOG_KV);
	mw_buf_free(&b);
	mw_verdict_free(&v);
	mw_envelope_clear(&env);
}

/* The JSON record: the same fields as key=value, numbers typed, "-" as null, lists
 * as arrays, escapes decoded and re-encoded for JSON. */
static void
test_json_record(void **state)
{
	struct mw_generation *g = *state;
	struct mw_envelope env;
	struct mw_verdict v;
	struct mw_buf b;

	make_envelope(&env);
	assert_int_equal(mw_envelope_set_path(&env.mail_from, "<we\"ird x@example.org>"), 0);
	mw_verdict_init(&v);
	assert_int_equal(mw_scan(g, &env, message, strlen(message), strlen(message), &v), 0);
	mw_buf_init(&b, 0);
	set_mode(g, MW_LOG_ADDR_FULL, MW_LOG_JSON);
	assert_int_equal(mw_output_log_record(g, &env, &v, &b), 0);
	assert_memory_equal(b.data, "{\"queue_id\":\"4F3A2B1C0D\",\"from\":\"we\\\"ird x@example.org\","
	    "\"rcpts\":2,\"size\":", strlen("{\"queue_id\":\"4F3A2B1C0D\",\"from\":"
	    "\"we\\\"ird x@example.org\",\"rcpts\":2,\"size\":"));
	assert_non_null(strstr(b.data, "\"flags\":[]"));
	assert_non_null(strstr(b.data, "\"client\":\"192.0.2.10\""));
	assert_non_null(strstr(b.data, "\"elapsed_ms\":"));
	assert_null(strstr(b.data, "\"elapsed_ms\":\""));	/* a number, not a string */
	assert_int_equal(b.data[b.len - 1], '}');
	assert_null(strstr(b.data, "SECRET"));
	set_mode(g, MW_LOG_ADDR_FULL, MW_LOG_KV);
	mw_buf_free(&b);
	mw_verdict_free(&v);
	mw_envelope_clear(&env);
}

static void
test_event_record(void **state)
{
	struct mw_generation *g = *state;
	struct mw_buf b;

	mw_buf_init(&b, 0);
	set_mode(g, MW_LOG_ADDR_FULL, MW_LOG_KV);
	assert_int_equal(mw_output_event(g, &b, "reload_refused", "generation", "3",
	    "reason", "mailwarden.conf:12: unknown option 'x'", "changed", NULL, NULL), 0);
	assert_string_equal(b.data, "event=reload_refused generation=3 "
	    "reason=mailwarden.conf:12:\\x20unknown\\x20option\\x20'x' changed=-");
	mw_buf_reset(&b);
	set_mode(g, MW_LOG_ADDR_FULL, MW_LOG_JSON);
	assert_int_equal(mw_output_event(g, &b, "start", "version", "0.1.0", "generation", "1",
	    NULL), 0);
	assert_string_equal(b.data, "{\"event\":\"start\",\"version\":\"0.1.0\",\"generation\":1}");
	set_mode(g, MW_LOG_ADDR_FULL, MW_LOG_KV);
	mw_buf_free(&b);
}

static void
test_conf_hash_needs_key(void **state)
{
	static const struct { const char *text; bool ok; } cases[] = {
		{ "log_addresses = hash\n", false },
		{ "log_addresses = hash\nlog_hash_key = short\n", false },
		{ "log_addresses = hash\nlog_hash_key = a-long-enough-secret\n", true },
		{ "log_addresses = domain\n", true },
		{ "log_addresses = bogus\n", false },
	};
	char path[] = "/tmp/test_logrecord.XXXXXX";
	struct mw_conf *c;
	struct mw_diag d;
	size_t i;
	int fd;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strcpy(path, "/tmp/test_logrecord.XXXXXX");
		assert_true((fd = mkstemp(path)) >= 0);
		assert_int_equal(write(fd, cases[i].text, strlen(cases[i].text)),
		    (ssize_t)strlen(cases[i].text));
		close(fd);
		mw_diag_init(&d);
		c = mw_conf_load(path, false, &d);
		unlink(path);
		if (cases[i].ok)
			assert_non_null(c);
		else
			assert_null(c);
		mw_conf_free(c);
		mw_diag_free(&d);
	}
}

/* A single recipient is named in the message record (to=), per log_addresses. */
static void
test_single_recipient_named(void **state)
{
	struct mw_generation *g = *state;
	static const struct { int mode; const char *want; } cases[] = {
		{ MW_LOG_ADDR_FULL, " to=Bob@Example.NET " },
		{ MW_LOG_ADDR_DOMAIN, " to=@Example.NET " },
		{ MW_LOG_ADDR_HASH, " to=h:" },
	};
	struct mw_envelope env;
	struct mw_verdict v;
	struct mw_buf b;
	size_t i;

	mw_envelope_init(&env);
	assert_int_equal(mw_envelope_set(&env.queue_id, "4F3A2B1C0D"), 0);
	assert_int_equal(mw_envelope_set_path(&env.mail_from, "<a@example.org>"), 0);
	assert_int_equal(mw_envelope_add_rcpt(&env, "<Bob@Example.NET>"), 0);
	mw_verdict_init(&v);
	assert_int_equal(mw_scan(g, &env, message, strlen(message), strlen(message), &v), 0);
	mw_buf_init(&b, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		set_mode(g, cases[i].mode, MW_LOG_KV);
		mw_buf_reset(&b);
		assert_int_equal(mw_output_log_record(g, &env, &v, &b), 0);
		assert_non_null(strstr(b.data, cases[i].want));
		assert_null(strstr(b.data, " customers="));
		if (cases[i].mode != MW_LOG_ADDR_FULL)
			assert_null(strstr(b.data, "Bob"));
	}
	set_mode(g, MW_LOG_ADDR_FULL, MW_LOG_KV);
	mw_buf_free(&b);
	mw_verdict_free(&v);
	mw_envelope_clear(&env);
}

/* A customer key that is a mailbox is an address: hashed like one. */
static void
test_mailbox_customer_key(void **state)
{
	char dir[] = "/tmp/test_logrecord.XXXXXX", conf[256], cust[256];
	struct mw_generation *g;
	struct mw_envelope env;
	struct mw_verdict v;
	struct mw_diag d;
	struct mw_buf b;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cust, sizeof(cust), "%s/customers", dir);
	snprintf(conf, sizeof(conf), "%s/mailwarden.conf", dir);
	assert_non_null(fp = fopen(cust, "w"));
	fputs("ceo@example.net spam=on virus=on\nexample.net spam=on\n", fp);
	assert_int_equal(fclose(fp), 0);
	assert_non_null(fp = fopen(conf, "w"));
	fprintf(fp, "customers = %s\nlog_addresses = hash\nlog_hash_key = %s\n", cust, KEY);
	assert_int_equal(fclose(fp), 0);
	mw_diag_init(&d);
	g = mw_generation_build(conf, false, 1, &d);
	mw_diag_free(&d);
	assert_non_null(g);

	mw_envelope_init(&env);
	assert_int_equal(mw_envelope_set(&env.queue_id, "4F3A2B1C0D"), 0);
	assert_int_equal(mw_envelope_set_path(&env.mail_from, "<a@example.org>"), 0);
	assert_int_equal(mw_envelope_add_rcpt(&env, "<ceo@example.net>"), 0);
	assert_int_equal(mw_envelope_add_rcpt(&env, "<staff@example.net>"), 0);
	mw_verdict_init(&v);
	assert_int_equal(mw_scan(g, &env, message, strlen(message), strlen(message), &v), 0);
	mw_buf_init(&b, 0);
	assert_int_equal(mw_output_log_record(g, &env, &v, &b), 0);
	assert_null(strstr(b.data, "ceo"));
	assert_null(strstr(b.data, "staff"));
	assert_non_null(strstr(b.data, " customers="));
	mw_buf_reset(&b);
	assert_int_equal(mw_output_rcpt_records(g, &env, &v, 0, &b), 0);
	assert_null(strstr(b.data, "ceo"));
	assert_non_null(strstr(b.data, " customer=h:"));
	mw_buf_reset(&b);
	assert_int_equal(mw_output_rcpt_records(g, &env, &v, 1, &b), 0);
	assert_non_null(strstr(b.data, " customer=example.net "));

	mw_buf_free(&b);
	mw_verdict_free(&v);
	mw_envelope_clear(&env);
	mw_generation_unref(g);
	unlink(cust);
	unlink(conf);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_token),
		cmocka_unit_test(test_address_modes),
		cmocka_unit_test(test_record_privacy),
		cmocka_unit_test(test_rcpt_records),
		cmocka_unit_test(test_json_record),
		cmocka_unit_test(test_event_record),
		cmocka_unit_test(test_conf_hash_needs_key),
		cmocka_unit_test(test_mailbox_customer_key),
		cmocka_unit_test(test_single_recipient_named),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
