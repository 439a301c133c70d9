/*
 * test_relays - SpamAssassin's reading of Received fields (src/relays.c): which word
 * is the HELO and which the reverse DNS name for each MTA's shape, the no-rDNS
 * convention RDNS_NONE rests on, skipped fields, trust inference and configured
 * networks, and the X-Spam-Relays-* text.  The expected values follow SpamAssassin
 * 4.0.1's documented behaviour (Mail::SpamAssassin::Message::Metadata::Received);
 * host names and addresses are made up or documentation ranges.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "eval.h"
#include "eval_relays.h"
#include "message.h"
#include "mime.h"
#include "relays.h"
#include "scan.h"

struct relay_case {
	const char *value;
	int	 rc;			/* 1 relay, 0 skipped, -1 not understood */
	const char *ip, *rdns, *helo, *by, *ident, *auth;
	bool	 no_rdns;		/* MTA looked up and found none */
};

static const struct relay_case cases[] = {
	/* Postfix: HELO first, then the looked-up name (or "unknown") and address */
	{ "from mail.example.org (mail.example.org [192.0.2.10]) by mx.example.net (Postfix) "
	  "with ESMTP id 4A1B2C; Sat, 28 Nov 2026 10:00:00 +0000",
	  1, "192.0.2.10", "mail.example.org", "mail.example.org", "mx.example.net", "", "", false },
	{ "from helo.example (unknown [198.51.100.7]) by mx.example.net (Postfix) with SMTP id 9F",
	  1, "198.51.100.7", "", "helo.example", "mx.example.net", "", "", true },
	/* Sendmail with IDENT */
	{ "from ran (IDENT:qmailr@one.example.com [203.0.113.115]) by dogma.example.org "
	  "(8.11.6/8.11.6) with SMTP id h381Vvf19860",
	  1, "203.0.113.115", "one.example.com", "ran", "dogma.example.org", "qmailr", "", false },
	/* Sendmail, no rDNS: it looked and found none */
	{ "from pc42 ([203.0.113.9]) by mail.example.org (8.12.8/8.12.8) with SMTP id h1",
	  1, "203.0.113.9", "", "pc42", "mail.example.org", "", "", true },
	/* Exim: rDNS first, HELO defaults to it */
	{ "from host.example.com ([192.0.2.44] helo=laptop) by lists.example.net with esmtp "
	  "(Exim 3.31-VA-mm2 #1 (Debian)) id 18t301-0007Bh-00",
	  1, "192.0.2.44", "host.example.com", "laptop", "lists.example.net", "", "", false },
	/* qmail: no HELO part means HELO = rDNS */
	{ "from unknown (HELO mailer) (198.51.100.20) by mx.example.com with SMTP",
	  1, "198.51.100.20", "", "mailer", "mx.example.com", "", "", false },
	/* Microsoft SMTPSVC does not look names up */
	{ "from desk ([192.0.2.8]) by EXCH.example.com with Microsoft SMTPSVC(5.0.2195.6713)",
	  1, "192.0.2.8", "", "desk", "EXCH.example.com", "", "", false },
	/* authenticated submission */
	{ "from [192.0.2.5] (client.example.com [198.51.100.5]) by smtp.example.com (Postfix) "
	  "with ESMTPSA id 1A2B3C4D",
	  1, "198.51.100.5", "client.example.com", "!192.0.2.5!", "smtp.example.com", "", "ESMTPSA",
	  false },
	/* fields SpamAssassin skips on purpose */
	{ "by mx.example.com (Postfix, from userid 1000) id 1234", 0, NULL, NULL, NULL, NULL,
	  NULL, NULL, false },
	{ "from andrew by host.example.net with local (Exim 4.12) id 18xeL6-000Dn1-00",
	  0, NULL, NULL, NULL, NULL, NULL, NULL, false },
	{ "from localhost by mx.example.org with IMAP (fetchmail-5.9.0) for jm@localhost "
	  "(single-drop)", 0, NULL, NULL, NULL, NULL, NULL, NULL, false },
	/* nothing to go on */
	{ "from somewhere", -1, NULL, NULL, NULL, NULL, NULL, NULL, false },
};

