/*
 * test_tls - the TLS audit stage: this hop from the macros (Postfix and Sendmail
 * certificate rules), earlier hops from the chain with trust ending at the first
 * foreign field, the X-Mailwarden-TLS text, each tls_warn level, the Subject prefix
 * helper shared with the spam stage, the log/JSON fields and the option checks.
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
#include "envelope.h"
#include "generation.h"
#include "message.h"
#include "output.h"
#include "received.h"
#include "scan.h"
#include "tls.h"
#include "verdict.h"

#define DATE "Sat, 28 Nov 2026 10:00:00 +0000"

/* ---- this hop ------------------------------------------------------------------ */

struct hop_case {
	const char *label;
	struct mw_tls_macros m;
	bool	 encrypted, presented, verified;
	const char *version;
};

static void
test_this_hop(void **state)
{
	static const struct hop_case cases[] = {
		{ "no macros: clear text", { 0 }, false, false, false, "" },
		{ "empty tls_version: clear text", { .version = "" }, false, false, false, "" },
		{ "postfix TLS, no client certificate",
		  { .version = "TLSv1.3", .cipher = "TLS_AES_256_GCM_SHA384", .bits = 256 },
		  true, false, false, "TLSv1.3" },
		{ "postfix sends cert_subject only when verified",
		  { .version = "TLSv1.2", .cipher = "ECDHE-RSA-AES256-GCM-SHA384", .bits = 256,
		    .cert_subject = "client.example.org", .cert_issuer = "Example CA" },
		  true, true, true, "TLSv1.2" },
		{ "sendmail verify=OK",
		  { .version = "TLSv1.3", .cipher = "TLS_AES_128_GCM_SHA256", .bits = 128,
		    .cert_subject = "/C=DE/CN=client.example.org", .verify = "OK" },
		  true, true, true, "TLSv1.3" },
		{ "sendmail verify=FAIL with a certificate",
		  { .version = "TLSv1.3", .cert_subject = "/CN=x", .verify = "FAIL" },
		  true, true, false, "TLSv1.3" },
		{ "sendmail verify=NO",
		  { .version = "TLSv1.3", .verify = "NO" }, true, false, false, "TLSv1.3" },
		{ "hostile version text is made safe",
		  { .version = "TLSv1.3 evil=1\n" }, true, false, false, "TLSv1.3?evil?1?" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mw_tls_result r;

		memset(&r, 0, sizeof(r));
		print_message("case: %s\n", cases[i].label);
		mw_tls_this_hop(&cases[i].m, &r);
		assert_int_equal(r.encrypted, cases[i].encrypted);
		assert_int_equal(r.cert_presented, cases[i].presented);
		assert_int_equal(r.cert_verified, cases[i].verified);
		assert_string_equal(r.version, cases[i].version);
	}
}

/* ---- earlier hops -------------------------------------------------------------- */

static void
chain_from(const char *msg, struct mw_message *m, struct mw_received_chain *c, size_t max)
{
	struct mw_limits lim = { .max_header_count = 1000, .max_header_size = 65536 };

	mw_message_init(m);
	assert_int_equal(mw_message_parse(m, msg, strlen(msg), &lim), 0);
	assert_int_equal(mw_received_chain_build(c, m, max), 0);
}

struct earlier_case {
	const char *label;
	const char *msg;
	const char *client;
	const char *own;		/* tls_own_hosts */
	const char *nets;
	int	 enc, clear, internal, unknown, claimed;
	const char *first_host, *first_by;
	bool	 first_claimed;
};

/* Our MX mx.example.net wrote the top field for this client. */
#define OUR_TOP \
	"Received: from relay.example.org (relay.example.org [192.0.2.20])\n" \
	"\tby mx.example.net (Postfix) with ESMTP id 4A; " DATE "\n"

static const struct earlier_case earlier[] = {
	{ "only our own field: nothing earlier",
	  OUR_TOP "Subject: x\n\n", "192.0.2.20", "", "127.0.0.0/8",
	  0, 0, 0, 0, 0, NULL, NULL, false },
	{ "a foreign clear hop is a claim",
	  OUR_TOP
	  "Received: from pc.example.org (pc.example.org [198.51.100.5])\n"
	  "\tby relay.example.org (Postfix) with ESMTP id 9; " DATE "\n\n",
	  "192.0.2.20", "", "127.0.0.0/8", 0, 1, 0, 0, 1, "pc.example.org",
	  "relay.example.org", true },
	{ "top field for another client is not ours to skip",
	  OUR_TOP "\n", "203.0.113.1", "", "", 0, 1, 0, 0, 0, "relay.example.org",
	  "mx.example.net", false },
	{ "our internal relay: trusted, internal by network",
	  "Received: from mx.example.net (mx.example.net [10.1.0.5])\n"
	  "\tby filter.example.net (Postfix) with ESMTP id 1; " DATE "\n"
	  "Received: from mx.example.net (mx.example.net [10.1.0.5])\n"
	  "\tby filter.example.net (Postfix) with ESMTP id 2; " DATE "\n"
	  "Received: from far.example (far.example [198.51.100.9])\n"
	  "\tby mx.example.net (Postfix) with ESMTPS id 3; " DATE "\n"
	  "Received: from pc (pc [192.168.0.2]) by far.example with ESMTPA id 4; " DATE "\n"
	  "\n", "10.1.0.5", "mx.example.net, filter.example.net", "10.0.0.0/8 ::1",
	  1, 1, 1, 0, 1, "pc", "far.example", true },
	{ "a forged field naming our host below a foreign one stays a claim",
	  OUR_TOP
	  "Received: from x (x [198.51.100.1]) by relay.example.org with ESMTPS id 5; "
	  DATE "\n"
	  "Received: from y (y [10.9.9.9]) by mx.example.net with ESMTP id 6; " DATE "\n\n",
	  "192.0.2.20", "", "10.0.0.0/8", 1, 1, 0, 0, 2, "y", "mx.example.net", true },
	{ "unknown and internal hops are counted apart",
	  OUR_TOP
	  "Received: from a (a [198.51.100.2]) by relay.example.org with UUCP; " DATE "\n"
	  "Received: by a (Postfix, from userid 0) id 7; " DATE "\n\n",
	  "192.0.2.20", "", "", 0, 0, 1, 1, 2, NULL, NULL, false },
	{ "nearest clear hop is reported",
	  OUR_TOP
	  "Received: from near (near [198.51.100.3]) by relay.example.org with SMTP; "
	  DATE "\n"
	  "Received: from far (far [198.51.100.4]) by near with SMTP; " DATE "\n\n",
	  "192.0.2.20", "", "", 0, 2, 0, 0, 2, "near", "relay.example.org", true },
};

static void
test_earlier_hops(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(earlier) / sizeof(earlier[0]); i++) {
		const struct earlier_case *e = &earlier[i];
		struct mw_message m;
		struct mw_received_chain c;
		struct mw_tls_trust t;
		struct mw_tls_result r;
		char why[128];

		print_message("case: %s\n", e->label);
		memset(&t, 0, sizeof(t));
		memset(&r, 0, sizeof(r));
		t.own_hosts[0] = "mx.example.net.";	/* as the j macro may say it */
		t.own_hosts[2] = e->own;
		t.client_addr = e->client;
		assert_int_equal(mw_tls_parse_networks(e->nets, &t, why, sizeof(why)), 0);
		chain_from(e->msg, &m, &c, 64);
		mw_tls_earlier_hops(&c, &t, &r);
		assert_int_equal(r.earlier_encrypted, e->enc);
		assert_int_equal(r.earlier_clear, e->clear);
		assert_int_equal(r.earlier_internal, e->internal);
		assert_int_equal(r.earlier_unknown, e->unknown);
		assert_int_equal(r.earlier_claimed, e->claimed);
		if (e->first_host != NULL) {
			assert_string_equal(r.first_clear_host, e->first_host);
			assert_string_equal(r.first_clear_by, e->first_by);
			assert_int_equal(r.first_clear_claimed, e->first_claimed);
		} else
			assert_string_equal(r.first_clear_host, "");
		assert_false(r.hops_truncated);
		mw_received_chain_free(&c);
		mw_message_free(&m);
	}
}

