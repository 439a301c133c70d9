/*
 * rules_load - the SpamAssassin rule-file parser and ruleset compiler.
 *
 * Loading has two phases, like SpamAssassin's: every file is parsed into rule
 * definitions (a later definition of a name replaces the earlier test; score,
 * describe and tflags may come before or after the rule), then the ruleset is
 * finished: ReplaceTags applied, regexes compiled, metas parsed, scores chosen
 * from the score set, the rules that can matter marked active, and the prefilter
 * built.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "rules_load.h"
#include "eval_sa.h"		/* issue 5: settings of the eval plugins */
#include "relays.h"		/* issue 5: trusted_networks... */

const char *const mw_rule_kind_names[] = {
	[MW_RK_HEADER] = "header", [MW_RK_MIMEHEADER] = "mimeheader", [MW_RK_BODY] = "body",
	[MW_RK_RAWBODY] = "rawbody", [MW_RK_FULL] = "full", [MW_RK_URI] = "uri",
	[MW_RK_META] = "meta",
};

/* The SpamAssassin version whose rule conditionals we answer as (4.0.1). */
#define SA_VERSION	4.000001
#define PERL_VERSION	5.036000

/*
 * Plugins a SpamAssassin without network tests would have loaded: Debian's default
 * set minus the ones that only do DNS or network lookups.  Rules inside their
 * ifplugin blocks load; eval rules there run only with a native function.
 */
static const char *const loaded_plugins[] = {
	"Check", "HTTPSMismatch", "URIDetail", "Bayes", "BodyEval", "HTMLEval",
	"HeaderEval", "MIMEEval", "RelayEval", "URIEval", "WLBLEval", "VBounce",
	"ImageInfo", "FreeMail", "MIMEHeader", "ReplaceTags", "SPF", "DKIM", "DMARC",
	"WelcomeListSubject", "AutoLearnThreshold", "Rule2XSBody",
	NULL	/* not FromNameSpoof: Debian's v342.pre leaves it commented out */
};

/* Functions `if can(...)` finds: the features SpamAssassin 4.0.1 reports. */
static const char *const can_functions[] = {
	"Conf::feature_originating_ip_headers", "Conf::feature_dns_local_ports_permit_avoid",
	"Conf::feature_bayes_auto_learn_on_error", "Conf::feature_uri_host_listed",
	"Conf::feature_yesno_takes_args", "Conf::feature_bug6558_free",
	"Conf::feature_edns", "Conf::feature_dns_query_restriction",
	"Conf::feature_registryboundaries", "Conf::feature_geodb",
	"Conf::feature_dns_block_rule", "Conf::feature_compile_regexp",
	"Conf::feature_meta_rules_matching", "Conf::feature_subjprefix",
	"Conf::feature_bayes_stopwords", "Conf::feature_get_host",
	"Conf::feature_blocklist_welcomelist", "Conf::feature_welcomelist_blocklist",
	"Conf::feature_header_address_parser", "Conf::feature_local_tests_only",
	"Conf::feature_header_first_last", "Conf::feature_header_match_many",
	"Conf::has_tflags_nosubject", "Conf::has_tflags_nolog",
	"Conf::perl_min_version_5010000",
	"Plugin::BodyEval::has_check_body_length",
	"Plugin::BodyEval::has_plaintext_body_sig_ratio",
	"Plugin::DKIM::has_arc",
	"Plugin::MIMEEval::has_check_for_ascii_text_illegal",
	"Plugin::MIMEEval::has_check_abundant_unicode_ratio",
	NULL
};
/* Deliberately absent: Conf::feature_capture_rules (no %{TAG} captures). */

#define SA_PREFIX	"Mail::SpamAssassin::"

static bool
plugin_loaded(const char *name)
{
	size_t i, n = strlen(SA_PREFIX);

	if (strncmp(name, SA_PREFIX "Plugin::", n + 8) == 0)
		name += n + 8;
	for (i = 0; loaded_plugins[i] != NULL; i++)
		if (strcmp(loaded_plugins[i], name) == 0)
			return true;
	return false;
}

static bool
can_function(const char *name)
{
	size_t i, n = strlen(SA_PREFIX);

	if (strncmp(name, SA_PREFIX, n) != 0)
		return false;
	name += n;
	for (i = 0; can_functions[i] != NULL; i++)
		if (strcmp(can_functions[i], name) == 0)
			return true;
	return false;
}

/* --- conditionals: `if EXPR` -------------------------------------------------- */

struct cond_parser {
	const char *p;
	bool	 bad;
};

static double cond_or(struct cond_parser *cp);

static void
cond_ws(struct cond_parser *cp)
{
	while (isspace((unsigned char)*cp->p))
		cp->p++;
}

static bool
cond_take(struct cond_parser *cp, const char *tok)
{
	size_t n = strlen(tok);

	cond_ws(cp);
	if (strncmp(cp->p, tok, n) != 0)
		return false;
	cp->p += n;
	return true;
}

/* plugin(NAME) / can(NAME): the argument up to the closing parenthesis */
static double
cond_call(struct cond_parser *cp, bool (*fn)(const char *))
{
	char arg[256];
	size_t n = 0;

	if (!cond_take(cp, "(")) {
		cp->bad = true;
		return 0;
	}
	cond_ws(cp);
	while (*cp->p != '\0' && *cp->p != ')' && !isspace((unsigned char)*cp->p) &&
	    n < sizeof(arg) - 1)
		arg[n++] = *cp->p++;
	arg[n] = '\0';
	if (!cond_take(cp, ")")) {
		cp->bad = true;
		return 0;
	}
	return fn(arg) ? 1 : 0;
}

static double
cond_primary(struct cond_parser *cp)
{
	double v;
	char *end;

	cond_ws(cp);
	if (cond_take(cp, "!"))
		return cond_primary(cp) == 0 ? 1 : 0;
	if (cond_take(cp, "(")) {
		v = cond_or(cp);
		if (!cond_take(cp, ")"))
			cp->bad = true;
		return v;
	}
	if (cond_take(cp, "plugin"))
		return cond_call(cp, plugin_loaded);
	if (cond_take(cp, "can"))
		return cond_call(cp, can_function);
	if (cond_take(cp, "perl_version"))
		return PERL_VERSION;
	if (cond_take(cp, "version"))
		return SA_VERSION;
	if (cond_take(cp, "local_tests_only"))
		return 1;
	if (isdigit((unsigned char)*cp->p) || *cp->p == '.') {
		v = strtod(cp->p, &end);
		cp->p = end;
		return v;
	}
	cp->bad = true;
	return 0;
}

static double
cond_cmp(struct cond_parser *cp)
{
	double a = cond_primary(cp);

	if (cond_take(cp, ">="))
		return a >= cond_primary(cp);
	if (cond_take(cp, "<="))
		return a <= cond_primary(cp);
	if (cond_take(cp, "=="))
		return a == cond_primary(cp);
	if (cond_take(cp, "!="))
		return a != cond_primary(cp);
	if (cond_take(cp, ">"))
		return a > cond_primary(cp);
	if (cond_take(cp, "<"))
		return a < cond_primary(cp);
	return a;
}

static double
cond_and(struct cond_parser *cp)
{
	double a = cond_cmp(cp);

	while (cond_take(cp, "&&")) {
		double b = cond_cmp(cp);

		a = (a != 0) ? b : a;
	}
	return a;
}

static double
cond_or(struct cond_parser *cp)
{
	double a = cond_and(cp);

	while (cond_take(cp, "||")) {
		double b = cond_and(cp);

		a = (a != 0) ? a : b;
	}
	return a;
}

int
mw_rules_eval_condition(const char *expr)
{
	struct cond_parser cp = { .p = expr, .bad = false };
	double v = cond_or(&cp);

	cond_ws(&cp);
	if (cp.bad || *cp.p != '\0')
		return -1;
	return v != 0;
}

/* --- the name index ---------------------------------------------------------- */

struct mw_rule_index {
	size_t	*slots;		/* rule index + 1; 0 = empty */
	size_t	 cap;		/* power of two */
};

static uint64_t
name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t
index_lookup(const struct mw_ruleset *rs, const char *name)
{
	const struct mw_rule_index *ix = rs->index;
	size_t i;

	if (ix == NULL || ix->cap == 0)
		return SIZE_MAX;
	for (i = name_hash(name) & (ix->cap - 1); ix->slots[i] != 0;
	    i = (i + 1) & (ix->cap - 1))
		if (strcmp(rs->rules[ix->slots[i] - 1].name, name) == 0)
			return ix->slots[i] - 1;
	return SIZE_MAX;
}

