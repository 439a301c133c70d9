/*
 * test_rules - the SpamAssassin rule engine: Perl regex translation, the required-
 * literal extraction, conditionals, every directive and error path of the loader
 * (with file:line), header/body/rawbody/uri/full/meta evaluation, tflags, scores,
 * the prefilter (same hits with and without) and the time budget.  Real PCRE2.
 */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "message.h"
#include "mime.h"
#include "perlre.h"
#include "rules_eval.h"
#include "rules_load.h"
#include "scan.h"
#include "verdict.h"

/* --- Perl regex -> PCRE2 ------------------------------------------------------ */

struct re_case {
	const char *in;
	const char *pattern;	/* NULL = must fail */
	uint32_t options;
	const char *rest;	/* what follows the operator */
	const char *subject;	/* matched after compiling (NULL = skip) */
	int	 match;
};

static const struct re_case re_cases[] = {
	{ "/abc/i", "abc", PCRE2_CASELESS, "", "xABCx", 1 },
	{ "  /abc/ tail", "abc", 0, " tail", "ab", 0 },
	{ "m{a{2}b}", "a{2}b", 0, "", "aab", 1 },
	{ "m{x{1}(y)}s", "x{1}(y)", PCRE2_DOTALL, "", "xy", 1 },
	{ "m!a\\!b!", "a\\!b", 0, "", "a!b", 1 },
	{ "m|a\\|b|", "a\\|b", 0, "", "a|b", 1 },
	{ "/a\\/b/", "a\\/b", 0, "", "a/b", 1 },
	{ "/\\y\\d/", "y\\d", 0, "", "y7", 1 },		/* unknown escape = the letter */
	{ "/^a.b$/ms", "^a.b$", PCRE2_MULTILINE | PCRE2_DOTALL, "", "x\na\nb\ny", 1 },
	{ "/a b/x", "a b", PCRE2_EXTENDED, "", "ab", 1 },
	{ "/a b/xx", "a b", PCRE2_EXTENDED_MORE, "", "ab", 1 },
	{ "/\\Qa.b\\E/", "\\Qa.b\\E", 0, "", "axb", 0 },
	{ "/\\Qa\\yb\\E/", "\\Qa\\yb\\E", 0, "", "a\\yb", 1 },
	{ "/x/gopadlu", "x", 0, "", "x", 1 },		/* match-time flags ignored */
	{ "/\\x{263a}/", "\\x{263a}", 0, "", "smile \xe2\x98\xba", 1 },	/* UTF retry */
	{ "/[\\xc3][\\xa9]/", "[\\xc3][\\xa9]", 0, "", "caf\xc3\xa9", 1 },	/* bytes */
	{ "/abc", NULL, 0, NULL, NULL, 0 },
	{ "abc/", NULL, 0, NULL, NULL, 0 },
	{ "/a/q", NULL, 0, NULL, NULL, 0 },
	{ "/\\Ufoo/", NULL, 0, NULL, NULL, 0 },
	{ "m{a{b}", NULL, 0, NULL, NULL, 0 },
};

static void
test_perlre(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(re_cases) / sizeof(re_cases[0]); i++) {
		const struct re_case *c = &re_cases[i];
		struct mw_perlre re;
		const char *end = NULL;
		char err[200];
		int rc = mw_perlre_parse(c->in, &end, &re, err, sizeof(err));

		if (c->pattern == NULL) {
			if (rc != -1)
				fail_msg("case %zu '%s': parse should fail", i, c->in);
			mw_perlre_free(&re);
			continue;
		}
		if (rc != 0)
			fail_msg("case %zu '%s': %s", i, c->in, err);
		assert_string_equal(re.pattern, c->pattern);
		assert_int_equal(re.options, c->options);
		assert_string_equal(end, c->rest);
		if (c->subject != NULL) {
			int utf;
			pcre2_code *code = mw_perlre_compile(&re, &utf, err, sizeof(err));
			pcre2_match_data *md;
			int m;

			if (code == NULL)
				fail_msg("case %zu: compile: %s", i, err);
			md = pcre2_match_data_create(1, NULL);
			m = pcre2_match(code, (PCRE2_SPTR)c->subject, strlen(c->subject), 0, 0, md,
			    NULL);
			if ((m >= 0) != (c->match != 0))
				fail_msg("case %zu '%s' on '%s': match %d", i, c->in, c->subject, m);
			pcre2_match_data_free(md);
			pcre2_code_free(code);
		}
		mw_perlre_free(&re);
	}
}

struct lit_case {
	const char *re;
	const char *lit;	/* "" = none */
};

static const struct lit_case lit_cases[] = {
	{ "/hello\\s+world/", "hello" },
	{ "/foo|barbaz/", "" },
	{ "/(?:a|b)cdef/", "cdef" },
	{ "/ab?cdef/", "cdef" },
	{ "/x{2,3}abcd/", "abcd" },
	{ "/a\\.bcd/i", "a.bcd" },
	{ "/CaSe/i", "case" },
	{ "/ab+cd/", "" },
	{ "/abc+def/", "abc" },
	{ "/\\d{3}abc/", "abc" },
	{ "/[abc]xyz[d]/", "xyz" },
	{ "/abc def/x", "" },
	{ "/\\Qabc\\E/", "" },
	{ "/ab/", "" },		/* shorter than the minimum */
	{ "/\\x41\\x42C/", "abc" },
};