static void
test_hop_limit(void **state)
{
	struct mw_buf msg;
	struct mw_message m;
	struct mw_received_chain c;
	struct mw_tls_trust t;
	struct mw_tls_result r;
	int i;

	(void)state;
	mw_buf_init(&msg, 0);
	for (i = 0; i < 200; i++)
		assert_int_equal(mw_buf_printf(&msg, "Received: from h%d (h%d [192.0.2.%d]) by "
		    "h%d with SMTP; " DATE "\n", i + 1, i + 1, i % 250 + 1, i), 0);
	assert_int_equal(mw_buf_puts(&msg, "\n"), 0);
	memset(&t, 0, sizeof(t));
	memset(&r, 0, sizeof(r));
	chain_from(msg.data, &m, &c, MW_RCV_DEFAULT_MAX_HOPS);
	mw_tls_earlier_hops(&c, &t, &r);
	assert_true(r.hops_truncated);
	assert_int_equal(r.received_fields, 200);
	assert_int_equal(r.earlier_clear, MW_RCV_DEFAULT_MAX_HOPS);
	mw_received_chain_free(&c);
	mw_message_free(&m);
	mw_buf_free(&msg);
}

static void
test_networks(void **state)
{
	static const struct { const char *list; int ok; size_t n; } nc[] = {
		{ "", 0, 0 }, { "127.0.0.0/8 ::1/128", 0, 2 }, { "10.0.0.1, 2001:db8::/32", 0, 2 },
		{ "10.0.0.0/33", -1, 0 }, { "::/129", -1, 0 }, { "example.org", -1, 0 },
		{ "10.0.0.0/", -1, 0 }, { "10.0.0.0/8x", -1, 0 },
	};
	struct mw_tls_trust t;
	char why[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(nc) / sizeof(nc[0]); i++) {
		memset(&t, 0, sizeof(t));
		why[0] = '\0';
		assert_int_equal(mw_tls_parse_networks(nc[i].list, &t, why, sizeof(why)),
		    nc[i].ok);
		if (nc[i].ok == 0)
			assert_int_equal(t.nnets, nc[i].n);
		else
			assert_true(why[0] != '\0');
	}
}

