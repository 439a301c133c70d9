/*
 * test_customers - the customers file (keys, inheritance, delimiter, case rule, every
 * parse error with its file:line text), the RCPT-time decision (defer / strictest /
 * submission), the effective policy, and load/lookup speed on a large file.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "customers.h"
#include "envelope.h"
#include "generation.h"
#include "policy.h"

/* --- helpers ------------------------------------------------------------------ */

static char tmpdir[] = "/tmp/mw-test-customers.XXXXXX";

static int
setup_dir(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_dir(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *
write_file(const char *name, const char *text)
{
	char *path;
	FILE *fp;

	assert_true(asprintf(&path, "%s/%s", tmpdir, name) > 0);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	return path;
}

static const struct mw_customers_opts default_opts = {
	.local_part_case_sensitive = false,
	.recipient_delimiter = "+",
};

static struct mw_customers *
parse_ok(const char *text, const struct mw_customers_opts *o)
{
	struct mw_diag d;
	struct mw_customers *t;
	size_t i;

	mw_diag_init(&d);
	t = mw_customers_parse("customers.conf", text, strlen(text), o, &d);
	for (i = 0; i < d.n; i++)
		print_error("unexpected diagnostic: %s\n", d.v[i].text);
	assert_int_equal(d.nerrors, 0);
	assert_non_null(t);
	mw_diag_free(&d);
	return t;
}

/* A base like the configuration gives with a customers file: nothing on. */
static void
optin_base(struct mw_policy *p)
{
	mw_policy_builtin(p);
	p->spam = false;
	p->virus = false;
}

/* --- lookup and inheritance --------------------------------------------------- */

static const char issue_example[] =
    "# key                 options\n"
    "*                     spam=off virus=off\n"
    "example.com           spam=on virus=on\n"
    ".example.org          virus=on              # the domain and all its subdomains\n"
    "ceo@example.com       spam_threshold=8 spam_action=subject\n"
    "sub.example.org       spam=on spam_action=reject spam_reject_threshold=12\n"
    "Boss@Example.NET      spam=on subject_tag=\"[Possible Spam]\"\n"
    "example.net           virus=on virus_action=hold\n"
    "list+news@example.com spam=off\n";

struct lookup_case {
	const char *rcpt;
	const char *key;	/* expected deciding key */
	bool	 spam, virus;
	double	 threshold;
	enum mw_spam_action spam_action;
	const char *subject_tag;
	enum mw_virus_action virus_action;
};

static const struct lookup_case lookup_cases[] = {
	/* domain entry */
	{ "alice@example.com", "example.com", true, true, 5, MW_SPAM_TAG, "[SPAM]", MW_VIRUS_REJECT },
	/* domain compare is case-insensitive, trailing dot ignored */
	{ "alice@EXAMPLE.Com.", "example.com", true, true, 5, MW_SPAM_TAG, "[SPAM]", MW_VIRUS_REJECT },
	/* mailbox inherits spam/virus from its domain */
	{ "ceo@example.com", "ceo@example.com", true, true, 8, MW_SPAM_SUBJECT, "[SPAM]", MW_VIRUS_REJECT },
	/* local part case-insensitive by default */
	{ "CEO@example.com", "ceo@example.com", true, true, 8, MW_SPAM_SUBJECT, "[SPAM]", MW_VIRUS_REJECT },
	/* recipient delimiter stripped */
	{ "ceo+invoices@example.com", "ceo@example.com", true, true, 8, MW_SPAM_SUBJECT, "[SPAM]", MW_VIRUS_REJECT },
	/* an entry for the full extended address wins over the stripped one */
	{ "list+news@example.com", "list+news@example.com", false, true, 5, MW_SPAM_TAG, "[SPAM]", MW_VIRUS_REJECT },
	{ "list+other@example.com", "example.com", true, true, 5, MW_SPAM_TAG, "[SPAM]", MW_VIRUS_REJECT },
	/* exact domain only: a subdomain of example.com falls to '*' */
	{ "bob@mail.example.com", "*", false, false, 5, MW_SPAM_TAG, "[SPAM]", MW_VIRUS_REJECT },
	/* .domain covers the domain itself and subdomains */
	{ "bob@example.org", ".example.org", false, true, 5, MW_SPAM_TAG, "[SPAM]", MW_VIRUS_REJECT },
	{ "bob@a.b.example.org", ".example.org", false, true, 5, MW_SPAM_TAG, "[SPAM]", MW_VIRUS_REJECT },
	/* exact subdomain entry inherits virus from .example.org */
	{ "bob@sub.example.org", "sub.example.org", true, true, 5, MW_SPAM_REJECT, "[SPAM]", MW_VIRUS_REJECT },
	/* .example.org matches, sub.example.org (exact) does not cover deeper names */
	{ "bob@x.sub.example.org", ".example.org", false, true, 5, MW_SPAM_TAG, "[SPAM]", MW_VIRUS_REJECT },
	/* a mailbox key written in mixed case */
	{ "boss@example.net", "boss@example.net", true, true, 5, MW_SPAM_TAG, "[Possible Spam]", MW_VIRUS_HOLD },
	{ "staff@example.net", "example.net", false, true, 5, MW_SPAM_TAG, "[SPAM]", MW_VIRUS_HOLD },
	/* unknown domain, no domain, empty, NULL: '*' */
	{ "someone@elsewhere.test", "*", false, false, 5, MW_SPAM_TAG, "[SPAM]", MW_VIRUS_REJECT },
	{ "postmaster", "*", false, false, 5, MW_SPAM_TAG, "[SPAM]", MW_VIRUS_REJECT },
	{ "", "*", false, false, 5, MW_SPAM_TAG, "[SPAM]", MW_VIRUS_REJECT },
	{ NULL, "*", false, false, 5, MW_SPAM_TAG, "[SPAM]", MW_VIRUS_REJECT },
	/* 'org' alone must not match '.example.org' */
	{ "x@org", "*", false, false, 5, MW_SPAM_TAG, "[SPAM]", MW_VIRUS_REJECT },
	{ "x@notexample.org", "*", false, false, 5, MW_SPAM_TAG, "[SPAM]", MW_VIRUS_REJECT },
};

static void
test_lookup_table(void **state)
{
	struct mw_customers *t;
	struct mw_policy base, p;
	size_t i;

	(void)state;
	t = parse_ok(issue_example, &default_opts);
	assert_int_equal(mw_customers_count(t), 8);
	optin_base(&base);
	for (i = 0; i < sizeof(lookup_cases) / sizeof(lookup_cases[0]); i++) {
		const struct lookup_case *c = &lookup_cases[i];

		print_message("rcpt %s\n", c->rcpt ? c->rcpt : "(null)");
		assert_int_equal(mw_customers_lookup(t, c->rcpt, &base, &p), 1);
		assert_string_equal(p.key, c->key);
		assert_int_equal(p.spam, c->spam);
		assert_int_equal(p.virus, c->virus);
		assert_true(p.spam_threshold == c->threshold);
		assert_int_equal(p.spam_action, c->spam_action);
		assert_string_equal(p.subject_tag, c->subject_tag);
		assert_int_equal(p.virus_action, c->virus_action);
	}
	/* sub.example.org sets the reject threshold; the others keep the base's 0 */
	assert_int_equal(mw_customers_lookup(t, "a@sub.example.org", &base, &p), 1);
	assert_true(p.spam_reject_threshold == 12);
	mw_customers_free(t);
}

static void
test_no_star_means_base(void **state)
{
	struct mw_customers *t;
	struct mw_policy base, p;

	(void)state;
	t = parse_ok("example.com spam=on\n", &default_opts);
	optin_base(&base);
	assert_int_equal(mw_customers_lookup(t, "a@other.test", &base, &p), 0);
	assert_string_equal(p.key, "-");
	assert_false(p.spam);
	assert_false(p.virus);
	assert_false(mw_policy_filters_anything(&p));
	/* NULL table (no file): base unchanged */
	assert_int_equal(mw_customers_lookup(NULL, "a@example.com", &base, &p), 0);
	assert_false(p.spam);
	mw_customers_free(t);
}

static void
test_case_sensitive_and_delimiters(void **state)
{
	static const struct mw_customers_opts sens = {
		.local_part_case_sensitive = true,
		.recipient_delimiter = "+-",
	};
	static const struct mw_customers_opts nodelim = {
		.local_part_case_sensitive = false,
		.recipient_delimiter = "",
	};
	struct mw_customers *t;
	struct mw_policy base, p;

	(void)state;
	optin_base(&base);
	t = parse_ok("John@example.com spam=on\nEXAMPLE.com virus=on\n", &sens);
	assert_int_equal(mw_customers_lookup(t, "John@EXAMPLE.COM", &base, &p), 1);
	assert_string_equal(p.key, "John@example.com");
	assert_true(p.spam);
	assert_int_equal(mw_customers_lookup(t, "john@example.com", &base, &p), 1);
	assert_string_equal(p.key, "example.com");
	assert_false(p.spam);
	/* either delimiter character starts the extension */
	assert_int_equal(mw_customers_lookup(t, "John-x@example.com", &base, &p), 1);
	assert_string_equal(p.key, "John@example.com");
	assert_int_equal(mw_customers_lookup(t, "John+x-y@example.com", &base, &p), 1);
	assert_string_equal(p.key, "John@example.com");
	/* a local part that starts with the delimiter is not stripped to nothing */
	assert_int_equal(mw_customers_lookup(t, "+John@example.com", &base, &p), 1);
	assert_string_equal(p.key, "example.com");
	mw_customers_free(t);

	t = parse_ok("john@example.com spam=on\n", &nodelim);
	assert_int_equal(mw_customers_lookup(t, "john+x@example.com", &base, &p), 0);
	assert_int_equal(mw_customers_lookup(t, "JOHN@example.com", &base, &p), 1);
	mw_customers_free(t);
}

static void
test_options_and_quotes(void **state)
{
	struct mw_customers *t;
	struct mw_policy base, p;

	(void)state;
	optin_base(&base);
	t = parse_ok("\t a.test  spam=yes virus=no spam_threshold=-1.5 spam_action=HOLD "
	    "virus_action=discard spf_fail_action=reject tls_warn=header "
	    "subject_tag=\"[SPAM \\\"x\\\" #1]\"   # comment\r\n", &default_opts);
	assert_int_equal(mw_customers_lookup(t, "u@a.test", &base, &p), 1);
	assert_true(p.spam);
	assert_false(p.virus);
	assert_true(p.spam_threshold == -1.5);
	assert_int_equal(p.spam_action, MW_SPAM_HOLD);
	assert_int_equal(p.virus_action, MW_VIRUS_DISCARD);
	assert_int_equal(p.spf_fail_action, MW_SPF_FAIL_REJECT);
	assert_int_equal(p.tls_warn, MW_TLS_WARN_HEADER);
	assert_string_equal(p.subject_tag, "[SPAM \"x\" #1]");
	mw_customers_free(t);
	(void)t;
}

/* --- parse errors: every one reported with file:line --------------------------- */

struct error_case {
	const char *text;
	const char *diags[4];	/* expected, in order */
};

static const struct error_case error_cases[] = {
	{ "example.com spam=maybe\n",
	  { "customers.conf:1: spam: 'maybe' is not on or off" } },
	{ "\n# c\nexample.com colour=blue\n",
	  { "customers.conf:3: unknown option 'colour'" } },
	{ "example.com spam=on\nEXAMPLE.COM. virus=on\n",
	  { "customers.conf:2: duplicate key 'example.com' (first defined at line 1)" } },
	{ "a@example.com spam=on\nA@example.com spam=off\n",
	  { "customers.conf:2: duplicate key 'a@example.com' (first defined at line 1)" } },
	{ "example.com spam_threshold=high\n",
	  { "customers.conf:1: spam_threshold: 'high' is not a number" } },
	{ "example.com spam_threshold=5000\n",
	  { "customers.conf:1: spam_threshold: 5000 is out of range -1000..1000" } },
	{ "example.com spam_action=bounce\n",
	  { "customers.conf:1: spam_action: 'bounce' is not one of tag|subject|hold|reject" } },
	{ "example.com virus_action=tag\n",
	  { "customers.conf:1: virus_action: 'tag' is not one of reject|hold|discard" } },
	{ "example.com spam=on spam=off\n",
	  { "customers.conf:1: option 'spam' given twice" } },
	{ "example.com\n",
	  { "customers.conf:1: key 'example.com' sets no option" } },
	{ "example.com spam\n",
	  { "customers.conf:1: expected option=value, got 'spam'" } },
	{ "@example.com spam=on\n",
	  { "customers.conf:1: bad key '@example.com': empty local part (for a whole domain "
	    "write the domain alone)" } },
	{ "exa mple.com\n",
	  { "customers.conf:1: expected option=value, got 'mple.com'" } },
	{ "*.example.com spam=on\n",
	  { "customers.conf:1: bad key '*.example.com': invalid character in domain" } },
	{ "a..b spam=on\n",
	  { "customers.conf:1: bad key 'a..b': empty label in domain" } },
	{ "x@.example.com spam=on\n",
	  { "customers.conf:1: bad key 'x@.example.com': a mailbox key cannot name a .domain" } },
	{ "example.com spam=on#notacomment\n",
	  { "customers.conf:1: spam: 'on#notacomment' is not on or off" } },
	{ "example.com subject_tag=\"[SPAM]\n",
	  { "customers.conf:1: unterminated quote" } },
	{ "example.com subject_tag=\"0123456789012345678901234567890123456789012345678901234567890123\"\n",
	  { "customers.conf:1: subject_tag: longer than 63 bytes" } },
	/* several errors: all reported, in line order */
	{ "* spam=off\nexample.com spam=of\nexample.org tls_warn=loud\n* virus=on\n",
	  { "customers.conf:2: spam: 'of' is not on or off",
	    "customers.conf:3: tls_warn: 'loud' is not one of off|log|header|subject",
	    "customers.conf:4: duplicate key '*' (first defined at line 1)" } },
};

static void
test_parse_errors(void **state)
{
	size_t i, j, n;

	(void)state;
	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];
		struct mw_diag d;
		struct mw_customers *t;

		print_message("case %zu: %s", i, c->text);
		mw_diag_init(&d);
		t = mw_customers_parse("customers.conf", c->text, strlen(c->text),
		    &default_opts, &d);
		assert_null(t);
		for (n = 0; n < 4 && c->diags[n]; n++)
			;
		for (j = 0; j < d.n; j++)
			print_message("  got: %s\n", d.v[j].text);
		assert_int_equal(d.nerrors, n);
		for (j = 0; j < n; j++)
			assert_string_equal(d.v[j].text, c->diags[j]);
		mw_diag_free(&d);
	}
}