static void
test_required_literal(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lit_cases) / sizeof(lit_cases[0]); i++) {
		struct mw_perlre re;
		char buf[64], err[100];
		size_t n;

		assert_int_equal(mw_perlre_parse(lit_cases[i].re, NULL, &re, err, sizeof(err)), 0);
		n = mw_perlre_required_literal(&re, buf, sizeof(buf), 3);
		buf[n] = '\0';
		if (strcmp(buf, lit_cases[i].lit) != 0)
			fail_msg("'%s': literal '%s', expected '%s'", lit_cases[i].re, buf,
			    lit_cases[i].lit);
		mw_perlre_free(&re);
	}
}

/* literal sets: one per alternative; "" = none provable */
static const struct lit_case set_cases[] = {
	{ "/foo|barbaz/", "foo,barbaz" },
	{ "/\\b(?:alpha|beta|gamma)\\b/i", "alpha,beta,gamma" },
	{ "/x(?<n>abcd|efgh)y/", "abcd,efgh" },
	{ "/(?:abcd|ef)/", "" },			/* one alternative too short */
	{ "/(?:abcd|efgh)?zz/", "" },			/* optional group proves nothing */
	{ "/(?!abcd)x/", "" },				/* negative look-ahead */
	{ "/(?i)(?:caf\\xe9s|abcd)/", "" },		/* non-ASCII under (?i) */
	{ "/[[:alpha:]]abc]/", "abc]" },		/* POSIX class inside a class */
	{ "/[^]|]xyzw/", "xyzw" },			/* ] and | inside a class */
	{ "/a(?:bcde|(?:fghi|jklm))/", "bcde,fghi,jklm" },
	{ "/abc(?#c)/", "" },
};

static void
test_literal_sets(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(set_cases) / sizeof(set_cases[0]); i++) {
		struct mw_perlre re;
		struct mw_perlre_lits l;
		char got[256] = "", err[100];

		assert_int_equal(mw_perlre_parse(set_cases[i].re, NULL, &re, err, sizeof(err)), 0);
		mw_perlre_literals(&re, &l, 3);
		for (k = 0; k < l.n; k++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%.*s",
			    k ? "," : "", (int)l.len[k], l.s[k]);
		if (strcmp(got, set_cases[i].lit) != 0)
			fail_msg("'%s': literals '%s', expected '%s'", set_cases[i].re, got,
			    set_cases[i].lit);
		mw_perlre_free(&re);
	}
}

/* --- conditionals ------------------------------------------------------------- */

static void
test_conditions(void **state)
{
	static const struct { const char *e; int v; } c[] = {
		{ "(version >= 3.004000)", 1 },
		{ "version >= 4.000001", 1 },
		{ "(version > 5)", 0 },
		{ "!((version >= 3.004000))", 0 },
		{ "plugin(Mail::SpamAssassin::Plugin::BodyEval)", 1 },
		{ "plugin(Mail::SpamAssassin::Plugin::ReplaceTags)", 1 },
		{ "!plugin(Mail::SpamAssassin::Plugin::URIDNSBL)", 1 },
		{ "plugin(Mail::SpamAssassin::Plugin::Razor2)", 0 },
		{ "can(Mail::SpamAssassin::Conf::feature_bug6558_free)", 1 },
		{ "!(can(Mail::SpamAssassin::Conf::feature_bug6558_free))", 0 },
		{ "can(Mail::SpamAssassin::Plugin::BodyEval::has_check_body_length)", 1 },
		{ "can(Mail::SpamAssassin::Conf::feature_capture_rules)", 0 },
		{ "can(Mail::SpamAssassin::Conf::no_such_thing)", 0 },
		{ "version >= 3.004 && plugin(Mail::SpamAssassin::Plugin::DKIM)", 1 },
		{ "perl_version >= 5.010 || 0", 1 },
		{ "local_tests_only", 1 },
		{ "plugin(", -1 },
		{ "version >=", -1 },
		{ "(version >= 3", -1 },
		{ "nonsense", -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (mw_rules_eval_condition(c[i].e) != c[i].v)
			fail_msg("'%s' = %d, expected %d", c[i].e, mw_rules_eval_condition(c[i].e),
			    c[i].v);
}

/* --- the loader: directives and diagnostics ----------------------------------- */

static bool
diag_has(const struct mw_diag *d, const char *needle)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strstr(d->v[i].text, needle) != NULL)
			return true;
	return false;
}

static struct mw_ruleset *
load(const char *text, struct mw_diag *d)
{
	mw_diag_init(d);
	return mw_rules_load_string("t.cf", text, strlen(text), 0, d);
}