static int
index_insert(struct mw_ruleset *rs, size_t ri)
{
	struct mw_rule_index *ix = rs->index;
	size_t i;

	if ((rs->nrules + 1) * 2 > ix->cap) {
		size_t ncap = ix->cap ? ix->cap * 2 : 1024, k;
		size_t *ns = calloc(ncap, sizeof(*ns));

		if (ns == NULL)
			return -1;
		for (k = 0; k < ix->cap; k++) {
			if (ix->slots[k] == 0)
				continue;
			for (i = name_hash(rs->rules[ix->slots[k] - 1].name) & (ncap - 1);
			    ns[i] != 0; i = (i + 1) & (ncap - 1))
				;
			ns[i] = ix->slots[k];
		}
		free(ix->slots);
		ix->slots = ns;
		ix->cap = ncap;
	}
	for (i = name_hash(rs->rules[ri].name) & (ix->cap - 1); ix->slots[i] != 0;
	    i = (i + 1) & (ix->cap - 1))
		;
	ix->slots[i] = ri + 1;
	return 0;
}

const struct mw_rule *
mw_rules_find(const struct mw_ruleset *rs, const char *name)
{
	size_t i = index_lookup(rs, name);

	return i == SIZE_MAX ? NULL : &rs->rules[i];
}

/* --- the loader -------------------------------------------------------------- */

struct tag {
	char	*name;
	char	*value;
};
struct tagset {
	struct tag *v;
	size_t	 n, cap;
};

enum { TAG_TAG, TAG_PRE, TAG_INTER, TAG_POST, TAG_KINDS };

struct cond_frame {
	bool	 active;	/* lines in this branch are processed */
	bool	 parent;	/* the enclosing branch was */
	unsigned line;
};

struct loader {
	struct mw_ruleset *rs;
	struct mw_diag *diag;
	struct tagset tags[TAG_KINDS];
	char   **replace;		/* replace_rules names */
	size_t	 nreplace, capreplace;
	char   **replace_orig;		/* per rule index: the pattern before ReplaceTags */
	size_t	 nreplace_orig;
	char	 rstart[16], rend[16];
	bool	 oom;
};

static void
oom(struct loader *ld, const char *file, unsigned line)
{
	if (!ld->oom)
		mw_diag_error(ld->diag, file, line, "out of memory");
	ld->oom = true;
}

static void
rule_clear_test(struct mw_rule *r)
{
	size_t i;

	free(r->src);
	r->src = NULL;
	mw_perlre_free(&r->pre);
	pcre2_code_free(r->re);
	r->re = NULL;
	r->negate = r->utf = false;
	free(r->lits);
	r->lits = NULL;
	free(r->field);
	r->field = NULL;
	r->hmods = 0;
	r->source = MW_HS_FIELD;
	free(r->if_unset);
	r->if_unset = NULL;
	free(r->eval_fn);
	r->eval_fn = NULL;
	for (i = 0; i < r->eval_argc; i++)
		free(r->eval_argv[i]);
	free(r->eval_argv);
	r->eval_argv = NULL;
	r->eval_argc = 0;
	r->native = NULL;
	free(r->rpn);
	r->rpn = NULL;
	r->nrpn = 0;
	r->broken = false;
}

static size_t
rule_get(struct loader *ld, const char *name, size_t namelen)
{
	struct mw_ruleset *rs = ld->rs;
	char *copy;
	size_t i;

	if ((copy = strndup(name, namelen)) == NULL)
		return SIZE_MAX;
	if ((i = index_lookup(rs, copy)) != SIZE_MAX) {
		free(copy);
		return i;
	}
	if (rs->nrules == rs->cap) {
		size_t ncap = rs->cap ? rs->cap * 2 : 1024;
		struct mw_rule *nv = realloc(rs->rules, ncap * sizeof(*nv));

		if (nv == NULL) {
			free(copy);
			return SIZE_MAX;
		}
		rs->rules = nv;
		rs->cap = ncap;
	}
	i = rs->nrules;
	memset(&rs->rules[i], 0, sizeof(rs->rules[i]));
	rs->rules[i].name = copy;
	if (index_insert(rs, i) < 0) {
		free(copy);
		return SIZE_MAX;
	}
	rs->nrules++;
	return i;
}

static bool
valid_rule_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 200)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

/* Split "NAME rest" → name span and rest (white space skipped). */
static bool
split_name(const char *v, const char **name, size_t *nlen, const char **rest)
{
	const char *p = v;

	while (*p != '\0' && !isspace((unsigned char)*p))
		p++;
	*name = v;
	*nlen = (size_t)(p - v);
	while (isspace((unsigned char)*p))
		p++;
	*rest = p;
	return valid_rule_name(v, *nlen);
}

/* eval:fn(arg, 'arg', "arg") */
static int
parse_eval(struct mw_rule *r, const char *s, char *err, size_t errlen)
{
	const char *p = s, *fs;
	char **argv = NULL;
	size_t argc = 0;

	fs = p;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	if (p == fs) {
		snprintf(err, errlen, "eval: function name expected");
		return -1;
	}
	if ((r->eval_fn = strndup(fs, (size_t)(p - fs))) == NULL)
		goto nomem;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '(') {
		p++;
		for (;;) {
			char buf[1024];
			size_t n = 0;
			char **nv;

			while (isspace((unsigned char)*p))
				p++;
			if (*p == ')' || *p == '\0')
				break;
			if (*p == '\'' || *p == '"') {
				char q = *p++;

				while (*p != '\0' && *p != q && n < sizeof(buf) - 1)
					buf[n++] = *p++;
				if (*p == q)
					p++;
			} else {
				while (*p != '\0' && *p != ',' && *p != ')' && n < sizeof(buf) - 1)
					buf[n++] = *p++;
				while (n > 0 && isspace((unsigned char)buf[n - 1]))
					n--;
			}
			buf[n] = '\0';
			if ((nv = realloc(argv, (argc + 1) * sizeof(*nv))) == NULL)
				goto nomem;
			argv = nv;
			if ((argv[argc] = strdup(buf)) == NULL)
				goto nomem;
			argc++;
			while (isspace((unsigned char)*p))
				p++;
			if (*p == ',')
				p++;
		}
		if (*p != ')') {
			r->eval_argv = argv;
			r->eval_argc = argc;
			snprintf(err, errlen, "eval: missing )");
			return -1;
		}
	}
	r->eval_argv = argv;
	r->eval_argc = argc;
	return 0;
nomem:
	r->eval_argv = argv;
	r->eval_argc = argc;
	snprintf(err, errlen, "out of memory");
	return -1;
}

static int
parse_regex_into(struct mw_rule *r, const char *s, const char **endp, char *err,
    size_t errlen)
{
	if (mw_perlre_parse(s, endp, &r->pre, err, errlen) < 0)
		return -1;
	return 0;
}

/* SpamAssassin's pseudo-header names (the relay ones come from relays.h). */
static enum mw_hdr_source
header_source(const char *field, unsigned *hmods)
{
	if (strcmp(field, "ALL") == 0)
		return MW_HS_ALL;
	if (strcasecmp(field, "ToCc") == 0)
		return MW_HS_TOCC;
	if (strcasecmp(field, "EnvelopeFrom") == 0)
		return MW_HS_ENVFROM;
	if (strcmp(field, "MESSAGEID") == 0)
		return MW_HS_MESSAGEID;
	/* issue 5: the relay analysis */
	if (strcasecmp(field, "X-Spam-Relays-Trusted") == 0)
		return MW_HS_RELAYS_TRUSTED;
	if (strcasecmp(field, "X-Spam-Relays-Untrusted") == 0)
		return MW_HS_RELAYS_UNTRUSTED;
	if (strcasecmp(field, "X-Spam-Relays-Internal") == 0)
		return MW_HS_RELAYS_INTERNAL;
	if (strcasecmp(field, "X-Spam-Relays-External") == 0)
		return MW_HS_RELAYS_EXTERNAL;
	if (strcmp(field, "ALL-TRUSTED") == 0)
		return MW_HS_ALL_TRUSTED;
	if (strcmp(field, "ALL-UNTRUSTED") == 0)
		return MW_HS_ALL_UNTRUSTED;
	if (strcmp(field, "ALL-INTERNAL") == 0)
		return MW_HS_ALL_INTERNAL;
	if (strcmp(field, "ALL-EXTERNAL") == 0)
		return MW_HS_ALL_EXTERNAL;
	if (strncmp(field, "ALL-", 4) == 0 || strncasecmp(field, "X-Spam-Relays-", 14) == 0)
		*hmods |= MW_HM_UNSUPPORTED;
	return MW_HS_FIELD;
}