static void
test_nul_byte(void **state)
{
	static const char text[] = "a.test spam=on\nb.test spam=\0on\n";
	struct mw_diag d;

	(void)state;
	mw_diag_init(&d);
	assert_null(mw_customers_parse("c", text, sizeof(text) - 1, &default_opts, &d));
	assert_int_equal(d.nerrors, 1);
	assert_string_equal(d.v[0].text, "c:2: NUL byte in line");
	mw_diag_free(&d);
}

/* --- policies: comparison and strictest merge -------------------------------- */

static void
test_same_filtering(void **state)
{
	struct mw_policy a, b;

	(void)state;
	mw_policy_builtin(&a);
	b = a;
	snprintf(b.key, sizeof(b.key), "other.test");
	assert_true(mw_policy_same_filtering(&a, &b));		/* key is not filtering */
	b.tls_warn = MW_TLS_WARN_OFF;
	assert_true(mw_policy_same_filtering(&a, &b));		/* logging only */
	b.tls_warn = MW_TLS_WARN_HEADER;
	assert_false(mw_policy_same_filtering(&a, &b));
	b = a;
	snprintf(b.subject_tag, sizeof(b.subject_tag), "[JUNK]");
	assert_true(mw_policy_same_filtering(&a, &b));		/* tag unused by action tag */
	a.spam_action = b.spam_action = MW_SPAM_SUBJECT;
	assert_false(mw_policy_same_filtering(&a, &b));
	b = a;
	b.spam_threshold = 6;
	assert_false(mw_policy_same_filtering(&a, &b));
	a.spam = b.spam = false;
	assert_true(mw_policy_same_filtering(&a, &b));		/* spam off: its settings moot */
	b.virus_action = MW_VIRUS_HOLD;
	assert_false(mw_policy_same_filtering(&a, &b));
	b = a;
	b.virus = false;
	assert_false(mw_policy_same_filtering(&a, &b));
}