static void
test_load_errors(void **state)
{
	static const struct { const char *text; const char *diag; bool error; } c[] = {
		{ "body A /x/\nheader X Subject =~ /foo\n", "t.cf:2: rule X skipped: unterminated regex", false },
		{ "body B /(/\n", "t.cf:1: rule B skipped: regex at offset", false },
		{ "header H Subject:bogus =~ /x/\n", "t.cf:1: rule H skipped: unknown header modifier :bogus", false },
		{ "header H Subject ~= /x/\n", "t.cf:1: rule H skipped: =~ or !~ expected", false },
		{ "header H Subject =~ /x/ junk\n", "t.cf:1: rule H skipped: unexpected text", false },
		{ "header H Subject =~ /x/ [if-unset: y\n", "t.cf:1: rule H skipped: [if-unset: without ]", false },
		{ "header H exists:\n", "t.cf:1: rule H skipped: exists: needs a header name", false },
		{ "body E eval:\n", "t.cf:1: rule E skipped: eval: function name expected", false },
		{ "body E eval:f('a'\n", "t.cf:1: rule E skipped: eval: missing )", false },
		{ "body\n", "t.cf:1: body: rule name and test expected", false },
		{ "body bad-name /x/\n", "t.cf:1: body: rule name and test expected", false },
		{ "score X 1 2\n", "t.cf:1: score X: 1 or 4 numbers expected", false },
		{ "score\n", "t.cf:1: score: rule name expected", false },
		{ "describe\n", "t.cf:1: describe: rule name expected", false },
		{ "tflags\n", "t.cf:1: tflags: rule name expected", false },
		{ "priority X abc\n", "t.cf:1: priority: number expected", false },
		{ "required_score lots\n", "t.cf:1: required_score: number expected", false },
		{ "meta M (A &&\n", "t.cf:1: meta M skipped:", false },
		{ "meta M A ?? B\n", "t.cf:1: meta M skipped:", false },
		{ "meta M1 M2\nmeta M2 M1\n", "is part of a dependency loop", false },
		{ "replace_tag\n", "t.cf:1: replace tag: name expected", false },
		{ "\n\nendif\n", "t.cf:3: endif without if", true },
		{ "else\n", "t.cf:1: else without if", true },
		{ "ifplugin Mail::SpamAssassin::Plugin::Check\nbody A /x/\n", "t.cf:1: if without endif", true },
		{ "if (version >= \nendif\n", "t.cf:1: bad if expression", true },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct mw_diag d;
		struct mw_ruleset *rs = load(c[i].text, &d);

		assert_non_null(rs);
		if (!diag_has(&d, c[i].diag))
			fail_msg("case %zu: no diagnostic '%s' (%zu entries, first: %s)", i,
			    c[i].diag, d.n, d.n ? d.v[0].text : "-");
		assert_int_equal(d.nerrors > 0, c[i].error);
		mw_rules_free(rs);
		mw_diag_free(&d);
	}
}

static void
test_load_missing_file(void **state)
{
	struct mw_diag d;
	const char *paths[] = { "/nonexistent/mw-rules.cf" };
	struct mw_ruleset *rs;

	(void)state;
	mw_diag_init(&d);
	rs = mw_rules_load(paths, 1, 0, &d);
	assert_non_null(rs);
	assert_true(d.nerrors == 1);
	assert_true(diag_has(&d, "/nonexistent/mw-rules.cf: cannot read rules"));
	mw_rules_free(rs);
	mw_diag_free(&d);
	/* ? makes a missing path optional */
	mw_diag_init(&d);
	rs = mw_rules_load_list("?/nonexistent/a.cf, ?/nonexistent/dir", 0, &d);
	assert_non_null(rs);
	assert_int_equal(d.n, 0);
	mw_rules_free(rs);
	mw_diag_free(&d);
}

static const char directives[] =
	"# comment line\n"
	"required_score 6.5\n"
	"body     A1   /first/\n"
	"body     A1   /second/   # later definitions override\n"
	"score    A1   2.5\n"
	"describe A1   the A rule\n"
	"score    SETS 1 2 3 4\n"
	"header   SETS Subject =~ /x/\n"
	"body     T_TESTING /t/\n"
	"body     NICE /n/\n"
	"tflags   NICE nice\n"
	"body     MULTI /m/\n"
	"tflags   MULTI multiple maxhits=4 publish\n"
	"priority MULTI -100\n"
	"lang de  describe A1 auf Deutsch\n"
	"ifplugin Mail::SpamAssassin::Plugin::Razor2\n"
	"body     RAZOR_ONLY /r/\n"
	"else\n"
	"body     NOT_RAZOR /r/\n"
	"endif\n"
	"if (version >= 3.004000)\n"
	"  if !plugin(Mail::SpamAssassin::Plugin::BodyEval)\n"
	"  body   NESTED_NO /x/\n"
	"  endif\n"
	"body     NEW_ENOUGH /y/\n"
	"endif\n"
	"replace_start <\n"
	"replace_end   >\n"
	"replace_tag   A (?:a|4)\n"
	"replace_tag   B (?:b|8)\n"
	"replace_tag   AB <A><B>\n"
	"replace_inter SP \\s*\n"
	"replace_pre   P \\b\n"
	"body     TAGGED /<A><B>c/\n"
	"body     TAGGED_INTER /<inter SP><A><B>/\n"
	"body     TAGGED_NEST /<AB>x/\n"
	"body     TAGGED_PRE /<pre P><A>q/\n"
	"replace_rules TAGGED TAGGED_INTER TAGGED_NEST TAGGED_PRE\n"
	"body     UNTAGGED /<A>/\n"
	"header   EV eval:check_something('a b', 2)\n"
	"score    ZERO 0\n"
	"body     ZERO /z/\n"
	"mimeheader MH Content-Type =~ /x/\n"
	"test     A1 ok some text\n"
	"unknown_plugin_setting 1 2 3\n";