static void
test_parse_shapes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct relay_case *c = &cases[i];
		struct mw_relay r;
		bool fetch;
		int rc = mw_relay_parse(c->value, strlen(c->value), &r, &fetch);

		if (rc != c->rc)
			fail_msg("case %zu (%s): rc %d, want %d", i, c->value, rc, c->rc);
		if (rc != 1)
			continue;
		assert_string_equal(r.ip, c->ip);
		assert_string_equal(r.rdns, c->rdns);
		assert_string_equal(r.helo, c->helo);
		assert_string_equal(r.by, c->by);
		assert_string_equal(r.ident, c->ident);
		assert_string_equal(r.auth, c->auth);
		if (r.no_reverse_dns != c->no_rdns)
			fail_msg("case %zu: no_reverse_dns %d", i, r.no_reverse_dns);
	}
}

static void
test_format(void **state)
{
	struct mw_relay r;
	bool fetch;
	char out[1024];
	const char *v = "from a.example (b.example [192.0.2.1]) by mx.example (Postfix) "
	    "with ESMTP id ABC123";

	(void)state;
	assert_int_equal(mw_relay_parse(v, strlen(v), &r, &fetch), 1);
	assert_true(mw_relay_format(&r, out, sizeof(out)) > 0);
	assert_string_equal(out, "[ ip=192.0.2.1 rdns=b.example helo=a.example by=mx.example "
	    "ident= envfrom= intl=0 id=ABC123 auth= msa=0 ]");
}

static void
build(const char *msg, const struct mw_relay_conf *conf, struct mw_relays *r)
{
	struct mw_message m;
	struct mw_limits lim = { .max_header_count = 100, .max_header_size = 65536 };

	mw_message_init(&m);
	assert_int_equal(mw_message_parse(&m, msg, strlen(msg), &lim), 0);
	assert_int_equal(mw_relays_build(r, &m, conf, NULL), 0);
	mw_message_free(&m);
}

static const char chain[] =
    "Received: from relay.example.net (relay.example.net [192.0.2.30]) by "
    "mx.example.org (Postfix) with ESMTP id T1\n"
    "Received: from inner (inner [10.1.2.3]) by relay.example.net (Postfix) with ESMTP id T2\n"
    "Received: from pc (dsl.example.com [198.51.100.66]) by inner (Postfix) with SMTP id T3\n"
    "Subject: x\n\nbody\n";

static void
test_trust_inferred(void **state)
{
	struct mw_relay_conf c;
	struct mw_relays r;

	(void)state;
	mw_relay_conf_init(&c);
	build(chain, &c, &r);
	/* nothing configured: the first public address ends the trusted part */
	assert_int_equal(r.nlist[MW_RELAYS_TRUSTED], 0);
	assert_int_equal(r.nlist[MW_RELAYS_UNTRUSTED], 3);
	assert_int_equal(r.nlist[MW_RELAYS_EXTERNAL], 3);
	assert_string_equal(mw_relays_get(&r, MW_RELAYS_UNTRUSTED, 0)->ip, "192.0.2.30");
	mw_relays_free(&r);
}

static void
test_trust_configured(void **state)
{
	struct mw_relay_conf c;
	struct mw_relays r;
	char why[100];

	(void)state;
	mw_relay_conf_init(&c);
	assert_int_equal(mw_relay_nets_add(&c.trusted, "192.0.2.0/24 10/8", why, sizeof(why)), 0);
	assert_int_equal(mw_relay_nets_add(&c.internal, "192.0.2.30", why, sizeof(why)), 0);
	build(chain, &c, &r);
	assert_int_equal(r.nlist[MW_RELAYS_TRUSTED], 2);
	assert_int_equal(r.nlist[MW_RELAYS_UNTRUSTED], 1);
	assert_int_equal(r.nlist[MW_RELAYS_INTERNAL], 1);
	assert_int_equal(r.nlist[MW_RELAYS_EXTERNAL], 2);
	assert_non_null(strstr(r.str[MW_RELAYS_TRUSTED], "ip=10.1.2.3 "));
	assert_non_null(strstr(r.str[MW_RELAYS_INTERNAL], "intl=1"));
	assert_string_equal(mw_relays_get(&r, MW_RELAYS_UNTRUSTED, 0)->ip, "198.51.100.66");
	mw_relays_free(&r);
}