/* ---- header text ---------------------------------------------------------------- */

static void
test_header_value(void **state)
{
	struct mw_tls_result r;
	struct mw_buf b;

	(void)state;
	memset(&r, 0, sizeof(r));
	mw_buf_init(&b, 0);
	assert_int_equal(mw_tls_header_value(&r, &b), 0);
	assert_string_equal(b.data, "none; this message reached our server unencrypted");

	mw_buf_reset(&b);
	r.encrypted = true;
	strcpy(r.version, "TLSv1.3");
	strcpy(r.cipher, "TLS_AES_256_GCM_SHA384");
	r.bits = 256;
	r.earlier_clear = 2;
	strcpy(r.first_clear_host, "pc.example.org");
	strcpy(r.first_clear_by, "relay.example.org");
	r.first_clear_claimed = true;
	assert_int_equal(mw_tls_header_value(&r, &b), 0);
	assert_string_equal(b.data, "TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256; this "
	    "message reached our server encrypted; 2 earlier transfers were unencrypted, "
	    "nearest from pc.example.org to relay.example.org (as claimed by other servers' "
	    "Received headers)");
	mw_buf_free(&b);

	/* A value that does not fit is an error the caller can tell from ENOMEM. */
	mw_buf_init(&b, 10);
	assert_int_equal(mw_tls_header_value(&r, &b), -1);
	assert_true(b.truncated);
	mw_buf_free(&b);
}

/* ---- Subject prefix (verdict.c) --------------------------------------------------- */

static void
parse_msg(struct mw_message *m, const char *text)
{
	struct mw_limits lim = { .max_header_count = 100, .max_header_size = 65536 };

	mw_message_init(m);
	assert_int_equal(mw_message_parse(m, text, strlen(text), &lim), 0);
}