/* A ReplaceTags expansion past PCRE2's compiled-size limit (64 KiB with Debian's
 * 2-byte links) is expanded again with the tag defined once and called: it loads,
 * and matches what the inline expansion would. */
static void
test_replace_tags_too_large(void **state)
{
	char *text, *p;
	size_t cap = 200000, i;
	struct mw_diag d;
	struct mw_ruleset *rs;
	const struct mw_rule *r;
	pcre2_match_data *md;
	static const char yes[] = "xx zqa7 zqa7 zqa7 zqa7 zqa7 zqa7 zqa7 zqa7 yy";
	static const char no[] = "xx zqa7 zqa7 zqa7 yy";

	(void)state;
	text = malloc(cap);
	assert_non_null(text);
	p = text + sprintf(text, "replace_start <\nreplace_end >\nreplace_tag BIG (?:");
	for (i = 0; i < 2000; i++)	/* 2000 spellings of one "letter" */
		p += sprintf(p, "%sz%04zu", i ? "|" : "", i);
	p += sprintf(p, "|zqa7)\nbody HUGE /(?:<BIG>\\s){8}/\nreplace_rules HUGE\n");
	rs = load(text, &d);
	free(text);
	assert_non_null(rs);
	if (d.n != 0)
		fail_msg("unexpected diagnostic: %s", d.v[0].text);
	assert_non_null(r = mw_rules_find(rs, "HUGE"));
	assert_false(r->broken);
	assert_non_null(r->re);
	assert_memory_equal(r->pre.pattern, "(?(DEFINE)(?<mwtag0>", 20);
	md = pcre2_match_data_create(1, NULL);
	assert_non_null(md);
	assert_true(pcre2_match(r->re, (PCRE2_SPTR)yes, strlen(yes), 0, 0, md, NULL) >= 0);
	assert_true(pcre2_match(r->re, (PCRE2_SPTR)no, strlen(no), 0, 0, md, NULL) < 0);
	pcre2_match_data_free(md);
	mw_rules_free(rs);
}

static void
test_load_directives(void **state)
{
	struct mw_diag d;
	struct mw_ruleset *rs = load(directives, &d);
	const struct mw_rule *r;
	char *buf = NULL;
	size_t blen = 0;
	FILE *f;

	(void)state;
	assert_non_null(rs);
	if (d.n != 0)
		fail_msg("unexpected diagnostic: %s", d.v[0].text);
	assert_true(rs->required_score == 6.5);
	assert_non_null(r = mw_rules_find(rs, "A1"));
	assert_string_equal(r->pre.pattern, "second");
	assert_int_equal(r->line, 4);
	assert_true(r->score == 2.5);
	assert_string_equal(r->describe, "the A rule");	/* lang lines are skipped */
	assert_non_null(r = mw_rules_find(rs, "SETS"));
	assert_true(r->scores[0] == 1 && r->scores[3] == 4 && r->score == 1);
	assert_true(mw_rules_find(rs, "T_TESTING")->score == 0.01);
	assert_true(mw_rules_find(rs, "NICE")->score == -1.0);
	assert_non_null(r = mw_rules_find(rs, "MULTI"));
	assert_true((r->tflags & MW_TF_MULTIPLE) && r->maxhits == 4 && r->priority == -100);
	assert_null(mw_rules_find(rs, "RAZOR_ONLY"));
	assert_non_null(mw_rules_find(rs, "NOT_RAZOR"));
	assert_null(mw_rules_find(rs, "NESTED_NO"));
	assert_non_null(mw_rules_find(rs, "NEW_ENOUGH"));
	assert_string_equal(mw_rules_find(rs, "TAGGED")->pre.pattern, "(?:a|4)(?:b|8)c");
	assert_string_equal(mw_rules_find(rs, "TAGGED_INTER")->pre.pattern,
	    "\\s*(?:a|4)\\s*(?:b|8)");
	assert_string_equal(mw_rules_find(rs, "TAGGED_NEST")->pre.pattern, "(?:a|4)(?:b|8)x");
	assert_string_equal(mw_rules_find(rs, "TAGGED_PRE")->pre.pattern, "\\b(?:a|4)q");
	assert_string_equal(mw_rules_find(rs, "UNTAGGED")->pre.pattern, "<A>");
	assert_non_null(r = mw_rules_find(rs, "EV"));
	assert_int_equal(r->test, MW_RT_EVAL);
	assert_string_equal(r->eval_fn, "check_something");
	assert_int_equal(r->eval_argc, 2);
	assert_string_equal(r->eval_argv[0], "a b");
	assert_string_equal(r->eval_argv[1], "2");
	assert_null(r->native);
	assert_false(mw_rules_find(rs, "ZERO")->active);	/* zero score: never runs */
	assert_false(mw_rules_find(rs, "MH")->broken);		/* mimeheader loads */
	assert_int_equal(rs->stats.unsupported, 0);
	assert_int_equal(rs->stats.evals, 1);
	assert_int_equal(rs->stats.ignored_directives, 2);	/* test, unknown_plugin_setting */

	/* the lint report lists the eval without a native function */
	f = open_memstream(&buf, &blen);
	assert_non_null(f);
	mw_rules_lint_report(rs, f);
	fclose(f);
	assert_non_null(strstr(buf, "eval without native function: header EV eval:check_something (t.cf:"));
	assert_non_null(strstr(buf, "eval rules: 1, with a native function: 0, without: 1"));
	free(buf);
	mw_rules_free(rs);
	mw_diag_free(&d);
}