static void
test_merge_strictest(void **state)
{
	struct mw_policy a, b;

	(void)state;
	mw_policy_builtin(&a);
	a.spam = false;
	a.virus = false;
	b = a;
	b.virus = true;
	b.virus_action = MW_VIRUS_HOLD;
	mw_policy_merge_strictest(&a, &b);
	assert_false(a.spam);
	assert_true(a.virus);
	assert_int_equal(a.virus_action, MW_VIRUS_HOLD);
	b.virus_action = MW_VIRUS_REJECT;
	mw_policy_merge_strictest(&a, &b);
	assert_int_equal(a.virus_action, MW_VIRUS_REJECT);

	/* tag at 5 + tag at 7 rejecting from 10 = tag from 5, reject from 10 */
	mw_policy_builtin(&a);
	mw_policy_builtin(&b);
	b.spam_threshold = 7;
	b.spam_reject_threshold = 10;
	mw_policy_merge_strictest(&a, &b);
	assert_true(a.spam_threshold == 5);
	assert_int_equal(a.spam_action, MW_SPAM_TAG);
	assert_true(a.spam_reject_threshold == 10);

	/* hold at 5 + reject at 8 = hold from 5, reject from 8 */
	mw_policy_builtin(&a);
	mw_policy_builtin(&b);
	a.spam_action = MW_SPAM_HOLD;
	b.spam_threshold = 8;
	b.spam_action = MW_SPAM_REJECT;
	mw_policy_merge_strictest(&a, &b);
	assert_true(a.spam_threshold == 5);
	assert_int_equal(a.spam_action, MW_SPAM_HOLD);
	assert_true(a.spam_reject_threshold == 8);

	/* subject at 6 + reject at 4 = reject everything from 4 */
	mw_policy_builtin(&a);
	mw_policy_builtin(&b);
	a.spam_threshold = 6;
	a.spam_action = MW_SPAM_SUBJECT;
	b.spam_threshold = 4;
	b.spam_action = MW_SPAM_REJECT;
	mw_policy_merge_strictest(&a, &b);
	assert_true(a.spam_threshold == 4);
	assert_int_equal(a.spam_action, MW_SPAM_REJECT);
	assert_true(a.spam_reject_threshold == 0);

	/* spam off + subject with a custom tag = that recipient's settings */
	mw_policy_builtin(&a);
	mw_policy_builtin(&b);
	a.spam = false;
	b.spam_action = MW_SPAM_SUBJECT;
	snprintf(b.subject_tag, sizeof(b.subject_tag), "[JUNK]");
	mw_policy_merge_strictest(&a, &b);
	assert_true(a.spam);
	assert_int_equal(a.spam_action, MW_SPAM_SUBJECT);
	assert_string_equal(a.subject_tag, "[JUNK]");
}