static const struct mw_header_edit *
find_edit(const struct mw_verdict *v, const char *name, size_t *count)
{
	const struct mw_header_edit *found = NULL;
	size_t i;

	*count = 0;
	for (i = 0; i < v->nedits; i++)
		if (strcasecmp(v->edits[i].name, name) == 0 && v->edits[i].op != MW_HDR_DELETE) {
			found = &v->edits[i];
			(*count)++;
		}
	return found;
}

static void
test_prefix_subject(void **state)
{
	struct mw_message m;
	struct mw_verdict v;
	const struct mw_header_edit *e;
	size_t n;

	(void)state;
	/* Two stages, one change. */
	parse_msg(&m, "Subject: hello\n  world\nSubject: second\n\nb\n");
	mw_verdict_init(&v);
	assert_int_equal(mw_verdict_prefix_subject(&v, &m, "[UNENCRYPTED]"), 0);
	assert_int_equal(mw_verdict_prefix_subject(&v, &m, "[SPAM]"), 0);
	e = find_edit(&v, "Subject", &n);
	assert_int_equal(n, 1);
	assert_int_equal(e->op, MW_HDR_CHANGE);
	assert_int_equal(e->index, 1);
	assert_string_equal(e->value, "[SPAM] [UNENCRYPTED] hello  world");
	/* The same tag again does not stack. */
	assert_int_equal(mw_verdict_prefix_subject(&v, &m, "[SPAM]"), 0);
	e = find_edit(&v, "Subject", &n);
	assert_string_equal(e->value, "[SPAM] [UNENCRYPTED] hello  world");
	mw_verdict_free(&v);
	mw_message_free(&m);

	/* Already tagged on arrival. */
	parse_msg(&m, "Subject: [UNENCRYPTED] re: x\n\nb\n");
	mw_verdict_init(&v);
	assert_int_equal(mw_verdict_prefix_subject(&v, &m, "[UNENCRYPTED]"), 0);
	assert_int_equal(v.nedits, 0);
	mw_verdict_free(&v);
	mw_message_free(&m);

	/* No Subject: one is added; empty tag: nothing. */
	parse_msg(&m, "From: a@example.org\n\nb\n");
	mw_verdict_init(&v);
	assert_int_equal(mw_verdict_prefix_subject(&v, &m, ""), 0);
	assert_int_equal(v.nedits, 0);
	assert_int_equal(mw_verdict_prefix_subject(&v, &m, "[X]"), 0);
	e = find_edit(&v, "Subject", &n);
	assert_int_equal(e->op, MW_HDR_ADD);
	assert_string_equal(e->value, "[X]");
	mw_verdict_free(&v);

	/* Non-ASCII and "=?" tags become encoded-words of at most 75 characters. */
	mw_verdict_init(&v);
	assert_int_equal(mw_verdict_prefix_subject(&v, &m, "[unverschl\xc3\xbcsselt]"), 0);
	e = find_edit(&v, "Subject", &n);
	assert_string_equal(e->value, "=?UTF-8?Q?=5Bunverschl=C3=BCsselt=5D?=");
	mw_verdict_free(&v);
	mw_verdict_init(&v);
	assert_int_equal(mw_verdict_prefix_subject(&v, &m, "=?x?="), 0);
	e = find_edit(&v, "Subject", &n);
	assert_string_equal(e->value, "=?UTF-8?Q?=3D=3Fx=3F=3D?=");
	mw_verdict_free(&v);
	mw_verdict_init(&v);
	assert_int_equal(mw_verdict_prefix_subject(&v, &m,
	    "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
	    "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"), 0);
	e = find_edit(&v, "Subject", &n);
	{
		const char *p = e->value, *sp;
		size_t words = 0;

		for (;;) {
			size_t wl;

			sp = strchr(p, ' ');
			wl = sp ? (size_t)(sp - p) : strlen(p);
			assert_true(wl <= 75);
			assert_memory_equal(p, "=?UTF-8?Q?", 10);
			assert_memory_equal(p + wl - 2, "?=", 2);
			/* No character is split: every word ends after a whole =C3=A4. */
			assert_memory_equal(p + wl - 8, "=C3=A4", 6);
			words++;
			if (sp == NULL)
				break;
			p = sp + 1;
		}
		assert_true(words >= 2);
	}
	mw_verdict_free(&v);
	mw_message_free(&m);
}