static void
test_networks(void **state)
{
	struct mw_relay_nets n;
	char why[100];

	(void)state;
	memset(&n, 0, sizeof(n));
	assert_int_equal(mw_relay_nets_add(&n, "!10.0.1.5 10.0.1/24 192.168. 2001:db8::/32",
	    why, sizeof(why)), 0);
	assert_false(mw_relay_nets_contain(&n, "10.0.1.5"));
	assert_true(mw_relay_nets_contain(&n, "10.0.1.6"));
	assert_true(mw_relay_nets_contain(&n, "192.168.200.1"));
	assert_true(mw_relay_nets_contain(&n, "2001:db8:1::1"));
	assert_false(mw_relay_nets_contain(&n, "192.0.2.1"));
	assert_int_equal(mw_relay_nets_add(&n, "10.0.0.0/99", why, sizeof(why)), -1);
	assert_int_equal(mw_relay_nets_add(&n, "example.com", why, sizeof(why)), -1);
	assert_true(mw_relay_ip_private("172.20.1.1"));
	assert_false(mw_relay_ip_private("172.32.1.1"));
	assert_true(mw_relay_ip_private("fd00::1"));
	assert_false(mw_relay_ip_private("2001:db8::1"));
}

static void
test_hostile(void **state)
{
	char *big = malloc(200000);
	struct mw_relay r;
	bool fetch;

	(void)state;
	assert_non_null(big);
	memset(big, '(', 199999);
	big[199999] = '\0';
	memcpy(big, "from ", 5);
	/* bounded: a huge field is cut, never an error or a crash */
	assert_true(mw_relay_parse(big, strlen(big), &r, &fetch) <= 1);
	free(big);
}

/* RegistryBoundaries: split_domain with 2- and 3-level suffixes and US states,
 * is_domain_valid with the TLD list. */
static void
test_registry_boundaries(void **state)
{
	struct mw_relay_conf c;
	char out[256];

	(void)state;
	mw_relay_conf_init(&c);
	assert_int_equal(mw_domain_set_add(&c.two_level, "co.uk org.uk"), 0);
	assert_int_equal(mw_domain_set_add(&c.three_level, "act.edu.au"), 0);
	assert_int_equal(mw_domain_set_add(&c.tlds, "com uk au us"), 0);
	mw_relay_split_domain(&c, "www.Example.CO.UK.", out, sizeof(out));
	assert_string_equal(out, "example.co.uk");
	mw_relay_split_domain(&c, "a.b.uni.act.edu.au", out, sizeof(out));
	assert_string_equal(out, "uni.act.edu.au");
	mw_relay_split_domain(&c, "mail.cityname.ny.us", out, sizeof(out));
	assert_string_equal(out, "mail.cityname.ny.us");	/* city.st.us is a suffix */
	mw_relay_split_domain(&c, "mx1.mail.example.com", out, sizeof(out));
	assert_string_equal(out, "example.com");
	mw_relay_split_domain(&c, "localhost", out, sizeof(out));
	assert_string_equal(out, "localhost");
	assert_true(mw_relay_domain_valid(&c, "example.com"));
	assert_false(mw_relay_domain_valid(&c, "example.invalid"));
	assert_false(mw_relay_domain_valid(&c, "localhost"));
	mw_relay_conf_free(&c);
}

/* X-Originating-IP and friends become a relay at the bottom of the chain: the first
 * address in the value; a run of dots is not one (it once looped forever). */