/* --- through a generation: RCPT decisions, submission, opt-in default -------- */

static struct mw_generation *
build_gen(const char *conf_text, const char *customers_text, struct mw_diag *d)
{
	char *conf_path, *cust_path = NULL, *full;
	struct mw_generation *g;

	if (customers_text != NULL)
		cust_path = write_file("customers.conf", customers_text);
	assert_true(asprintf(&full, "%s%s%s%s\n", conf_text,
	    cust_path ? "customers = " : "", cust_path ? cust_path : "", "") > 0);
	conf_path = write_file("mailwarden.conf", full);
	g = mw_generation_build(conf_path, false, 1, d);
	free(full);
	free(conf_path);
	free(cust_path);
	return g;
}

static const char gen_customers[] =
    "spamfree.test    spam=off virus=on\n"
    "filtered.test    spam=on virus=on\n"
    "twin.test        spam=on virus=on    # same filtering as filtered.test\n"
    "strict.test      spam=on virus=on spam_action=reject spam_threshold=4\n"
    "logonly.test     tls_warn=log\n"
    "nothing.test     spam=off virus=off\n";

static void
test_rcpt_defer(void **state)
{
	struct mw_diag d;
	struct mw_generation *g;
	struct mw_envelope env;
	struct mw_rcpt_state st;

	(void)state;
	mw_diag_init(&d);
	assert_non_null(g = build_gen("", gen_customers, &d));
	mw_envelope_init(&env);
	assert_int_equal(mw_envelope_set(&env.client_addr, "192.0.2.1"), 0);

	mw_rcpt_state_init(&st);
	assert_int_equal(mw_policy_rcpt(g, &env, "a@filtered.test", &st), MW_RCPT_ACCEPT);
	assert_int_equal(mw_policy_rcpt(g, &env, "b@twin.test", &st), MW_RCPT_ACCEPT);
	assert_int_equal(mw_policy_rcpt(g, &env, "c@spamfree.test", &st), MW_RCPT_DEFER);
	assert_int_equal(mw_policy_rcpt(g, &env, "d@strict.test", &st), MW_RCPT_DEFER);
	assert_int_equal(mw_policy_rcpt(g, &env, "e@FILTERED.test", &st), MW_RCPT_ACCEPT);
	assert_int_equal(st.accepted, 3);
	assert_int_equal(st.deferred, 2);
	assert_string_equal(st.effective.key, "filtered.test");

	/* opted-out recipients: unmatched, logging-only and explicit off share */
	mw_rcpt_state_init(&st);
	assert_int_equal(mw_policy_rcpt(g, &env, "a@unknown.test", &st), MW_RCPT_ACCEPT);
	assert_int_equal(mw_policy_rcpt(g, &env, "b@logonly.test", &st), MW_RCPT_ACCEPT);
	assert_int_equal(mw_policy_rcpt(g, &env, "c@nothing.test", &st), MW_RCPT_ACCEPT);
	assert_int_equal(mw_policy_rcpt(g, &env, "d@filtered.test", &st), MW_RCPT_DEFER);
	assert_false(mw_policy_filters_anything(&st.effective));
	assert_string_equal(st.effective.key, "-");

	/* authenticated submission: one policy for all, spam off, virus on */
	assert_int_equal(mw_envelope_set(&env.auth_authen, "alice"), 0);
	mw_rcpt_state_init(&st);
	assert_int_equal(mw_policy_rcpt(g, &env, "a@filtered.test", &st), MW_RCPT_ACCEPT);
	assert_int_equal(mw_policy_rcpt(g, &env, "b@nothing.test", &st), MW_RCPT_ACCEPT);
	assert_string_equal(st.effective.key, "@auth");
	assert_false(st.effective.spam);
	assert_true(st.effective.virus);

	/* no generation: tempfail, never "not opted in" */
	assert_int_equal(mw_policy_rcpt(NULL, &env, "a@filtered.test", &st), MW_RCPT_TEMPFAIL);

	mw_envelope_clear(&env);
	mw_generation_unref(g);
	mw_diag_free(&d);
}