/* --- evaluation --------------------------------------------------------------- */

static const char eval_rules[] =
	"header   SUBJ_FOO   Subject =~ /^foo bar\\n$/\n"
	"header   SUBJ_ENC   Subject =~ /caf\\xc3\\xa9/\n"
	"header   NO_XYZ     X-Nothing !~ /./\n"
	"header   UNSET      X-Nothing =~ /^dflt$/ [if-unset: dflt]\n"
	"header   UNDEF_EMPTY X-Nothing =~ /^$/\n"
	"header   FROM_ADDR  From:addr =~ /^jo\\@example\\.com$/\n"
	"header   FROM_NAME  From:name =~ /^Jo Smith$/\n"
	"header   TOCC_BOTH  ToCc =~ /a\\@x.*\\n.*c\\@z/s\n"
	"header   TOCC_ADDR  ToCc:addr =~ /^b\\@y$/m\n"
	"header   HAS_TO     exists:To\n"
	"header   HAS_TOCC   exists:ToCc\n"
	"header   HAS_BCC    exists:Bcc\n"
	"header   ALL_HDRS   ALL =~ /^Subject: foo bar$/m\n"
	"header   MSGID      MESSAGEID =~ /^<id\\@x>$/m\n"
	"header   ENVFROM    EnvelopeFrom =~ /^bounce\\@example\\.net$/\n"
	"header   RAW_FOLD   Subject:raw =~ /^foo bar$/m\n"
	"header   FIRST_RCVD Received:first =~ /^from one/\n"
	"header   LAST_RCVD  Received:last =~ /^from two/\n"
	"body     BODY_PARA  /quick brown fox/\n"
	"body     BODY_SUBJ  /^foo bar$/\n"
	"body     NOSUBJ     /^foo bar$/\n"
	"tflags   NOSUBJ     nosubject\n"
	"body     BODY_MULTI /spam/\n"
	"tflags   BODY_MULTI multiple maxhits=3\n"
	"score    BODY_MULTI 0.5\n"
	"body     BODY_ONCE  /spam/\n"
	"rawbody  RAW_LINE   /^<b>bold<\\/b>$/m\n"
	"rawbody  RAW_NOM    /^<b>bold<\\/b>$/\n"		/* one chunk: $ is its end */
	"rawbody  RAW_MULTI  /bold<\\/b>\\nplain/\n"	/* lines joined as in SpamAssassin */
	"uri      URI_IP     m{^http://192\\.0\\.2\\.1/}\n"
	"full     FULL_HDR   /\\A(?:[^\\n]+\\n)*?Subject: foo/\n"
	"body     NEVER      /this text is nowhere/\n"
	"body     __SUB_A    /quick/\n"
	"body     __SUB_B    /nowhere to be found/\n"
	"meta     META_AND   __SUB_A && !__SUB_B\n"
	"meta     META_SUM   (__SUB_A + __SUB_B + BODY_MULTI) >= 2\n"
	"meta     META_OR    __SUB_B || NEVER\n"
	"meta     META_CMP   BODY_MULTI == 3 && BODY_MULTI > 2 && BODY_MULTI <= 3 && BODY_MULTI != 1\n"
	"meta     META_ARITH (BODY_MULTI * 2 - 1) / 5 == 1\n"
	"meta     META_COND  __SUB_B ? 0 : 1\n"
	"meta     META_XOR   __SUB_A ^ __SUB_B\n"
	"meta     META_UNDEF !UNDEFINED_RULE && __SUB_A\n"
	"meta     META_NEST  META_AND && META_SUM\n"
	"meta     __SUB_META __SUB_A\n"
	"meta     META_SUBMETA __SUB_META\n"
	"body     ZERO_DEP   /quick/\n"
	"score    ZERO_DEP   0\n"
	"meta     META_ZERO  ZERO_DEP\n";

static const char eval_msg[] =
	"Received: from one.example by mx\n"
	"Received: from two.example by mx\n"
	"Return-Path: <bounce@example.net>\n"
	"From: \"Jo Smith\" <jo@example.com>\n"
	"To: a@x, \"B\" <b@y>\n"
	"Cc: c@z\n"
	"Subject: foo\n bar\n"
	"Message-ID: <id@x>\n"
	"\n"
	"body\n";