/* ---- the stage through mw_scan's context ------------------------------------------ */

struct fixture {
	struct mw_generation *g;
	char	 conf_path[64];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mw_diag d;
	FILE *fp;
	int fd;

	if (f == NULL)
		return -1;
	strcpy(f->conf_path, "/tmp/mw-test-tls-XXXXXX");
	if ((fd = mkstemp(f->conf_path)) < 0 || (fp = fdopen(fd, "w")) == NULL)
		return -1;
	fprintf(fp, "hostname = mx.example.net\ntls_own_hosts = filter.example.net\n"
	    "tls_internal_networks = 10.0.0.0/8\ntls_subject_tag = [CLEAR TEXT]\n");
	if (fclose(fp) != 0)
		return -1;
	mw_diag_init(&d);
	f->g = mw_generation_build(f->conf_path, false, 1, &d);
	if (f->g == NULL) {
		size_t i;
		for (i = 0; i < d.n; i++)
			fprintf(stderr, "%s\n", d.v[i].text);
	}
	mw_diag_free(&d);
	*state = f;
	return f->g ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	mw_generation_unref(f->g);
	unlink(f->conf_path);
	free(f);
	return 0;
}

static const char stage_msg[] =
    "Received: from relay.example.org (relay.example.org [192.0.2.20])\n"
    "\tby mx.example.net (Postfix) with ESMTP id 4A; " DATE "\n"
    "Received: from pc.example.org (pc.example.org [198.51.100.5])\n"
    "\tby relay.example.org (Postfix) with ESMTP id 9; " DATE "\n"
    "X-Mailwarden-TLS: TLSv1.3; forged by the sender\n"
    "Subject: quarterly report\n"
    "\nbody\n";

struct warn_case {
	enum mw_tls_warn warn;
	bool	 tls;
	enum mw_stage_status status;
	const char *header;		/* expected X-Mailwarden-TLS, NULL = none */
	const char *subject;		/* expected new Subject, NULL = unchanged */
	enum mw_action action;
};

static void
run_stage(struct fixture *f, const struct warn_case *w, struct mw_verdict *v,
    struct mw_envelope *env)
{
	struct mw_scan_ctx ctx;
	struct mw_limits lim = { .max_header_count = 100, .max_header_size = 65536 };