static void
test_rcpt_strictest_and_trusted(void **state)
{
	struct mw_diag d;
	struct mw_generation *g;
	struct mw_envelope env;
	struct mw_rcpt_state st;
	struct mw_policy eff;
	bool mixed;

	(void)state;
	mw_diag_init(&d);
	assert_non_null(g = build_gen("mixed_policy = strictest\n"
	    "trusted_networks = 10.0.0.0/8, 2001:db8::/32\nsubmission_virus = no\n",
	    gen_customers, &d));
	mw_envelope_init(&env);
	assert_int_equal(mw_envelope_set(&env.client_addr, "192.0.2.1"), 0);
	mw_rcpt_state_init(&st);
	assert_int_equal(mw_policy_rcpt(g, &env, "a@spamfree.test", &st), MW_RCPT_ACCEPT);
	assert_int_equal(mw_policy_rcpt(g, &env, "b@strict.test", &st), MW_RCPT_ACCEPT);
	assert_true(st.effective.spam);
	assert_true(st.effective.virus);
	assert_int_equal(st.effective.spam_action, MW_SPAM_REJECT);
	assert_true(st.effective.spam_threshold == 4);

	/* end of message: the same answer from the envelope */
	assert_int_equal(mw_envelope_add_rcpt(&env, "<a@spamfree.test>"), 0);
	assert_int_equal(mw_envelope_add_rcpt(&env, "<b@strict.test>"), 0);
	assert_int_equal(mw_policy_effective(g, &env, &eff, &mixed), 0);
	assert_true(mixed);
	assert_true(mw_policy_same_filtering(&eff, &st.effective));

	/* trusted networks, also as IPv4-mapped IPv6 */
	assert_int_equal(mw_envelope_set(&env.client_addr, "10.1.2.3"), 0);
	assert_int_equal(mw_policy_effective(g, &env, &eff, &mixed), 0);
	assert_false(mixed);
	assert_string_equal(eff.key, "@trusted");
	assert_false(mw_policy_filters_anything(&eff));
	assert_true(mw_policy_trusted(g->policy, "::ffff:10.9.9.9"));
	assert_true(mw_policy_trusted(g->policy, "2001:db8:1::5"));
	assert_false(mw_policy_trusted(g->policy, "2001:db9::5"));
	assert_false(mw_policy_trusted(g->policy, "11.0.0.1"));
	assert_false(mw_policy_trusted(g->policy, "not-an-address"));

	mw_envelope_clear(&env);
	mw_generation_unref(g);
	mw_diag_free(&d);
}