/* Field[:mod...] =~ /re/flags [if-unset: X]  |  exists:Field  |  eval:... */
static int
parse_header_test(struct mw_rule *r, const char *s, char *err, size_t errlen)
{
	const char *p = s, *fs, *end;
	char field[256];
	size_t n;
	char *colon;

	if (strncmp(s, "eval:", 5) == 0) {
		r->test = MW_RT_EVAL;
		return parse_eval(r, s + 5, err, errlen);
	}
	if (strncmp(s, "exists:", 7) == 0) {
		r->test = MW_RT_EXISTS;
		p = s + 7;
		fs = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		if (p == fs) {
			snprintf(err, errlen, "exists: needs a header name");
			return -1;
		}
		if ((r->field = strndup(fs, (size_t)(p - fs))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		r->source = header_source(r->field, &r->hmods);
		return 0;
	}
	r->test = MW_RT_REGEX;
	fs = p;
	while (*p != '\0' && !isspace((unsigned char)*p) &&
	    !((p[0] == '=' || p[0] == '!') && p[1] == '~'))
		p++;
	n = (size_t)(p - fs);
	if (n == 0 || n >= sizeof(field)) {
		snprintf(err, errlen, "header name expected");
		return -1;
	}
	memcpy(field, fs, n);
	field[n] = '\0';
	while (isspace((unsigned char)*p))
		p++;
	if (p[0] == '!' && p[1] == '~')
		r->negate = true;
	else if (!(p[0] == '=' && p[1] == '~')) {
		snprintf(err, errlen, "=~ or !~ expected after the header name");
		return -1;
	}
	p += 2;
	if (parse_regex_into(r, p, &end, err, errlen) < 0)
		return -1;
	p = end;
	while (isspace((unsigned char)*p))
		p++;
	if (strncmp(p, "[if-unset:", 10) == 0) {
		const char *vs = p + 10, *ve;

		while (*vs == ' ' || *vs == '\t')
			vs++;
		ve = strrchr(vs, ']');
		if (ve == NULL) {
			snprintf(err, errlen, "[if-unset: without ]");
			return -1;
		}
		while (ve > vs && isspace((unsigned char)ve[-1]))
			ve--;
		if ((r->if_unset = strndup(vs, (size_t)(ve - vs))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	} else if (*p != '\0') {
		snprintf(err, errlen, "unexpected text after the regex: %.40s", p);
		return -1;
	}
	/* modifiers */
	colon = strchr(field, ':');
	if (colon != NULL) {
		char *m = colon;

		*colon = '\0';
		while (m != NULL) {
			char *next = strchr(m + 1, ':');

			if (next != NULL)
				*next = '\0';
			if (strcmp(m + 1, "raw") == 0)
				r->hmods |= MW_HM_RAW;
			else if (strcmp(m + 1, "addr") == 0)
				r->hmods |= MW_HM_ADDR;
			else if (strcmp(m + 1, "name") == 0)
				r->hmods |= MW_HM_NAME;
			else if (strcmp(m + 1, "first") == 0)
				r->hmods |= MW_HM_FIRST;
			else if (strcmp(m + 1, "last") == 0)
				r->hmods |= MW_HM_LAST;
			else if (strcmp(m + 1, "host") == 0 || strcmp(m + 1, "domain") == 0 ||
			    strcmp(m + 1, "ip") == 0 || strcmp(m + 1, "revip") == 0)
				r->hmods |= MW_HM_UNSUPPORTED;
			else {
				snprintf(err, errlen, "unknown header modifier :%s", m + 1);
				return -1;
			}
			m = next;
		}
	}
	r->source = header_source(field, &r->hmods);
	if ((r->field = strdup(field)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static void
define_rule(struct loader *ld, enum mw_rule_kind kind, const char *val, const char *file,
    unsigned line)
{
	const char *name, *rest;
	size_t nlen, ri;
	struct mw_rule *r;
	char err[256] = "";
	int rc = 0;

	if (!split_name(val, &name, &nlen, &rest) || *rest == '\0') {
		mw_diag_warn(ld->diag, file, line, "%s: rule name and test expected",
		    mw_rule_kind_names[kind]);
		return;
	}
	if ((ri = rule_get(ld, name, nlen)) == SIZE_MAX) {
		oom(ld, file, line);
		return;
	}
	r = &ld->rs->rules[ri];
	rule_clear_test(r);	/* a later definition replaces the earlier test */
	r->kind = kind;
	r->file = file;
	r->line = line;
	if ((r->src = strdup(rest)) == NULL) {
		oom(ld, file, line);
		return;
	}
	switch (kind) {
	case MW_RK_HEADER:
	case MW_RK_MIMEHEADER:
		rc = parse_header_test(r, rest, err, sizeof(err));
		break;
	case MW_RK_META:
		r->test = MW_RT_META;	/* parsed when every name is known */
		break;
	default:
		if (strncmp(rest, "eval:", 5) == 0) {
			r->test = MW_RT_EVAL;
			rc = parse_eval(r, rest + 5, err, sizeof(err));
		} else {
			const char *end;

			r->test = MW_RT_REGEX;
			rc = parse_regex_into(r, rest, &end, err, sizeof(err));
			if (rc == 0) {
				while (isspace((unsigned char)*end))
					end++;
				if (*end != '\0') {
					snprintf(err, sizeof(err),
					    "unexpected text after the regex: %.40s", end);
					rc = -1;
				}
			}
		}
		break;
	}
	if (rc < 0) {
		mw_diag_warn(ld->diag, file, line, "rule %s skipped: %s", r->name, err);
		r->broken = true;
	}
}

static void
set_score(struct loader *ld, const char *val, const char *file, unsigned line)
{
	const char *name, *rest, *p;
	size_t nlen, ri;
	double s[4];
	int n = 0;
	struct mw_rule *r;

	if (!split_name(val, &name, &nlen, &rest)) {
		mw_diag_warn(ld->diag, file, line, "score: rule name expected");
		return;
	}
	p = rest;
	while (*p != '\0' && n < 5) {
		char *end;
		double v;

		if (*p == '(')	/* "(0.5)": a score kept from mass-checks, same value */
			p++;
		v = strtod(p, &end);
		if (end == p)
			break;
		if (n < 4)
			s[n] = v;
		n++;
		p = end;
		if (*p == ')')
			p++;
		while (isspace((unsigned char)*p))
			p++;
	}
	if (n != 1 && n != 4) {
		mw_diag_warn(ld->diag, file, line, "score %.*s: 1 or 4 numbers expected",
		    (int)nlen, name);
		return;
	}
	if ((ri = rule_get(ld, name, nlen)) == SIZE_MAX) {
		oom(ld, file, line);
		return;
	}
	r = &ld->rs->rules[ri];
	if (n == 1)
		s[1] = s[2] = s[3] = s[0];
	memcpy(r->scores, s, sizeof(s));
	r->has_score = true;
}

static void
set_tflags(struct loader *ld, const char *val, const char *file, unsigned line)
{
	const char *name, *rest, *p;
	size_t nlen, ri;
	struct mw_rule *r;

	if (!split_name(val, &name, &nlen, &rest)) {
		mw_diag_warn(ld->diag, file, line, "tflags: rule name expected");
		return;
	}
	if ((ri = rule_get(ld, name, nlen)) == SIZE_MAX) {
		oom(ld, file, line);
		return;
	}
	r = &ld->rs->rules[ri];
	r->tflags = 0;
	r->maxhits = 0;
	for (p = rest; *p != '\0';) {
		const char *w = p;
		size_t n;

		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		n = (size_t)(p - w);
		if (n == 8 && strncmp(w, "multiple", 8) == 0)
			r->tflags |= MW_TF_MULTIPLE;
		else if (n == 4 && strncmp(w, "nice", 4) == 0)
			r->tflags |= MW_TF_NICE;
		else if (n == 3 && strncmp(w, "net", 3) == 0)
			r->tflags |= MW_TF_NET;
		else if (n == 9 && strncmp(w, "nosubject", 9) == 0)
			r->tflags |= MW_TF_NOSUBJECT;
		else if (n == 5 && strncmp(w, "learn", 5) == 0)
			r->tflags |= MW_TF_LEARN;
		else if (n == 8 && strncmp(w, "userconf", 8) == 0)
			r->tflags |= MW_TF_USERCONF;
		else if (n > 8 && strncmp(w, "maxhits=", 8) == 0)
			r->maxhits = (unsigned)strtoul(w + 8, NULL, 10);
		/* publish, noautolearn, domains_only, ...: no effect on matching */
		while (isspace((unsigned char)*p))
			p++;
	}
}

static void
set_describe(struct loader *ld, const char *val, const char *file, unsigned line)
{
	const char *name, *rest;
	size_t nlen, ri;
	struct mw_rule *r;
	char *d;

	if (!split_name(val, &name, &nlen, &rest)) {
		mw_diag_warn(ld->diag, file, line, "describe: rule name expected");
		return;
	}
	if ((ri = rule_get(ld, name, nlen)) == SIZE_MAX || (d = strdup(rest)) == NULL) {
		oom(ld, file, line);
		return;
	}
	r = &ld->rs->rules[ri];
	free(r->describe);
	r->describe = d;
}

static void
set_priority(struct loader *ld, const char *val, const char *file, unsigned line)
{
	const char *name, *rest;
	size_t nlen, ri;
	char *end;
	long v;

	if (!split_name(val, &name, &nlen, &rest)) {
		mw_diag_warn(ld->diag, file, line, "priority: rule name expected");
		return;
	}
	v = strtol(rest, &end, 10);
	if (end == rest) {
		mw_diag_warn(ld->diag, file, line, "priority: number expected");
		return;
	}
	if ((ri = rule_get(ld, name, nlen)) == SIZE_MAX) {
		oom(ld, file, line);
		return;
	}
	ld->rs->rules[ri].priority = (int)v;
}

static void
set_tag(struct loader *ld, int kind, const char *val, const char *file, unsigned line)
{
	struct tagset *ts = &ld->tags[kind];
	const char *p = val, *ns;
	char *name, *value;
	size_t i;

	ns = p;
	while (*p != '\0' && !isspace((unsigned char)*p))
		p++;
	if (p == ns) {
		mw_diag_warn(ld->diag, file, line, "replace tag: name expected");
		return;
	}
	if ((name = strndup(ns, (size_t)(p - ns))) == NULL)
		goto nomem;
	while (isspace((unsigned char)*p))
		p++;
	if ((value = strdup(p)) == NULL) {
		free(name);
		goto nomem;
	}
	for (i = 0; i < ts->n; i++)
		if (strcmp(ts->v[i].name, name) == 0) {
			free(ts->v[i].value);
			ts->v[i].value = value;
			free(name);
			return;
		}
	if (ts->n == ts->cap) {
		size_t ncap = ts->cap ? ts->cap * 2 : 64;
		struct tag *nv = realloc(ts->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			free(name);
			free(value);
			goto nomem;
		}
		ts->v = nv;
		ts->cap = ncap;
	}
	ts->v[ts->n].name = name;
	ts->v[ts->n].value = value;
	ts->n++;
	return;
nomem:
	oom(ld, file, line);
}

static const char *
tag_value(const struct loader *ld, int kind, const char *name, size_t n)
{
	const struct tagset *ts = &ld->tags[kind];
	size_t i;

	for (i = 0; i < ts->n; i++)
		if (strlen(ts->v[i].name) == n && strncmp(ts->v[i].name, name, n) == 0)
			return ts->v[i].value;
	return NULL;
}

static void
add_replace_rules(struct loader *ld, const char *val, const char *file, unsigned line)
{
	const char *p = val;

	while (*p != '\0') {
		const char *w = p;

		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		if (ld->nreplace == ld->capreplace) {
			size_t ncap = ld->capreplace ? ld->capreplace * 2 : 64;
			char **nv = realloc(ld->replace, ncap * sizeof(*nv));

			if (nv == NULL) {
				oom(ld, file, line);
				return;
			}
			ld->replace = nv;
			ld->capreplace = ncap;
		}
		if ((ld->replace[ld->nreplace] = strndup(w, (size_t)(p - w))) == NULL) {
			oom(ld, file, line);
			return;
		}
		ld->nreplace++;
		while (isspace((unsigned char)*p))
			p++;
	}
}

static void
set_delim(char *dst, size_t cap, const char *val)
{
	size_t n = strcspn(val, " \t");

	if (n == 0 || n >= cap)
		return;
	memcpy(dst, val, n);
	dst[n] = '\0';
}

/*
 * One logical line (comments and surrounding white space already removed).
 * conds: the conditional stack of this file.
 */
/* --- issue 5: SpamAssassin's relay trust settings ------------------------------ */

/* trusted_networks, internal_networks, msa_networks (and clear_*),
 * originating_ip_headers (and clear_): true when key was one of them. */
static bool
relay_conf_line(struct loader *ld, const char *key, const char *val, const char *file,
    unsigned lineno)
{
	static const char *const nets[] = { "trusted_networks", "internal_networks",
		"msa_networks" };
	struct mw_relay_conf *c;
	char why[160];
	size_t i;

	if (strstr(key, "_networks") == NULL && strstr(key, "originating_ip_headers") == NULL &&
	    strncmp(key, "util_rb_", 8) != 0 && strcmp(key, "clear_util_rb") != 0)
		return false;
	if (ld->rs->relay_conf == NULL) {
		if ((ld->rs->relay_conf = malloc(sizeof(*ld->rs->relay_conf))) == NULL) {
			mw_diag_warn(ld->diag, file, lineno, "%s: out of memory", key);
			return true;
		}
		mw_relay_conf_init(ld->rs->relay_conf);
	}
	c = ld->rs->relay_conf;
	for (i = 0; i < 3; i++) {
		struct mw_relay_nets *n = i == 0 ? &c->trusted : i == 1 ? &c->internal : &c->msa;

		if (strcmp(key, nets[i]) == 0) {
			if (mw_relay_nets_add(n, val, why, sizeof(why)) < 0)
				mw_diag_warn(ld->diag, file, lineno, "%s: %s", key, why);
			return true;
		}
		if (strncmp(key, "clear_", 6) == 0 && strcmp(key + 6, nets[i]) == 0) {
			memset(n, 0, sizeof(*n));
			return true;
		}
	}
	if (strcmp(key, "util_rb_2tld") == 0 || strcmp(key, "util_rb_3tld") == 0) {
		if (mw_domain_set_add(key[8] == '2' ? &c->two_level : &c->three_level, val) < 0)
			mw_diag_warn(ld->diag, file, lineno, "%s: out of memory", key);
		return true;
	}
	if (strcmp(key, "clear_util_rb") == 0) {
		mw_domain_set_clear(&c->two_level);
		mw_domain_set_clear(&c->three_level);
		mw_domain_set_clear(&c->tlds);
		return true;
	}
	if (strcmp(key, "util_rb_tld") == 0) {
		if (mw_domain_set_add(&c->tlds, val) < 0)
			mw_diag_warn(ld->diag, file, lineno, "%s: out of memory", key);
		return true;
	}
	if (strcmp(key, "clear_originating_ip_headers") == 0) {
		c->n_originating = 0;
		return true;
	}
	if (strcmp(key, "originating_ip_headers") == 0) {
		const char *p = val;

		while (*p != '\0') {
			size_t n, k;

			p += strspn(p, " \t");
			n = strcspn(p, " \t");
			if (n == 0)
				break;
			for (k = 0; k < c->n_originating; k++)
				if (strlen(c->originating_ip_headers[k]) == n &&
				    strncasecmp(c->originating_ip_headers[k], p, n) == 0)
					break;
			if (k == c->n_originating) {
				if (c->n_originating >= sizeof(c->originating_ip_headers) /
				    sizeof(c->originating_ip_headers[0]) ||
				    n >= sizeof(c->originating_ip_headers[0]))
					mw_diag_warn(ld->diag, file, lineno,
					    "originating_ip_headers: '%.*s' ignored (at most 8 "
					    "names of 63 bytes)", (int)n, p);
				else
					snprintf(c->originating_ip_headers[c->n_originating++],
					    sizeof(c->originating_ip_headers[0]), "%.*s", (int)n, p);
			}
			p += n;
		}
		return true;
	}
	return false;
}

static void
parse_line(struct loader *ld, char *line, const char *file, unsigned lineno,
    struct cond_frame *conds, size_t *nconds, size_t maxconds)
{
	char *key = line, *val;
	bool active = *nconds == 0 || conds[*nconds - 1].active;
	size_t k;

	val = line;
	while (*val != '\0' && !isspace((unsigned char)*val))
		val++;
	if (*val != '\0')
		*val++ = '\0';
	while (isspace((unsigned char)*val))
		val++;
	for (k = 0; key[k]; k++)
		key[k] = (char)tolower((unsigned char)key[k]);

	/* conditionals are tracked even inside inactive branches */
	if (strcmp(key, "ifplugin") == 0 || strcmp(key, "if") == 0) {
		int c;

		if (*nconds == maxconds) {
			mw_diag_error(ld->diag, file, lineno, "conditionals nested too deeply");
			return;
		}
		if (key[2] == 'p')
			c = *val != '\0' && plugin_loaded(strtok(val, " \t"));
		else if ((c = mw_rules_eval_condition(val)) < 0) {
			mw_diag_error(ld->diag, file, lineno, "bad if expression: %s", val);
			c = 0;
		}
		conds[*nconds].parent = active;
		conds[*nconds].active = active && c;
		conds[*nconds].line = lineno;
		(*nconds)++;
		return;
	}
	if (strcmp(key, "else") == 0) {
		if (*nconds == 0) {
			mw_diag_error(ld->diag, file, lineno, "else without if");
			return;
		}
		conds[*nconds - 1].active = conds[*nconds - 1].parent &&
		    !conds[*nconds - 1].active;
		return;
	}
	if (strcmp(key, "endif") == 0) {
		if (*nconds == 0)
			mw_diag_error(ld->diag, file, lineno, "endif without if");
		else
			(*nconds)--;
		return;
	}
	if (!active)
		return;

	if (strcmp(key, "header") == 0)
		define_rule(ld, MW_RK_HEADER, val, file, lineno);
	else if (strcmp(key, "body") == 0)
		define_rule(ld, MW_RK_BODY, val, file, lineno);
	else if (strcmp(key, "rawbody") == 0)
		define_rule(ld, MW_RK_RAWBODY, val, file, lineno);
	else if (strcmp(key, "full") == 0)
		define_rule(ld, MW_RK_FULL, val, file, lineno);
	else if (strcmp(key, "uri") == 0)
		define_rule(ld, MW_RK_URI, val, file, lineno);
	else if (strcmp(key, "meta") == 0)
		define_rule(ld, MW_RK_META, val, file, lineno);
	else if (strcmp(key, "mimeheader") == 0)
		define_rule(ld, MW_RK_MIMEHEADER, val, file, lineno);
	else if (strcmp(key, "score") == 0)
		set_score(ld, val, file, lineno);
	else if (strcmp(key, "describe") == 0)
		set_describe(ld, val, file, lineno);
	else if (strcmp(key, "tflags") == 0)
		set_tflags(ld, val, file, lineno);
	else if (strcmp(key, "priority") == 0)
		set_priority(ld, val, file, lineno);
	else if (strcmp(key, "required_score") == 0 || strcmp(key, "required_hits") == 0) {
		char *end;
		double v = strtod(val, &end);

		if (end == val)
			mw_diag_warn(ld->diag, file, lineno, "%s: number expected", key);
		else
			ld->rs->required_score = v;
	} else if (strcmp(key, "replace_tag") == 0)
		set_tag(ld, TAG_TAG, val, file, lineno);
	else if (strcmp(key, "replace_pre") == 0)
		set_tag(ld, TAG_PRE, val, file, lineno);
	else if (strcmp(key, "replace_inter") == 0)
		set_tag(ld, TAG_INTER, val, file, lineno);
	else if (strcmp(key, "replace_post") == 0)
		set_tag(ld, TAG_POST, val, file, lineno);
	else if (strcmp(key, "replace_rules") == 0)
		add_replace_rules(ld, val, file, lineno);
	else if (strcmp(key, "replace_start") == 0)
		set_delim(ld->rstart, sizeof(ld->rstart), val);
	else if (strcmp(key, "replace_end") == 0)
		set_delim(ld->rend, sizeof(ld->rend), val);
	else if (strcmp(key, "require_version") == 0) {
		/* rule files written for another version still load */
	} else if (relay_conf_line(ld, key, val, file, lineno)) {
		/* issue 5: trusted_networks etc., read by the relay analysis */
	} else {
		/* --- eval tests (issue 5): freemail_domains etc. --- */
		int taken = mw_eval_sa_conf_line(&ld->rs->eval_conf, key, val);

		if (taken < 0)
			mw_diag_warn(ld->diag, file, lineno, "%s: out of memory", key);
		else if (taken == 0)
			ld->rs->stats.ignored_directives++;
	}
}

static void
parse_text(struct loader *ld, const char *file, char *text, size_t len)
{
	struct cond_frame conds[64];
	size_t nconds = 0;
	unsigned lineno = 0;
	char *p = text, *end = text + len;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *line = p, *q, *w;
		size_t n;

		if (nl == NULL)
			nl = end;
		*nl = '\0';
		p = nl + 1;
		lineno++;
		/* comments: an unescaped # to the end; \# becomes # (as SpamAssassin) */
		for (q = line; *q; q++) {
			if (*q == '#' && (q == line || q[-1] != '\\')) {
				*q = '\0';
				break;
			}
		}
		for (q = w = line; *q; q++) {
			if (q[0] == '\\' && q[1] == '#')
				continue;
			*w++ = *q;
		}
		*w = '\0';
		while (isspace((unsigned char)*line))
			line++;
		n = strlen(line);
		while (n > 0 && isspace((unsigned char)line[n - 1]))
			line[--n] = '\0';
		if (n == 0)
			continue;
		/* lang xx ...: translations for other locales; we answer in English */
		if (strncmp(line, "lang", 4) == 0 && isspace((unsigned char)line[4]))
			continue;
		parse_line(ld, line, file, lineno, conds, &nconds, 64);
	}
	while (nconds > 0) {
		nconds--;
		mw_diag_error(ld->diag, file, conds[nconds].line, "if without endif");
	}
}

static const char *
keep_file_name(struct loader *ld, const char *path)
{
	struct mw_ruleset *rs = ld->rs;
	char **nv = realloc(rs->files, (rs->nfiles + 1) * sizeof(*nv));

	if (nv == NULL)
		return NULL;
	rs->files = nv;
	if ((rs->files[rs->nfiles] = strdup(path)) == NULL)
		return NULL;
	return rs->files[rs->nfiles++];
}

static void
load_file(struct loader *ld, const char *path)
{
	FILE *f;
	char *text = NULL;
	size_t len = 0, cap = 0, n;
	const char *name;

	if ((f = fopen(path, "r")) == NULL) {
		mw_diag_error(ld->diag, path, 0, "cannot read rule file: %s", strerror(errno));
		return;
	}
	for (;;) {
		if (cap - len < 65536) {
			char *nt = realloc(text, cap + 65536 * 4 + 1);

			if (nt == NULL) {
				oom(ld, path, 0);
				free(text);
				fclose(f);
				return;
			}
			text = nt;
			cap += 65536 * 4;
		}
		n = fread(text + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		mw_diag_error(ld->diag, path, 0, "read error: %s", strerror(errno));
		fclose(f);
		free(text);
		return;
	}
	fclose(f);
	text[len] = '\0';
	if ((name = keep_file_name(ld, path)) == NULL)
		oom(ld, path, 0);
	else {
		parse_text(ld, name, text, len);
		ld->rs->stats.files++;
	}
	free(text);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
load_path(struct loader *ld, const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;

	if (stat(path, &st) != 0) {
		mw_diag_error(ld->diag, path, 0, "cannot read rules: %s", strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		load_file(ld, path);
		return;
	}
	if ((d = opendir(path)) == NULL) {
		mw_diag_error(ld->diag, path, 0, "cannot read rule directory: %s",
		    strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		char *full;

		if (l < 4 || strcmp(de->d_name + l - 3, ".cf") != 0 || de->d_name[0] == '.')
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **nv = realloc(names, ncap * sizeof(*nv));

			if (nv == NULL)
				break;
			names = nv;
			cap = ncap;
		}
		if (asprintf(&full, "%s/%s", path, de->d_name) < 0)
			break;
		names[n++] = full;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		load_file(ld, names[i]);
		free(names[i]);
	}
	free(names);
}

/* --- finishing: ReplaceTags -------------------------------------------------- */

/* Append n bytes to a growing string. */
static int
sb_add(char **s, size_t *len, size_t *cap, const char *p, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t ncap = (*len + n + 1) * 2;
		char *ns = realloc(*s, ncap);

		if (ns == NULL)
			return -1;
		*s = ns;
		*cap = ncap;
	}
	memcpy(*s + *len, p, n);
	*len += n;
	(*s)[*len] = '\0';
	return 0;
}

/* Remove the first "<KIND NAME>" from *re; returns the NAME's value or NULL. */
static const char *
take_modifier(struct loader *ld, char *re, const char *kind, int tk)
{
	char open[32];
	char *p, *e;
	const char *v;

	snprintf(open, sizeof(open), "%s%s ", ld->rstart, kind);
	if ((p = strstr(re, open)) == NULL)
		return NULL;
	e = strstr(p + strlen(open), ld->rend);
	if (e == NULL)
		return NULL;
	v = tag_value(ld, tk, p + strlen(open), (size_t)(e - p - strlen(open)));
	memmove(p, e + strlen(ld->rend), strlen(e + strlen(ld->rend)) + 1);
	return v;
}

/*
 * The ReplaceTags plugin's algorithm: the pattern is split into text and <TAG>
 * pieces; <pre X>/<post X> add text around each tag, <inter X> fills the empty
 * pieces between adjacent tags, each tag becomes its value; repeated while values
 * contain tags (at most 5 passes).
 */
static char *
replace_tags(struct loader *ld, const char *orig, bool subr)
{
	char *re = strdup(orig);
	int pass;
	size_t sl = strlen(ld->rstart), el = strlen(ld->rend);
	const char *used[64];		/* subr: the tag values called, by number */
	size_t nused = 0;

	if (re == NULL)
		return NULL;
	for (pass = 0; pass <= 5; pass++) {
		const char *pre, *post, *inter;
		char *out = NULL;
		size_t olen = 0, ocap = 0;
		const char *p = NULL, *piece_start;
		bool again = false;

		pre = take_modifier(ld, re, "pre", TAG_PRE);
		post = take_modifier(ld, re, "post", TAG_POST);
		inter = take_modifier(ld, re, "inter", TAG_INTER);
		if (sb_add(&out, &olen, &ocap, "", 0) < 0)
			goto nomem;
		/* walk pieces: text up to '<', then a tag "<...>" without inner <> */
		p = re;
		piece_start = p;
		for (;;) {
			const char *t = strstr(p, ld->rstart), *te = NULL;

			while (t != NULL) {
				te = strstr(t + sl, ld->rend);
				if (te != NULL && te > t + sl &&
				    memchr(t + sl, '<', (size_t)(te - t - sl)) == NULL &&
				    memchr(t + sl, '>', (size_t)(te - t - sl)) == NULL)
					break;
				t = strstr(t + 1, ld->rstart);
			}
			/* text piece [piece_start, t or end) */
			{
				size_t tl = t ? (size_t)(t - piece_start) : strlen(piece_start);

				if (tl == 0 && t != NULL && inter != NULL) {
					/* empty piece: the start, or between adjacent tags */
					if (sb_add(&out, &olen, &ocap, inter, strlen(inter)) < 0)
						goto nomem;
				} else if (sb_add(&out, &olen, &ocap, piece_start, tl) < 0)
					goto nomem;
			}
			if (t == NULL)
				break;
			{
				const char *name = t + sl;
				size_t nl = (size_t)(te - name);
				const char *val = tag_value(ld, TAG_TAG, name, nl);

				if (pre && sb_add(&out, &olen, &ocap, pre, strlen(pre)) < 0)
					goto nomem;
				if (val != NULL && *val != '\0' && subr &&
				    strstr(val, ld->rstart) == NULL) {
					/* a call of the value, defined once (see below) */
					char call[32];
					size_t k;

					for (k = 0; k < nused && used[k] != val; k++)
						;
					if (k == nused && nused < sizeof(used) / sizeof(used[0]))
						used[nused++] = val;
					if (k < nused) {
						snprintf(call, sizeof(call), "(?&mwtag%zu)", k);
						if (sb_add(&out, &olen, &ocap, call, strlen(call)) < 0)
							goto nomem;
					} else if (sb_add(&out, &olen, &ocap, val, strlen(val)) < 0)
						goto nomem;
				} else if (val != NULL && *val != '\0') {
					if (sb_add(&out, &olen, &ocap, val, strlen(val)) < 0)
						goto nomem;
					if (strstr(val, ld->rstart) != NULL)
						again = true;
				} else if (sb_add(&out, &olen, &ocap, t, nl + sl + el) < 0)
					goto nomem;
				if (post && sb_add(&out, &olen, &ocap, post, strlen(post)) < 0)
					goto nomem;
			}
			p = piece_start = te + el;
		}
		free(re);
		re = out;
		if (!again)
			break;
		continue;
nomem:
		free(out);
		free(re);
		return NULL;
	}
	if (nused > 0) {
		/* (?(DEFINE)(?<mwtag0>value)...) first: it matches nothing itself */
		char *out = NULL, name[32];
		size_t olen = 0, ocap = 0, k;

		if (sb_add(&out, &olen, &ocap, "(?(DEFINE)", 10) < 0)
			goto defnomem;
		for (k = 0; k < nused; k++) {
			snprintf(name, sizeof(name), "(?<mwtag%zu>", k);
			if (sb_add(&out, &olen, &ocap, name, strlen(name)) < 0 ||
			    sb_add(&out, &olen, &ocap, used[k], strlen(used[k])) < 0 ||
			    sb_add(&out, &olen, &ocap, ")", 1) < 0)
				goto defnomem;
		}
		if (sb_add(&out, &olen, &ocap, ")", 1) < 0 ||
		    sb_add(&out, &olen, &ocap, re, strlen(re)) < 0)
			goto defnomem;
		free(re);
		return out;
defnomem:
		free(out);
		free(re);
		return NULL;
	}
	return re;
}

/* Does a pattern refer back to a group?  Then groups must keep their numbers. */
static bool
has_backref(const char *re)
{
	const char *p;

	for (p = re; *p != '\0'; p++) {
		if (*p != '\\')
			continue;
		if ((p[1] >= '1' && p[1] <= '9') || p[1] == 'g' || p[1] == 'k')
			return true;
		if (p[1] != '\0')
			p++;
	}
	return strstr(re, "(?P=") != NULL || strstr(re, "(?P>") != NULL;
}

/*
 * A ReplaceTags rule whose expansion is too large for PCRE2 (Debian builds it with
 * 2-byte links: 64 KiB of compiled code; SpamAssassin's letter tags are hundreds of
 * bytes each, and a {5} repeat copies them five times): expand again with each tag
 * value defined once in a DEFINE group and called as a subroutine, which PCRE2 (since
 * 10.30) backtracks into like the inline group.  NULL when that does not apply.
 */
static char *
replace_tags_compact(struct loader *ld, size_t ri)
{
	const char *orig = ri < ld->nreplace_orig ? ld->replace_orig[ri] : NULL;

	if (orig == NULL || has_backref(orig))
		return NULL;
	return replace_tags(ld, orig, true);
}

static void
apply_replace_tags(struct loader *ld)
{
	size_t i;

	for (i = 0; i < ld->nreplace; i++) {
		size_t ri = index_lookup(ld->rs, ld->replace[i]);
		struct mw_rule *r;
		char *nre;

		if (ri == SIZE_MAX)
			continue;
		r = &ld->rs->rules[ri];
		if (r->test != MW_RT_REGEX || r->pre.pattern == NULL || r->broken)
			continue;
		if ((nre = replace_tags(ld, r->pre.pattern, false)) == NULL) {
			oom(ld, r->file, r->line);
			return;
		}
		/* kept for replace_tags_compact() */
		if (ld->replace_orig == NULL &&
		    (ld->replace_orig = calloc(ld->rs->nrules, sizeof(char *))) == NULL) {
			free(nre);
			oom(ld, r->file, r->line);
			return;
		}
		ld->nreplace_orig = ld->rs->nrules;
		free(ld->replace_orig[ri]);
		ld->replace_orig[ri] = r->pre.pattern;
		r->pre.pattern = nre;
		r->pre.len = strlen(nre);
	}
}

/* --- finishing: metas -------------------------------------------------------- */

struct meta_parser {
	const struct mw_ruleset *rs;
	const char *p;
	struct mw_meta_tok *out;
	size_t	 n, cap;
	bool	 bad;
	char	 err[128];
};

static void
mp_emit(struct meta_parser *mp, enum mw_meta_op op, double num, size_t rule)
{
	if (mp->n == mp->cap) {
		size_t ncap = mp->cap ? mp->cap * 2 : 16;
		struct mw_meta_tok *nv = realloc(mp->out, ncap * sizeof(*nv));

		if (nv == NULL) {
			mp->bad = true;
			snprintf(mp->err, sizeof(mp->err), "out of memory");
			return;
		}
		mp->out = nv;
		mp->cap = ncap;
	}
	mp->out[mp->n].op = op;
	mp->out[mp->n].num = num;
	mp->out[mp->n].rule = rule;
	mp->n++;
}

static bool
mp_take(struct meta_parser *mp, const char *tok)
{
	size_t n = strlen(tok);

	while (isspace((unsigned char)*mp->p))
		mp->p++;
	if (strncmp(mp->p, tok, n) != 0)
		return false;
	/* "!" must not eat "!=", "<" not "<=", ">" not ">=" */
	if (n == 1 && (tok[0] == '!' || tok[0] == '<' || tok[0] == '>') && mp->p[1] == '=')
		return false;
	mp->p += n;
	return true;
}

static void mp_cond(struct meta_parser *mp);

static void
mp_primary(struct meta_parser *mp)
{
	while (isspace((unsigned char)*mp->p))
		mp->p++;
	if (mp_take(mp, "!")) {
		mp_primary(mp);
		mp_emit(mp, MW_MO_NOT, 0, 0);
		return;
	}
	if (mp_take(mp, "-")) {
		mp_primary(mp);
		mp_emit(mp, MW_MO_NEG, 0, 0);
		return;
	}
	if (mp_take(mp, "+")) {
		mp_primary(mp);
		return;
	}
	if (mp_take(mp, "(")) {
		mp_cond(mp);
		if (!mp_take(mp, ")") && !mp->bad) {
			mp->bad = true;
			snprintf(mp->err, sizeof(mp->err), "missing )");
		}
		return;
	}
	if (isdigit((unsigned char)*mp->p) || *mp->p == '.') {
		char *end;
		double v = strtod(mp->p, &end);

		mp->p = end;
		mp_emit(mp, MW_MO_NUM, v, 0);
		return;
	}
	if (isalpha((unsigned char)*mp->p) || *mp->p == '_') {
		const char *s = mp->p;
		char name[256];
		size_t n;

		while (isalnum((unsigned char)*mp->p) || *mp->p == '_' || *mp->p == ':')
			mp->p++;
		n = (size_t)(mp->p - s);
		if (n >= sizeof(name)) {
			mp->bad = true;
			snprintf(mp->err, sizeof(mp->err), "name too long");
			return;
		}
		memcpy(name, s, n);
		name[n] = '\0';
		if (strcmp(name, "local_tests_only") == 0) {
			mp_emit(mp, MW_MO_NUM, 1, 0);
			return;
		}
		mp_emit(mp, MW_MO_RULE, 0, index_lookup(mp->rs, name));
		return;
	}
	if (!mp->bad) {
		mp->bad = true;
		snprintf(mp->err, sizeof(mp->err), "unexpected '%.10s'", mp->p);
	}
}

static void
mp_mul(struct meta_parser *mp)
{
	mp_primary(mp);
	for (;;) {
		if (mp_take(mp, "*")) { mp_primary(mp); mp_emit(mp, MW_MO_MUL, 0, 0); }
		else if (mp_take(mp, "/")) { mp_primary(mp); mp_emit(mp, MW_MO_DIV, 0, 0); }
		else return;
	}
}

static void
mp_add(struct meta_parser *mp)
{
	mp_mul(mp);
	for (;;) {
		if (mp_take(mp, "+")) { mp_mul(mp); mp_emit(mp, MW_MO_ADD, 0, 0); }
		else if (mp_take(mp, "-")) { mp_mul(mp); mp_emit(mp, MW_MO_SUB, 0, 0); }
		else return;
	}
}

static void
mp_rel(struct meta_parser *mp)
{
	mp_add(mp);
	for (;;) {
		if (mp_take(mp, ">=")) { mp_add(mp); mp_emit(mp, MW_MO_GE, 0, 0); }
		else if (mp_take(mp, "<=")) { mp_add(mp); mp_emit(mp, MW_MO_LE, 0, 0); }
		else if (mp_take(mp, ">")) { mp_add(mp); mp_emit(mp, MW_MO_GT, 0, 0); }
		else if (mp_take(mp, "<")) { mp_add(mp); mp_emit(mp, MW_MO_LT, 0, 0); }
		else return;
	}
}

static void
mp_eq(struct meta_parser *mp)
{
	mp_rel(mp);
	for (;;) {
		if (mp_take(mp, "==")) { mp_rel(mp); mp_emit(mp, MW_MO_EQ, 0, 0); }
		else if (mp_take(mp, "!=")) { mp_rel(mp); mp_emit(mp, MW_MO_NE, 0, 0); }
		else return;
	}
}

static void
mp_xor(struct meta_parser *mp)
{
	mp_eq(mp);
	while (mp_take(mp, "^")) {
		mp_eq(mp);
		mp_emit(mp, MW_MO_XOR, 0, 0);
	}
}

static void
mp_and(struct meta_parser *mp)
{
	mp_xor(mp);
	while (mp_take(mp, "&&")) {
		mp_xor(mp);
		mp_emit(mp, MW_MO_AND, 0, 0);
	}
}

static void
mp_or(struct meta_parser *mp)
{
	mp_and(mp);
	while (mp_take(mp, "||")) {
		mp_and(mp);
		mp_emit(mp, MW_MO_OR, 0, 0);
	}
}

static void
mp_cond(struct meta_parser *mp)
{
	mp_or(mp);
	if (mp_take(mp, "?")) {
		mp_cond(mp);
		if (!mp_take(mp, ":") && !mp->bad) {
			mp->bad = true;
			snprintf(mp->err, sizeof(mp->err), "?: without :");
		}
		mp_cond(mp);
		mp_emit(mp, MW_MO_COND, 0, 0);
	}
}

static int
parse_meta(const struct mw_ruleset *rs, struct mw_rule *r, char *err, size_t errlen)
{
	struct meta_parser mp = { .rs = rs, .p = r->src };

	mp_cond(&mp);
	while (isspace((unsigned char)*mp.p))
		mp.p++;
	if (!mp.bad && *mp.p != '\0') {
		mp.bad = true;
		snprintf(mp.err, sizeof(mp.err), "unexpected '%.10s'", mp.p);
	}
	if (mp.bad) {
		free(mp.out);
		snprintf(err, errlen, "%s", mp.err);
		return -1;
	}
	r->rpn = mp.out;
	r->nrpn = mp.n;
	return 0;
}

/* --- finishing: scores, activity, order -------------------------------------- */

static bool
is_subrule(const struct mw_rule *r)
{
	return r->name[0] == '_' && r->name[1] == '_';
}

/* Score as SpamAssassin's got_hit sees it: 0 means the rule can never hit. */
static double
effective_score(const struct mw_rule *r)
{
	return r->score;
}

/* Mark r and everything its meta needs as active (iterative DFS with a stack). */
static int
mark_active(struct mw_ruleset *rs, size_t start)
{
	size_t *stack, n = 0, cap = 64;

	if ((stack = malloc(cap * sizeof(*stack))) == NULL)
		return -1;
	stack[n++] = start;
	while (n > 0) {
		struct mw_rule *r = &rs->rules[stack[--n]];
		size_t k;

		if (r->active)
			continue;
		r->active = true;
		if (r->test != MW_RT_META)
			continue;
		for (k = 0; k < r->nrpn; k++) {
			size_t d = r->rpn[k].rule;
			struct mw_rule *dr;

			if (r->rpn[k].op != MW_MO_RULE || d == SIZE_MAX)
				continue;
			dr = &rs->rules[d];
			if (dr->active || dr->src == NULL || dr->broken ||
			    effective_score(dr) == 0)
				continue;
			if (n == cap) {
				size_t *ns = realloc(stack, cap * 2 * sizeof(*ns));

				if (ns == NULL) {
					free(stack);
					return -1;
				}
				stack = ns;
				cap *= 2;
			}
			stack[n++] = d;
		}
	}
	free(stack);
	return 0;
}

/* Post-order DFS over active metas; state: 0 new, 1 on stack, 2 done. */
static int
order_metas(struct mw_ruleset *rs, size_t ri, unsigned char *state, struct mw_diag *diag,
    unsigned depth)
{
	struct mw_rule *r = &rs->rules[ri];
	size_t k;

	if (state[ri] == 2)
		return 0;
	if (state[ri] == 1 || depth > 200) {
		mw_diag_warn(diag, r->file, r->line, "meta %s is part of a dependency loop; "
		    "it will not run", r->name);
		r->broken = true;
		return 0;
	}
	state[ri] = 1;
	for (k = 0; k < r->nrpn; k++) {
		size_t d = r->rpn[k].rule;

		if (r->rpn[k].op == MW_MO_RULE && d != SIZE_MAX && rs->rules[d].active &&
		    rs->rules[d].test == MW_RT_META)
			order_metas(rs, d, state, diag, depth + 1);
	}
	state[ri] = 2;
	rs->order[rs->norder++] = ri;
	return 0;
}

/*
 * Header rules that read the same value (same source, field and modifiers) get the
 * same key, so the engine builds each value once per message.
 */
static int
assign_header_keys(struct mw_ruleset *rs)
{
	char **keys = NULL;
	size_t nkeys = 0, i, k;
	int rc = 0;

	for (i = 0; i < rs->norder && rc == 0; i++) {
		struct mw_rule *r = &rs->rules[rs->order[i]];
		char *key, *c;

		if (r->kind != MW_RK_HEADER || r->broken || r->field == NULL ||
		    (r->test != MW_RT_REGEX && r->test != MW_RT_EXISTS))
			continue;
		if (asprintf(&key, "%d/%u/%s", (int)r->source,
		    r->test == MW_RT_EXISTS ? 0 : r->hmods, r->field) < 0) {
			rc = -1;
			break;
		}
		for (c = key; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		for (k = 0; k < nkeys && strcmp(keys[k], key) != 0; k++)
			;
		if (k == nkeys) {
			char **nk = realloc(keys, (nkeys + 1) * sizeof(*nk));

			if (nk == NULL) {
				free(key);
				rc = -1;
				break;
			}
			keys = nk;
			keys[nkeys++] = key;
		} else
			free(key);
		r->hkey = k;
	}
	for (k = 0; k < nkeys; k++)
		free(keys[k]);
	free(keys);
	rs->nhkeys = nkeys;
	return rc;
}

static int
finish(struct loader *ld)
{
	struct mw_ruleset *rs = ld->rs;
	struct mw_diag *diag = ld->diag;
	size_t i;
	unsigned char *state;

	apply_replace_tags(ld);
	if (ld->oom)
		return -1;

	for (i = 0; i < rs->nrules; i++) {
		struct mw_rule *r = &rs->rules[i];
		char err[256];

		/* default scores, as SpamAssassin's fix_tests() */
		if (!r->has_score) {
			double s = strncmp(r->name, "T_", 2) == 0 ? 0.01 : 1.0;

			if (r->tflags & MW_TF_NICE)
				s = -s;
			r->scores[0] = r->scores[1] = r->scores[2] = r->scores[3] = s;
		}
		r->score = r->scores[rs->score_set];
		if (r->src == NULL)
			continue;	/* only score/describe lines: no rule */
		rs->stats.by_kind[r->kind]++;
		if (r->broken) {
			rs->stats.compile_failures++;
			continue;
		}
		switch (r->test) {
		case MW_RT_REGEX: {
			int utf;

			if (strstr(r->pre.pattern, "%{") != NULL) {
				/* capture-tag rules (SpamAssassin 4 %{TAG}) are not supported */
				r->broken = true;
				rs->stats.unsupported++;
				break;
			}
			if ((r->hmods & MW_HM_UNSUPPORTED) || (r->kind == MW_RK_MIMEHEADER &&
			    (r->source != MW_HS_FIELD || (r->hmods & ~MW_HM_RAW) != 0))) {
				/* mimeheader reads one named field, :raw or decoded */
				r->broken = true;
				rs->stats.unsupported++;
				break;
			}
			r->re = mw_perlre_compile(&r->pre, &utf, err, sizeof(err));
			if (r->re == NULL && strstr(err, "too large") != NULL) {
				char *c = replace_tags_compact(ld, i);

				if (c != NULL) {
					free(r->pre.pattern);
					r->pre.pattern = c;
					r->pre.len = strlen(c);
					r->re = mw_perlre_compile(&r->pre, &utf, err, sizeof(err));
				}
			}
			if (r->re == NULL) {
				mw_diag_warn(diag, r->file, r->line, "rule %s skipped: regex %s",
				    r->name, err);
				r->broken = true;
				rs->stats.compile_failures++;
				break;
			}
			r->utf = utf != 0;
			break;
		}
		case MW_RT_EVAL: {
			const struct mw_eval_entry *e = mw_eval_lookup(r->eval_fn);

			rs->stats.evals++;
			if (e != NULL) {
				r->native = e->fn;
				rs->stats.evals_native++;
			}
			break;
		}
		case MW_RT_META:
			if (parse_meta(rs, r, err, sizeof(err)) < 0) {
				mw_diag_warn(diag, r->file, r->line, "meta %s skipped: %s",
				    r->name, err);
				r->broken = true;
				rs->stats.compile_failures++;
			}
			break;
		case MW_RT_EXISTS:
			break;
		}
	}
	/* what runs: scoring rules, and whatever scoring metas need */
	for (i = 0; i < rs->nrules; i++) {
		struct mw_rule *r = &rs->rules[i];

		if (r->src == NULL || r->broken || r->active || is_subrule(r) ||
		    effective_score(r) == 0)
			continue;
		if (mark_active(rs, i) < 0)
			return -1;
	}
	if ((rs->order = malloc((rs->nrules + 1) * sizeof(*rs->order))) == NULL ||
	    (state = calloc(rs->nrules + 1, 1)) == NULL)
		return -1;
	for (i = 0; i < rs->nrules; i++)
		if (rs->rules[i].active && rs->rules[i].test != MW_RT_META)
			rs->order[rs->norder++] = i;
	rs->first_meta = rs->norder;
	for (i = 0; i < rs->nrules; i++)
		if (rs->rules[i].active && rs->rules[i].test == MW_RT_META)
			order_metas(rs, i, state, diag, 0);
	free(state);
	for (i = 0; i < rs->norder; i++)
		if (!rs->rules[rs->order[i]].broken)
			rs->stats.active++;
	if (assign_header_keys(rs) < 0)
		return -1;
	return mw_rules_prefilter_build(rs);
}

static void
loader_free(struct loader *ld)
{
	size_t i, k;

	for (k = 0; k < TAG_KINDS; k++) {
		for (i = 0; i < ld->tags[k].n; i++) {
			free(ld->tags[k].v[i].name);
			free(ld->tags[k].v[i].value);
		}
		free(ld->tags[k].v);
	}
	for (i = 0; i < ld->nreplace; i++)
		free(ld->replace[i]);
	free(ld->replace);
	if (ld->replace_orig != NULL) {
		for (i = 0; i < ld->nreplace_orig; i++)
			free(ld->replace_orig[i]);
		free(ld->replace_orig);
	}
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static struct mw_ruleset *
ruleset_new(int score_set)
{
	struct mw_ruleset *rs = calloc(1, sizeof(*rs));

	if (rs == NULL)
		return NULL;
	if ((rs->index = calloc(1, sizeof(*rs->index))) == NULL) {
		free(rs);
		return NULL;
	}
	rs->score_set = score_set < 0 || score_set > 3 ? 0 : score_set;
	rs->required_score = 5.0;
	return rs;
}

static struct mw_ruleset *
load_common(struct loader *ld, double t0)
{
	struct mw_ruleset *rs = ld->rs;

	if (ld->oom || finish(ld) < 0) {
		if (!ld->oom)
			mw_diag_error(ld->diag, NULL, 0, "out of memory while compiling rules");
		loader_free(ld);
		mw_rules_free(rs);
		return NULL;
	}
	loader_free(ld);
	rs->stats.load_ms = now_ms() - t0;
	return rs;
}

struct mw_ruleset *
mw_rules_load(const char *const *paths, size_t npaths, int score_set, struct mw_diag *diag)
{
	struct loader ld = { .diag = diag, .rstart = "<", .rend = ">" };
	double t0 = now_ms();
	size_t i;

	if ((ld.rs = ruleset_new(score_set)) == NULL) {
		mw_diag_error(diag, NULL, 0, "out of memory");
		return NULL;
	}
	for (i = 0; i < npaths && !ld.oom; i++)
		load_path(&ld, paths[i]);
	return load_common(&ld, t0);
}

struct mw_ruleset *
mw_rules_load_list(const char *list, int score_set, struct mw_diag *diag)
{
	char *copy, *tok, *save = NULL;
	const char **paths = NULL;
	size_t n = 0;
	struct mw_ruleset *rs;

	if ((copy = strdup(list != NULL ? list : "")) == NULL ||
	    (paths = calloc(strlen(copy) / 2 + 2, sizeof(*paths))) == NULL) {
		free(copy);
		mw_diag_error(diag, NULL, 0, "out of memory");
		return NULL;
	}
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		struct stat st;
		size_t l;

		while (*tok == ' ' || *tok == '\t')
			tok++;
		l = strlen(tok);
		while (l > 0 && (tok[l - 1] == ' ' || tok[l - 1] == '\t'))
			tok[--l] = '\0';
		if (l == 0)
			continue;
		if (*tok == '?') {
			tok++;
			if (stat(tok, &st) != 0)
				continue;
		}
		paths[n++] = tok;
	}
	rs = mw_rules_load(paths, n, score_set, diag);
	free(paths);
	free(copy);
	return rs;
}

struct mw_ruleset *
mw_rules_load_string(const char *name, const char *text, size_t len, int score_set,
    struct mw_diag *diag)
{
	struct loader ld = { .diag = diag, .rstart = "<", .rend = ">" };
	double t0 = now_ms();
	const char *fname;
	char *copy;

	if ((ld.rs = ruleset_new(score_set)) == NULL) {
		mw_diag_error(diag, NULL, 0, "out of memory");
		return NULL;
	}
	if ((copy = malloc(len + 1)) == NULL || (fname = keep_file_name(&ld, name)) == NULL) {
		free(copy);
		mw_diag_error(diag, name, 0, "out of memory");
		mw_rules_free(ld.rs);
		return NULL;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	parse_text(&ld, fname, copy, len);
	free(copy);
	ld.rs->stats.files++;
	return load_common(&ld, t0);
}

void
mw_rules_free(struct mw_ruleset *rs)
{
	size_t i;

	if (rs == NULL)
		return;
	mw_rules_prefilter_free(rs);
	for (i = 0; i < rs->nrules; i++) {
		rule_clear_test(&rs->rules[i]);
		free(rs->rules[i].name);
		free(rs->rules[i].describe);
	}
	free(rs->rules);
	for (i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	free(rs->files);
	free(rs->order);
	if (rs->index != NULL)
		free(rs->index->slots);
	free(rs->index);
	mw_eval_sa_conf_free(rs->eval_conf);	/* issue 5 */
	if (rs->relay_conf != NULL)
		mw_relay_conf_free(rs->relay_conf);
	free(rs->relay_conf);
	free(rs);
}

void
mw_rules_lint_report(const struct mw_ruleset *rs, FILE *out)
{
	const struct mw_ruleset_stats *s = &rs->stats;
	size_t i, k;

	fprintf(out, "rules: %zu files loaded in %.0f ms, score set %d, required_score %.1f\n",
	    s->files, s->load_ms, rs->score_set, rs->required_score);
	fprintf(out, "rules by type:");
	for (k = 0; k < MW_RK_COUNT; k++)
		fprintf(out, " %s=%zu", mw_rule_kind_names[k], s->by_kind[k]);
	fprintf(out, "\n");
	fprintf(out, "rules active (run on each message): %zu, with prefilter literal: %zu\n",
	    s->active, s->prefiltered);
	fprintf(out, "eval rules: %zu, with a native function: %zu, without: %zu\n",
	    s->evals, s->evals_native, s->evals - s->evals_native);
	fprintf(out, "compile failures: %zu, unsupported (:host-style modifiers, other "
	    "ALL-/X-Spam-Relays- names, %%{TAG} captures): %zu\n",
	    s->compile_failures, s->unsupported);
	fprintf(out, "directives of unimplemented plugins ignored: %zu\n",
	    s->ignored_directives);
	for (i = 0; i < rs->nrules; i++) {
		const struct mw_rule *r = &rs->rules[i];

		if (r->src != NULL && r->test == MW_RT_EVAL && r->native == NULL)
			fprintf(out, "eval without native function: %s %s eval:%s (%s:%u)\n",
			    mw_rule_kind_names[r->kind], r->name, r->eval_fn, r->file, r->line);
	}
}