	mw_envelope_init(env);
	assert_int_equal(mw_envelope_set(&env->mta_host, "mx.example.net"), 0);
	assert_int_equal(mw_envelope_set(&env->client_addr, "192.0.2.20"), 0);
	assert_int_equal(mw_envelope_set(&env->queue_id, "4A"), 0);
	if (w->tls) {
		assert_int_equal(mw_envelope_set(&env->tls.version, "TLSv1.3"), 0);
		assert_int_equal(mw_envelope_set(&env->tls.cipher, "TLS_AES_256_GCM_SHA384"), 0);
		env->tls.bits = 256;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.gen = f->g;
	ctx.conf = f->g->conf;
	ctx.env = env;
	ctx.v = v;
	mw_policy_builtin(&ctx.policy);
	ctx.policy.tls_warn = w->warn;
	mw_verdict_init(v);
	mw_message_init(&ctx.msg);
	assert_int_equal(mw_message_parse(&ctx.msg, stage_msg, strlen(stage_msg), &lim), 0);
	assert_int_equal(mw_tls_audit(&ctx), 0);
	mw_message_free(&ctx.msg);
}

static void
test_stage_warn_levels(void **state)
{
	static const struct warn_case wc[] = {
		{ MW_TLS_WARN_OFF, false, MW_STAGE_SKIPPED, NULL, NULL, MW_ACTION_ACCEPT },
		{ MW_TLS_WARN_LOG, false, MW_STAGE_DONE, NULL, NULL, MW_ACTION_ACCEPT },
		{ MW_TLS_WARN_HEADER, false, MW_STAGE_DONE,
		  "none; this message reached our server unencrypted; 1 earlier transfer was "
		  "unencrypted, nearest from pc.example.org to relay.example.org (as claimed by "
		  "other servers' Received headers)", NULL, MW_ACTION_ACCEPT },
		{ MW_TLS_WARN_SUBJECT, false, MW_STAGE_DONE,
		  "none; this message reached our server unencrypted; 1 earlier transfer was "
		  "unencrypted, nearest from pc.example.org to relay.example.org (as claimed by "
		  "other servers' Received headers)",
		  "[CLEAR TEXT] quarterly report", MW_ACTION_TAG },
		{ MW_TLS_WARN_SUBJECT, true, MW_STAGE_DONE,
		  "TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256; this message reached our "
		  "server encrypted; 1 earlier transfer was unencrypted, nearest from "
		  "pc.example.org to relay.example.org (as claimed by other servers' Received "
		  "headers)", NULL, MW_ACTION_ACCEPT },
	};
	struct fixture *f = *state;
	size_t i, n;

	for (i = 0; i < sizeof(wc) / sizeof(wc[0]); i++) {
		struct mw_verdict v;
		struct mw_envelope env;
		const struct mw_header_edit *e;

		print_message("case: tls_warn=%s tls=%d\n", mw_tls_warn_names[wc[i].warn],
		    wc[i].tls);
		run_stage(f, &wc[i], &v, &env);
		assert_int_equal(v.tls.status, wc[i].status);
		assert_int_equal(v.action, wc[i].action);
		e = find_edit(&v, MW_TLS_HEADER, &n);
		if (wc[i].header == NULL)
			assert_int_equal(n, 0);
		else {
			assert_int_equal(n, 1);
			assert_int_equal(e->op, MW_HDR_ADD);
			assert_string_equal(e->value, wc[i].header);
		}
		e = find_edit(&v, "Subject", &n);
		if (wc[i].subject == NULL)
			assert_int_equal(n, 0);
		else {
			assert_int_equal(n, 1);
			assert_string_equal(e->value, wc[i].subject);
			assert_string_equal(v.decided_by, "tls");
		}
		if (wc[i].status == MW_STAGE_DONE) {
			assert_int_equal(v.tls.encrypted, wc[i].tls);
			assert_int_equal(v.tls.earlier_clear, 1);
			assert_int_equal(v.tls.earlier_claimed, 1);
		}
		mw_verdict_free(&v);
		mw_envelope_clear(&env);
	}
}

/* The log record and JSON carry the result; the whole pipeline runs the stage. */
static void
test_output_fields(void **state)
{
	static const struct warn_case w = { MW_TLS_WARN_LOG, true, MW_STAGE_DONE, NULL, NULL,
	    MW_ACTION_ACCEPT };
	struct fixture *f = *state;
	struct mw_verdict v;
	struct mw_envelope env;
	struct mw_buf b;

	run_stage(f, &w, &v, &env);
	mw_buf_init(&b, 0);
	assert_int_equal(mw_output_log_record(f->g, &env, &v, &b), 0);
	assert_non_null(strstr(b.data, " tls=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 "
	    "tls_cert=none earlier_cleartext_hops=1 earlier_claimed_hops=1 "
	    "first_cleartext_hop=pc.example.org first_cleartext_hop_trust=claimed "));
	mw_buf_reset(&b);
	assert_int_equal(mw_output_json(&env, &v, "f.eml", &b), 0);
	assert_non_null(strstr(b.data, "\"tls\":{\"status\":\"done\",\"version\":\"TLSv1.3\","
	    "\"cipher\":\"TLS_AES_256_GCM_SHA384\",\"bits\":256,\"cert_verified\":false,"
	    "\"cert_presented\":false,\"earlier_clear_hops\":1,\"earlier_encrypted_hops\":0,"
	    "\"earlier_unknown_hops\":0,\"earlier_internal_hops\":0,\"earlier_claimed_hops\":1,"
	    "\"received_fields\":2,\"hops_truncated\":false,\"first_clear_hop\":{\"host\":"
	    "\"pc.example.org\",\"by\":\"relay.example.org\",\"claimed\":true},\"earlier_examined\":true}"));
	mw_verdict_free(&v);
	mw_envelope_clear(&env);

	/* Clear text this hop, tls_warn off: the log says skipped. */
	{
		static const struct warn_case off = { MW_TLS_WARN_OFF, false, MW_STAGE_SKIPPED,
		    NULL, NULL, MW_ACTION_ACCEPT };
		run_stage(f, &off, &v, &env);
		mw_buf_reset(&b);
		assert_int_equal(mw_output_log_record(f->g, &env, &v, &b), 0);
		assert_non_null(strstr(b.data, " tls=skipped:tls_warn_off "));
		assert_null(strstr(b.data, "earlier_cleartext_hops"));
		mw_verdict_free(&v);
		mw_envelope_clear(&env);
	}

	/* Through mw_scan with the built-in policy (log): the inbound forgery is removed
	 * and the stage ran. */
	mw_envelope_init(&env);
	assert_int_equal(mw_envelope_set(&env.mta_host, "mx.example.net"), 0);
	assert_int_equal(mw_envelope_set(&env.client_addr, "192.0.2.20"), 0);
	assert_int_equal(mw_envelope_add_rcpt(&env, "<user@example.net>"), 0);
	mw_verdict_init(&v);
	assert_int_equal(mw_scan(f->g, &env, stage_msg, strlen(stage_msg), strlen(stage_msg),
	    &v), 0);
	assert_int_equal(v.tls.status, MW_STAGE_DONE);
	assert_false(v.tls.encrypted);
	mw_buf_reset(&b);
	assert_int_equal(mw_output_log_record(f->g, &env, &v, &b), 0);
	assert_non_null(strstr(b.data, " tls=none earlier_cleartext_hops=1 "));
	{
		size_t i, del = 0;
		for (i = 0; i < v.nedits; i++)
			if (v.edits[i].op == MW_HDR_DELETE &&
			    strcasecmp(v.edits[i].name, MW_TLS_HEADER) == 0)
				del++;
		assert_int_equal(del, 1);
	}
	mw_buf_free(&b);
	mw_verdict_free(&v);
	mw_envelope_clear(&env);
}

/* Bad options are configuration errors that name the option. */
static void
test_conf_check(void **state)
{
	static const struct { const char *text, *expect; } cc[] = {
		{ "tls_internal_networks = 10.0.0.0/40\n", "tls_internal_networks: '40' is not" },
		{ "tls_internal_networks = intranet\n", "tls_internal_networks: 'intranet' is not" },
		{ "tls_subject_tag = 0123456789012345678901234567890123456789012345678901234567890"
		  "123456789\n", "tls_subject_tag: longer than 63 bytes" },
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(cc) / sizeof(cc[0]); i++) {
		char path[] = "/tmp/mw-test-tls-conf-XXXXXX";
		struct mw_generation *g;
		struct mw_diag d;
		bool found = false;
		int fd = mkstemp(path);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, cc[i].text, strlen(cc[i].text)),
		    (ssize_t)strlen(cc[i].text));
		assert_int_equal(close(fd), 0);
		mw_diag_init(&d);
		g = mw_generation_build(path, false, 2, &d);
		assert_null(g);
		for (j = 0; j < d.n; j++)
			if (strstr(d.v[j].text, cc[i].expect) != NULL)
				found = true;
		if (!found)
			fail_msg("no diagnostic containing \"%s\"", cc[i].expect);
		mw_diag_free(&d);
		unlink(path);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_this_hop),
		cmocka_unit_test(test_earlier_hops),
		cmocka_unit_test(test_hop_limit),
		cmocka_unit_test(test_networks),
		cmocka_unit_test(test_header_value),
		cmocka_unit_test(test_prefix_subject),
		cmocka_unit_test(test_stage_warn_levels),
		cmocka_unit_test(test_output_fields),
		cmocka_unit_test(test_conf_check),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