static void
test_originating_ip(void **state)
{
	static const char dots[] = "X-Originating-IP: .......... [198.51.100.150]\n" "Subject: t\n\nb\n";
	static const char junk[] = "X-Originating-IP: deadbeef:: no address\n" "Subject: t\n\nb\n";
	struct mw_relay_conf c;
	struct mw_relays r;

	(void)state;
	mw_relay_conf_init(&c);
	c.n_originating = 1;
	snprintf(c.originating_ip_headers[0], sizeof(c.originating_ip_headers[0]),
	    "X-Originating-IP");
	build(dots, &c, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].ip, "198.51.100.150");
	assert_string_equal(r.v[0].by, "");
	mw_relays_free(&r);
	build(junk, &c, &r);
	assert_int_equal(r.n, 0);
	mw_relays_free(&r);
}

/* --- the relay evals (eval_relays.c), on whole messages --------------------------- */

struct ectx {
	struct mw_scan_ctx ctx;
	struct mw_relays relays;
	struct mw_relay_conf conf;
};

static void
ectx_open(struct ectx *e, const char *msg)
{
	struct mw_limits lim = { .max_header_count = 100, .max_header_size = 65536 };
	struct mw_mime_limits ml;

	memset(e, 0, sizeof(*e));
	mw_relay_conf_init(&e->conf);
	mw_message_init(&e->ctx.msg);
	mw_mime_limits_default(&ml);
	assert_int_equal(mw_message_parse(&e->ctx.msg, msg, strlen(msg), &lim), 0);
	assert_int_equal(mw_mime_build(&e->ctx.msg, &ml), 0);
	assert_int_equal(mw_relays_build(&e->relays, &e->ctx.msg, &e->conf, NULL), 0);
	e->ctx.relays = &e->relays;
}

static void
ectx_close(struct ectx *e)
{
	mw_relays_free(&e->relays);
	mw_mime_free(&e->ctx.msg);
	mw_message_free(&e->ctx.msg);
	mw_relay_conf_free(&e->conf);
}

static int
run_eval(const char *msg, mw_eval_fn fn)
{
	struct ectx e;
	struct mw_eval_args a = { 0, NULL };
	int rc;

	ectx_open(&e, msg);
	rc = fn(&e.ctx, &a);
	ectx_close(&e);
	return rc;
}

#define BODY "Subject: t\n\nbody\n"

static void
test_eval_trust(void **state)
{
	static const char all_private[] =
	    "Received: from a (a [10.0.0.2]) by b (Postfix) with ESMTP id 1\n" BODY;
	static const char public_hop[] =
	    "Received: from a (a.example.com [192.0.2.2]) by b (Postfix) with ESMTP id 1\n" BODY;
	static const char unreadable[] = "Received: from somewhere\n" BODY;

	(void)state;
	/* ALL_TRUSTED: trusted relays, no untrusted, nothing unparseable */
	assert_int_equal(run_eval(all_private, mw_eval_check_all_trusted), 1);
	assert_int_equal(run_eval(public_hop, mw_eval_check_all_trusted), 0);
	/* NO_RELAYS */
	assert_int_equal(run_eval(BODY, mw_eval_check_no_relays), 1);
	assert_int_equal(run_eval(all_private, mw_eval_check_no_relays), 0);
	assert_int_equal(run_eval(unreadable, mw_eval_check_no_relays), 0);
	assert_int_equal(run_eval(unreadable, mw_eval_check_relays_unparseable), 1);
	assert_int_equal(run_eval(public_hop, mw_eval_check_relays_unparseable), 0);
}