static struct mw_textv body_v[] = {
	{ "foo bar", 7 },
	{ "The quick brown fox spam spam", 29 },
	{ "spam again, spam", 16 },
};
static struct mw_textv raw_v[] = { { "<b>bold</b>", 11 }, { "plain", 5 } };
static struct mw_textv uri_v[] = { { "http://192.0.2.1/x", 18 } };

static const char *
fake_decoded(const struct mw_message *m, const char *name, size_t nth)
{
	(void)m;
	(void)nth;
	return strcasecmp(name, "Subject") == 0 ? "caf\xc3\xa9" : NULL;
}

static bool
hit(const struct mw_ruleset *rs, const struct mw_rules_result *res, const char *name,
    unsigned *count)
{
	size_t i;

	for (i = 0; i < res->nhits; i++)
		if (strcmp(rs->rules[res->hits[i].rule].name, name) == 0) {
			if (count != NULL)
				*count = res->hits[i].count;
			return true;
		}
	return false;
}

/* mimeheader: every MIME part's own fields, the message's header block as part 1. */
static void
test_mimeheader(void **state)
{
	static const char rules[] =
	    "mimeheader ANY_TEXT  Content-Type =~ /text\\/\\w+/i\n"
	    "mimeheader OBFU_TXT  Content-Type =~ m,\\bapplication/octet-stream\\b.+\\.txt\\b,i\n"
	    "mimeheader GIF       Content-Type =~ /image\\/gif/\n"
	    "mimeheader NO_GIF    Content-Type !~ /image\\/gif/\n"
	    "mimeheader TOP       Content-Type =~ /^multipart\\/mixed/\n"
	    "mimeheader RAW_FOLD  Content-Type:raw =~ /;\\n\\s+name=\"notes\\.txt\"/\n"
	    "mimeheader UNSET_CID Content-Id =~ /^none$/ [if-unset: none]\n"
	    "mimeheader DISPO     Content-Disposition =~ /^attachment/\n";
	static const char msg[] =
	    "From: a@example.org\n"
	    "To: b@example.org\n"
	    "Subject: parts\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"XX\"\n"
	    "\n"
	    "--XX\n"
	    "Content-Type: text/plain; charset=us-ascii\n"
	    "\n"
	    "hello\n"
	    "--XX\n"
	    "Content-Type: application/octet-stream;\n"
	    "\tname=\"notes.txt\"\n"
	    "Content-Disposition: attachment\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "aGVsbG8K\n"
	    "--XX--\n";
	static const struct { const char *name; bool hit; } expect[] = {
		{ "ANY_TEXT", true }, { "OBFU_TXT", true }, { "GIF", false },
		{ "NO_GIF", true }, { "TOP", true }, { "RAW_FOLD", true },
		{ "UNSET_CID", true }, { "DISPO", true },
	};
	struct mw_diag d;
	struct mw_ruleset *rs = load(rules, &d);
	struct mw_message m;
	struct mw_limits lim = { .max_header_count = 100, .max_header_size = 4096 };
	struct mw_mime_limits ml;
	struct mw_rules_input in = { 0 };
	struct mw_rules_result res;
	size_t i;

	(void)state;
	assert_non_null(rs);
	if (d.n != 0)
		fail_msg("unexpected diagnostic: %s", d.v[0].text);
	mw_message_init(&m);
	mw_mime_limits_default(&ml);
	assert_int_equal(mw_message_parse(&m, msg, strlen(msg), &lim), 0);
	assert_int_equal(mw_mime_build(&m, &ml), 0);
	in.msg = &m;
	in.views = mw_mime_views(&m);
	assert_int_equal(mw_rules_run(rs, &in, &res), 0);
	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		if (hit(rs, &res, expect[i].name, NULL) != expect[i].hit)
			fail_msg("%s: hit %d, expected %d", expect[i].name, !expect[i].hit,
			    expect[i].hit);
	mw_rules_result_free(&res);
	mw_mime_free(&m);
	mw_message_free(&m);
	mw_rules_free(rs);
}