static void
test_no_customers_file_filters_everyone(void **state)
{
	struct mw_diag d;
	struct mw_generation *g;
	struct mw_envelope env;
	struct mw_policy p;

	(void)state;
	mw_diag_init(&d);
	assert_non_null(g = build_gen("spam_threshold = 6.5\n", NULL, &d));
	assert_null(g->customers);
	mw_envelope_init(&env);
	assert_int_equal(mw_policy_lookup(g, &env, "anyone@anywhere.test", &p), 0);
	assert_true(p.spam);
	assert_true(p.virus);
	assert_true(p.spam_threshold == 6.5);
	assert_string_equal(p.key, "-");
	assert_false(mw_customers_changed(g));
	mw_envelope_clear(&env);
	mw_generation_unref(g);
	mw_diag_free(&d);
}

/* The i-th error (warnings from other stages' objects in the generation are skipped). */
static const char *
nth_error(const struct mw_diag *d, size_t n)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].level == MW_DIAG_ERROR && n-- == 0)
			return d->v[i].text;
	return "";
}

static void
test_generation_errors(void **state)
{
	struct mw_diag d;
	char *expect;

	(void)state;
	mw_diag_init(&d);
	assert_null(build_gen("trusted_networks = 10.0.0.1/8 bogus\n",
	    "ok.test spam=on\nbad.test spam=sometimes\n", &d));
	assert_int_equal(d.nerrors, 3);
	assert_non_null(strstr(nth_error(&d, 0), "trusted_networks: '10.0.0.1/8' is not a "
	    "network address (host bits set)"));
	assert_non_null(strstr(nth_error(&d, 1), "trusted_networks: 'bogus' is not an address"));
	assert_true(asprintf(&expect, "%s/customers.conf:2: spam: 'sometimes' is not on or off",
	    tmpdir) > 0);
	assert_string_equal(nth_error(&d, 2), expect);
	free(expect);
	mw_diag_free(&d);

	mw_diag_init(&d);
	assert_null(build_gen("default_subject_tag = \"[SPAM\t]\"\n", NULL, &d));
	assert_int_equal(d.nerrors, 1);
	assert_non_null(strstr(nth_error(&d, 0), "default_subject_tag: control character"));
	mw_diag_free(&d);
}