static void
test_eval_helo(void **state)
{
	/* HELO a dotted quad (unbracketed: "[...]" becomes "!...!") of another network */
	static const char mismatch[] =
	    "Received: from 198.51.100.9 ([203.0.113.7]) by mx.example.org (8.12.8/8.12.8) "
	    "with SMTP id h1\n" BODY;
	static const char same_net[] =
	    "Received: from 203.0.113.9 ([203.0.113.7]) by mx.example.org (8.12.8/8.12.8) "
	    "with SMTP id h1\n" BODY;
	/* a big-provider HELO from a host without reverse DNS */
	static const char dotcom[] =
	    "Received: from hotmail.com (unknown [203.0.113.8]) by mx.example.org (Postfix) "
	    "with SMTP id 9\n" BODY;
	static const char dotcom_named[] =
	    "Received: from hotmail.com (x.example.net [203.0.113.8]) by mx.example.org "
	    "(Postfix) with SMTP id 9\n" BODY;

	(void)state;
	assert_int_equal(run_eval(mismatch, mw_eval_helo_ip_mismatch), 1);
	assert_int_equal(run_eval(same_net, mw_eval_helo_ip_mismatch), 0);
	assert_int_equal(run_eval(dotcom, mw_eval_check_for_no_rdns_dotcom_helo), 1);
	assert_int_equal(run_eval(dotcom_named, mw_eval_check_for_no_rdns_dotcom_helo), 0);
}

static void
test_eval_forged(void **state)
{
	/* a yahoo.com sender whose mail never passed a Yahoo host */
	static const char yahoo_forged[] =
	    "Received: from pc (dsl.example.net [198.51.100.3]) by mx.example.org (Postfix) "
	    "with SMTP id 1\n"
	    "From: someone@yahoo.com\nTo: u@example.org\n" BODY;
	static const char yahoo_real[] =
	    "Received: from web1.mail.yahoo.com (web1.mail.yahoo.com [198.51.100.4]) by "
	    "mx.example.org (Postfix) with SMTP id 1\n"
	    "Received: from [192.0.2.9] by web1.mail.yahoo.com via HTTP; Sat, 28 Nov 2026 "
	    "10:00:00 PST\n"
	    "From: someone@yahoo.com\nTo: u@example.org\n" BODY;
	/* a hotmail.com sender without any hotmail Received field */
	static const char hotmail_none[] =
	    "Received: from pc (dsl.example.net [198.51.100.3]) by mx.example.org (Postfix) "
	    "with SMTP id 1\n"
	    "From: someone@hotmail.com\nTo: u@example.org\n" BODY;
	/* envelope sender spells the recipient backwards: "example.org.bob@" */
	static const char ratware[] =
	    "Return-Path: <example.org.bob@spam.example.net>\n"
	    "From: x@spam.example.net\nTo: bob@example.org\n" BODY;
	struct ectx e;
	struct mw_eval_args a = { 0, NULL };

	(void)state;
	assert_int_equal(run_eval(yahoo_forged, mw_eval_check_for_forged_yahoo_received_headers), 1);
	assert_int_equal(run_eval(yahoo_real, mw_eval_check_for_forged_yahoo_received_headers), 0);
	assert_int_equal(run_eval(hotmail_none, mw_eval_check_for_no_hotmail_received_headers), 1);
	assert_int_equal(run_eval(yahoo_forged, mw_eval_check_for_no_hotmail_received_headers), 0);
	/* RATWARE_EFROM needs the TLD list the rule files give */
	ectx_open(&e, ratware);
	assert_int_equal(mw_eval_check_ratware_envelope_from(&e.ctx, &a), 0);	/* no TLDs */
	ectx_close(&e);
}

static void
test_eval_no_relays_ctx(void **state)
{
	struct mw_scan_ctx ctx;
	struct mw_eval_args a = { 0, NULL };

	(void)state;
	memset(&ctx, 0, sizeof(ctx));
	/* without the relay analysis the relay evals cannot answer */
	assert_int_equal(mw_eval_check_all_trusted(&ctx, &a), -1);
	assert_int_equal(mw_eval_helo_ip_mismatch(&ctx, &a), -1);
	assert_int_equal(mw_eval_check_mailfrom_matches_rcvd(&ctx, &a), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_shapes),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_trust_inferred),
		cmocka_unit_test(test_trust_configured),
		cmocka_unit_test(test_networks),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_registry_boundaries),
		cmocka_unit_test(test_originating_ip),
		cmocka_unit_test(test_eval_trust),
		cmocka_unit_test(test_eval_helo),
		cmocka_unit_test(test_eval_forged),
		cmocka_unit_test(test_eval_no_relays_ctx),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