static void
run_eval(bool no_prefilter)
{
	static const struct { const char *name; bool hit; } expect[] = {
		{ "SUBJ_FOO", true }, { "SUBJ_ENC", false }, { "NO_XYZ", true },
		{ "UNSET", true }, { "UNDEF_EMPTY", true }, { "FROM_ADDR", true },
		{ "FROM_NAME", true }, { "TOCC_BOTH", true }, { "TOCC_ADDR", true },
		{ "HAS_TO", true }, { "HAS_TOCC", true }, { "HAS_BCC", false },
		{ "ALL_HDRS", true }, { "MSGID", true }, { "ENVFROM", true },
		{ "RAW_FOLD", true }, { "FIRST_RCVD", true }, { "LAST_RCVD", true },
		{ "BODY_PARA", true }, { "BODY_SUBJ", true }, { "NOSUBJ", false },
		{ "BODY_MULTI", true }, { "BODY_ONCE", true }, { "RAW_LINE", true },
		{ "RAW_NOM", false }, { "RAW_MULTI", true },
		{ "URI_IP", true }, { "FULL_HDR", true }, { "NEVER", false },
		{ "__SUB_A", false },	/* subrules never appear in the hits */
		{ "META_AND", true }, { "META_SUM", true }, { "META_OR", false },
		{ "META_CMP", true }, { "META_ARITH", true }, { "META_COND", true },
		{ "META_XOR", true }, { "META_UNDEF", true }, { "META_NEST", true },
		{ "META_SUBMETA", true }, { "ZERO_DEP", false }, { "META_ZERO", false },
	};
	struct mw_diag d;
	struct mw_ruleset *rs = load(eval_rules, &d);
	struct mw_message m;
	struct mw_limits lim = { .max_header_count = 100, .max_header_size = 4096 };
	struct mw_views views = { body_v, 3, raw_v, 2, uri_v, 1 };
	struct mw_rules_input in = { 0 };
	struct mw_rules_result res;
	unsigned count = 0;
	size_t i;

	assert_non_null(rs);
	if (d.n != 0)
		fail_msg("unexpected diagnostic: %s", d.v[0].text);
	mw_message_init(&m);
	assert_int_equal(mw_message_parse(&m, eval_msg, strlen(eval_msg), &lim), 0);
	in.msg = &m;
	in.views = &views;
	in.no_prefilter = no_prefilter;
	in.keep_matches = true;
	assert_int_equal(mw_rules_run(rs, &in, &res), 0);
	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		if (hit(rs, &res, expect[i].name, NULL) != expect[i].hit)
			fail_msg("%s: hit %d, expected %d (prefilter %s)", expect[i].name,
			    !expect[i].hit, expect[i].hit, no_prefilter ? "off" : "on");
	assert_true(hit(rs, &res, "BODY_MULTI", &count));
	assert_int_equal(count, 3);		/* maxhits=3 of 4 matches */
	assert_true(hit(rs, &res, "BODY_ONCE", &count));
	assert_int_equal(count, 1);
	/* META_CMP etc. score 1 each; BODY_MULTI 3 x 0.5 */
	for (i = 0; i < res.nhits; i++)
		if (strcmp(rs->rules[res.hits[i].rule].name, "BODY_PARA") == 0)
			assert_string_equal(res.hits[i].match, "quick brown fox");
	if (!no_prefilter)
		assert_true(res.prefilter_skipped > 0);	/* NEVER's literal is absent */
	mw_rules_result_free(&res);

	/* decoded header values come from the MIME model when it has them */
	in.decoded = fake_decoded;
	assert_int_equal(mw_rules_run(rs, &in, &res), 0);
	assert_false(hit(rs, &res, "SUBJ_ENC", NULL));	/* only for encoded words */
	mw_rules_result_free(&res);

	/* a time budget already spent skips the rules and says so */
	in.budget_ms = 1e-9;
	assert_int_equal(mw_rules_run(rs, &in, &res), 0);
	assert_true(res.budget_exceeded);
	assert_false(hit(rs, &res, "BODY_PARA", NULL));
	/* metas over rules that did not run are not decided (no !RULE false hits) */
	assert_false(hit(rs, &res, "META_COND", NULL));
	assert_false(hit(rs, &res, "META_UNDEF", NULL));
	assert_int_equal(res.nhits, 0);
	mw_rules_result_free(&res);

	mw_message_free(&m);
	mw_rules_free(rs);
	mw_diag_free(&d);
}

static void
test_eval_prefilter_on(void **state)
{
	(void)state;
	run_eval(false);
}

static void
test_eval_prefilter_off(void **state)
{
	(void)state;
	run_eval(true);
}

static void
test_score_sum(void **state)
{
	static const char text[] =
		"body A /a/\nscore A 1.5\n"
		"body B /b/\nscore B -0.5\n"
		"body C /c/\ntflags C multiple\nscore C 0.25\n"
		"body __D /d/\n";
	struct mw_diag d;
	struct mw_ruleset *rs = load(text, &d);
	struct mw_textv bv[] = { { "a b cc d", 8 } };
	struct mw_views views = { bv, 1, NULL, 0, NULL, 0 };
	struct mw_message m;
	struct mw_limits lim = { .max_header_count = 10, .max_header_size = 100 };
	struct mw_rules_input in = { 0 };
	struct mw_rules_result res;

	(void)state;
	mw_message_init(&m);
	assert_int_equal(mw_message_parse(&m, "S: x\n\n", 6, &lim), 0);
	in.msg = &m;
	in.views = &views;
	assert_int_equal(mw_rules_run(rs, &in, &res), 0);
	assert_int_equal(res.nhits, 3);
	assert_true(res.score > 1.499 && res.score < 1.501);	/* 1.5 - 0.5 + 2 x 0.25 */
	mw_rules_result_free(&res);
	mw_message_free(&m);
	mw_rules_free(rs);
	mw_diag_free(&d);
}