/* A relative customers path is relative to the configuration file's directory. */
static void
test_relative_path(void **state)
{
	struct mw_diag d;
	struct mw_generation *g;
	struct mw_policy p;
	char *conf;

	(void)state;
	free(write_file("rel-customers.conf", "rel.test spam=on\n"));
	conf = write_file("rel.conf", "customers = rel-customers.conf\n");
	mw_diag_init(&d);
	assert_true(chdir("/") == 0);
	assert_non_null(g = mw_generation_build(conf, false, 1, &d));
	assert_int_equal(mw_policy_lookup(g, NULL, "x@rel.test", &p), 0);
	assert_string_equal(p.key, "rel.test");
	assert_true(p.spam);
	mw_generation_unref(g);
	mw_diag_free(&d);
	free(conf);
}

static void
test_file_changed(void **state)
{
	struct mw_diag d;
	struct mw_generation *g;
	char *path;
	struct timespec ts[2];

	(void)state;
	mw_diag_init(&d);
	assert_non_null(g = build_gen("", "a.test spam=on\n", &d));
	assert_false(mw_customers_changed(g));
	assert_true(asprintf(&path, "%s/customers.conf", tmpdir) > 0);
	/* rewrite with a different mtime */
	free(write_file("customers.conf", "a.test spam=off\n"));
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec += 5;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	assert_true(mw_customers_file_changed(g->customers));
	assert_true(mw_customers_changed(g));
	assert_false(mw_customers_changed(g));	/* the same state is reported once */
	ts[0].tv_sec += 5;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	assert_true(mw_customers_changed(g));
	free(path);
	mw_generation_unref(g);
	mw_diag_free(&d);
}

/* --- scale: tens of thousands of entries -------------------------------------- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_large_file(void **state)
{
	enum { N = 50000, LOOKUPS = 200000 };
	struct mw_customers *t;
	struct mw_policy base, p;
	struct mw_diag d;
	FILE *fp;
	char *path, rcpt[128];
	double t0, load_s, lookup_s;
	size_t i;

	(void)state;
	assert_true(asprintf(&path, "%s/large.conf", tmpdir) > 0);
	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "* spam=off virus=on\n");
	for (i = 0; i < N; i++) {
		if (i % 3 == 0)
			fprintf(fp, "customer%zu.example spam=on virus=on\n", i);
		else if (i % 3 == 1)
			fprintf(fp, ".customer%zu.example spam=on spam_threshold=6\n", i);
		else
			fprintf(fp, "user%zu@customer%zu.example spam=on spam_action=subject\n", i,
			    i - 1);
	}
	assert_int_equal(fclose(fp), 0);

	mw_diag_init(&d);
	t0 = now_s();
	t = mw_customers_load(path, &default_opts, &d);
	load_s = now_s() - t0;
	assert_non_null(t);
	assert_int_equal(mw_customers_count(t), N + 1);

	optin_base(&base);
	t0 = now_s();
	for (i = 0; i < LOOKUPS; i++) {
		size_t k = i % N;
		snprintf(rcpt, sizeof(rcpt), "user%zu+x@mx.customer%zu.example", k, k);
		mw_customers_lookup(t, rcpt, &base, &p);
	}
	lookup_s = now_s() - t0;
	print_message("load %d entries: %.3f s; %d lookups: %.3f s (%.2f us each)\n", N + 1,
	    load_s, LOOKUPS, lookup_s, lookup_s * 1e6 / LOOKUPS);
#ifdef __SANITIZE_ADDRESS__
	assert_true(load_s < 3.0);	/* ASan costs about 3x */
#else
	assert_true(load_s < 1.0);
#endif
	assert_true(lookup_s * 1e6 / LOOKUPS < 50.0);

	/* and the answers are right */
	assert_int_equal(mw_customers_lookup(t, "user5@customer4.example", &base, &p), 1);
	assert_string_equal(p.key, "user5@customer4.example");
	assert_int_equal(p.spam_action, MW_SPAM_SUBJECT);
	assert_true(p.spam_threshold == 6);	/* inherited from .customer4.example */
	assert_true(p.virus);			/* inherited from '*' */
	assert_int_equal(mw_customers_lookup(t, "x@a.b.customer7.example", &base, &p), 1);
	assert_string_equal(p.key, ".customer7.example");
	mw_customers_free(t);
	mw_diag_free(&d);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_table),
		cmocka_unit_test(test_no_star_means_base),
		cmocka_unit_test(test_case_sensitive_and_delimiters),
		cmocka_unit_test(test_options_and_quotes),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_same_filtering),
		cmocka_unit_test(test_merge_strictest),
		cmocka_unit_test(test_rcpt_defer),
		cmocka_unit_test(test_rcpt_strictest_and_trusted),
		cmocka_unit_test(test_no_customers_file_filters_everyone),
		cmocka_unit_test(test_generation_errors),
		cmocka_unit_test(test_relative_path),
		cmocka_unit_test(test_file_changed),
		cmocka_unit_test(test_large_file),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