/* full rules see LF line ends also when the milter's copy has CRLF */
static void
test_full_crlf(void **state)
{
	static const char text[] = "full SUBJ_EOL /^Subject: foo$/m\nfull HAS_CR /\\r/\n";
	static const char msg[] = "From: a@b\r\nSubject: foo\r\n\r\nbody\r\n";
	struct mw_diag d;
	struct mw_ruleset *rs = load(text, &d);
	struct mw_message m;
	struct mw_limits lim = { .max_header_count = 10, .max_header_size = 100 };
	struct mw_rules_input in = { 0 };
	struct mw_rules_result res;

	(void)state;
	mw_message_init(&m);
	assert_int_equal(mw_message_parse(&m, msg, strlen(msg), &lim), 0);
	assert_true(m.crlf);
	in.msg = &m;
	assert_int_equal(mw_rules_run(rs, &in, &res), 0);
	assert_true(hit(rs, &res, "SUBJ_EOL", NULL));
	assert_false(hit(rs, &res, "HAS_CR", NULL));
	mw_rules_result_free(&res);
	mw_message_free(&m);
	mw_rules_free(rs);
	mw_diag_free(&d);
}

/* A registered native function stands behind an eval: rule (here issue 7's SPF
 * evals reading the verdict); without a scan context it never hits. */
static void
test_native_eval(void **state)
{
	static const char text[] =
		"header SPF_PASS eval:check_for_spf_pass()\n"
		"header SPF_FAIL eval:check_for_spf_fail()\n"
		"header NO_SUCH  eval:check_no_such_function('x')\n"
		"meta   PASS_NOT_FAIL SPF_PASS && !SPF_FAIL\n";
	struct mw_diag d;
	struct mw_ruleset *rs = load(text, &d);
	struct mw_message m;
	struct mw_limits lim = { .max_header_count = 10, .max_header_size = 100 };
	struct mw_verdict v;
	struct mw_scan_ctx ctx;
	struct mw_rules_input in = { 0 };
	struct mw_rules_result res;

	(void)state;
	assert_non_null(rs);
	assert_int_equal(rs->stats.evals, 3);
	assert_int_equal(rs->stats.evals_native, 2);
	assert_null(mw_rules_find(rs, "NO_SUCH")->native);
	mw_message_init(&m);
	assert_int_equal(mw_message_parse(&m, "S: x\n\n", 6, &lim), 0);
	mw_verdict_init(&v);
	v.spf.status = MW_STAGE_DONE;
	snprintf(v.spf.result, sizeof(v.spf.result), "pass");
	memset(&ctx, 0, sizeof(ctx));
	ctx.v = &v;
	in.msg = &m;
	in.ctx = &ctx;
	assert_int_equal(mw_rules_run(rs, &in, &res), 0);
	assert_true(hit(rs, &res, "SPF_PASS", NULL));
	assert_false(hit(rs, &res, "SPF_FAIL", NULL));
	assert_false(hit(rs, &res, "NO_SUCH", NULL));
	assert_true(hit(rs, &res, "PASS_NOT_FAIL", NULL));
	mw_rules_result_free(&res);
	in.ctx = NULL;
	assert_int_equal(mw_rules_run(rs, &in, &res), 0);
	assert_int_equal(res.nhits, 0);
	mw_rules_result_free(&res);
	mw_verdict_free(&v);
	mw_message_free(&m);
	mw_rules_free(rs);
	mw_diag_free(&d);
}

/* One ruleset shared by several threads (each with its own PCRE2 state) gives every
 * thread the single-threaded result, every time. */
struct thread_arg {
	const struct mw_ruleset *rs;
	const struct mw_rules_input *in;
	double	 score;
	size_t	 nhits;
	int	 mismatches;
};

static void *
thread_main(void *p)
{
	struct thread_arg *a = p;
	int i;

	for (i = 0; i < 200; i++) {
		struct mw_rules_result res;

		if (mw_rules_run(a->rs, a->in, &res) < 0 || res.score != a->score ||
		    res.nhits != a->nhits)
			a->mismatches++;
		mw_rules_result_free(&res);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct mw_diag d;
	struct mw_ruleset *rs = load(eval_rules, &d);
	struct mw_message m;
	struct mw_limits lim = { .max_header_count = 100, .max_header_size = 4096 };
	struct mw_views views = { body_v, 3, raw_v, 2, uri_v, 1 };
	struct mw_rules_input in = { 0 };
	struct mw_rules_result res;
	struct thread_arg args[4];
	pthread_t th[4];
	int i;

	(void)state;
	mw_message_init(&m);
	assert_int_equal(mw_message_parse(&m, eval_msg, strlen(eval_msg), &lim), 0);
	in.msg = &m;
	in.views = &views;
	assert_int_equal(mw_rules_run(rs, &in, &res), 0);
	for (i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){ rs, &in, res.score, res.nhits, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, thread_main, &args[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(args[i].mismatches, 0);
	}
	mw_rules_result_free(&res);
	mw_message_free(&m);
	mw_rules_free(rs);
	mw_diag_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_perlre),
		cmocka_unit_test(test_required_literal),
		cmocka_unit_test(test_literal_sets),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_load_directives),
		cmocka_unit_test(test_replace_tags_too_large),
		cmocka_unit_test(test_mimeheader),
		cmocka_unit_test(test_eval_prefilter_on),
		cmocka_unit_test(test_eval_prefilter_off),
		cmocka_unit_test(test_score_sum),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_native_eval),
		cmocka_unit_test(test_full_crlf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
