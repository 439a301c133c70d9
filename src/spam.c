/*
 * spam - the spam-rules stage and --explain.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "rules_eval.h"
#include "spam.h"
#include "relays.h"		/* issue 5 */

double
mw_spam_required(const struct mw_scan_ctx *ctx)
{
	if (strcmp(ctx->policy.key, "-") == 0 || ctx->policy.key[0] == '\0')
		return ctx->conf->spam_threshold;
	return ctx->policy.spam_threshold;
}

/* issue 5: SpamAssassin's relay analysis, with this hop from the MTA's macros. */
static int
relays_build(const struct mw_generation *g, const struct mw_envelope *env,
    const struct mw_message *m, struct mw_relays *r)
{
	struct mw_relay_conf defaults;
	struct mw_relay_client cl;
	const struct mw_relay_conf *conf = g->rules != NULL ? g->rules->relay_conf : NULL;

	if (conf == NULL) {
		mw_relay_conf_init(&defaults);
		conf = &defaults;
	}
	if (env == NULL || env->client_addr == NULL || env->client_addr[0] == '\0')
		return mw_relays_build(r, m, conf, NULL);
	memset(&cl, 0, sizeof(cl));
	cl.ip = env->client_addr;
	cl.rdns = env->client_name;
	cl.helo = env->helo;
	cl.by = env->mta_host != NULL ? env->mta_host : g->hostname;
	cl.auth = env->auth_authen;
	return mw_relays_build(r, m, conf, &cl);
}

static void
rules_input(const struct mw_scan_ctx *ctx, const struct mw_message *m,
    struct mw_rules_input *in)
{
	memset(in, 0, sizeof(*in));
	in->msg = m;
	if (m->mime != NULL) {
		in->views = mw_mime_views(m);
		in->decoded = mw_mime_header_decoded;
	}
	in->envelope_from = ctx != NULL && ctx->env != NULL ? ctx->env->mail_from : NULL;
	in->ctx = ctx;
}

/* "Yes, score=7.3 required=5.0 tests=A,B,C autolearn=disabled version=..." folded
 * between test names the way SpamAssassin folds it. */
static int
status_value(struct mw_buf *b, const struct mw_spam_result *s)
{
	size_t i, col;

	mw_buf_printf(b, "%s, score=%.1f required=%.1f tests=", s->is_spam ? "Yes" : "No",
	    s->score, s->required);
	col = 13 + b->len;	/* "X-Spam-Status: " */
	for (i = 0; i < s->nrules; i++) {
		size_t n = strlen(s->rules[i]);

		if (i > 0) {
			mw_buf_putc(b, ',');
			col++;
			if (col + n > 76) {
				mw_buf_puts(b, "\n\t");
				col = 8;
			}
		}
		mw_buf_puts(b, s->rules[i]);
		col += n;
	}
	if (s->nrules == 0)
		mw_buf_puts(b, "none");
	if (col + 40 > 76)
		mw_buf_puts(b, "\n\t");
	else
		mw_buf_putc(b, ' ');
	mw_buf_printf(b, "autolearn=disabled version=mailwarden-%s", PACKAGE_VERSION);
	return b->truncated ? -1 : 0;
}

static int
add_headers(struct mw_verdict *v)
{
	const struct mw_spam_result *s = &v->spam;
	struct mw_buf b;
	char num[32], stars[51];
	int n, rc = -1;

	if (s->is_spam && mw_verdict_add_header(v, "X-Spam-Flag", "YES") < 0)
		return -1;
	snprintf(num, sizeof(num), "%.1f", s->score);
	if (mw_verdict_add_header(v, "X-Spam-Score", num) < 0)
		return -1;
	/* one star per whole point, at most 50 (SpamAssassin's _STARS_) */
	n = s->score >= 1 ? (int)(s->score > 50 ? 50 : s->score) : 0;
	memset(stars, '*', (size_t)n);
	stars[n] = '\0';
	if (mw_verdict_add_header(v, "X-Spam-Level", stars) < 0)
		return -1;
	mw_buf_init(&b, 65536);
	if (status_value(&b, s) == 0 && b.data != NULL &&
	    mw_verdict_add_header(v, "X-Spam-Status", b.data) == 0)
		rc = 0;
	mw_buf_free(&b);
	return rc;
}

static void
propose(struct mw_scan_ctx *ctx)
{
	struct mw_verdict *v = ctx->v;
	const struct mw_policy *p = &ctx->policy;
	char text[128];

	if (!v->spam.is_spam)
		return;		/* nothing to propose: the scan accepts by default */
	if (p->spam_action == MW_SPAM_REJECT ||
	    (p->spam_reject_threshold > 0 && v->spam.score >= p->spam_reject_threshold)) {
		snprintf(text, sizeof(text), "Message rejected as spam (score %.1f)",
		    v->spam.score);
		mw_verdict_propose(v, MW_ACTION_REJECT, "spam", 550, "5.7.1", text);
		return;
	}
	switch (p->spam_action) {
	case MW_SPAM_HOLD:
		if (v->hold_reason[0] == '\0')
			snprintf(v->hold_reason, sizeof(v->hold_reason), "spam score %.1f",
			    v->spam.score);
		mw_verdict_propose(v, MW_ACTION_HOLD, "spam", 0, NULL, NULL);
		break;
	case MW_SPAM_SUBJECT:
	case MW_SPAM_TAG:
	case MW_SPAM_REJECT:
		mw_verdict_propose(v, MW_ACTION_TAG, "spam", 0, NULL, NULL);
		break;
	}
}

int
mw_spam_stage(struct mw_scan_ctx *ctx)
{
	struct mw_verdict *v = ctx->v;
	const struct mw_ruleset *rs = ctx->gen->rules;
	struct mw_rules_input in;
	struct mw_rules_result res;
	struct mw_relays relays;	/* issue 5 */
	size_t i;
	int rc;

	if (!ctx->policy.spam) {
		v->spam.status = MW_STAGE_SKIPPED;
		v->spam.reason = "policy";
		return 0;
	}
	if (rs == NULL || rs->norder == 0) {
		/* `rules =` (empty) or only files without scoring rules: spam is off */
		v->spam.status = MW_STAGE_SKIPPED;
		v->spam.reason = "no_rules";
		return 0;
	}
	if (relays_build(ctx->gen, ctx->env, &ctx->msg, &relays) < 0) {
		v->spam.status = MW_STAGE_ERROR;
		v->spam.reason = "internal";
		return -1;
	}
	ctx->relays = &relays;
	rules_input(ctx, &ctx->msg, &in);
	in.relays = &relays;
	in.budget_ms = (double)ctx->conf->rules_time_budget;
	rc = mw_rules_run(rs, &in, &res);
	ctx->relays = NULL;
	mw_relays_free(&relays);
	if (rc < 0) {
		mw_rules_result_free(&res);
		v->spam.status = MW_STAGE_ERROR;
		v->spam.reason = "internal";
		return -1;
	}
	/* SpamAssassin compares the score rounded to three decimals, and shows it with
	 * one - except that a message that is not spam never shows the required score
	 * or more (4.994 of 5.0 is "4.9", not "5.0"; its Util::get_tag_value_for_score) */
	v->spam.required = mw_spam_required(ctx);
	v->spam.is_spam = round(res.score * 1000) / 1000 >= v->spam.required;
	v->spam.score = round(res.score * 10) / 10;
	if (!v->spam.is_spam && v->spam.score >= round(v->spam.required * 10) / 10)
		v->spam.score = round(v->spam.required * 10) / 10 - 0.1;
	if (v->spam.score == 0)
		v->spam.score = 0;	/* no "-0.0" from a tiny negative score */
	v->spam.budget_exceeded = res.budget_exceeded;
	if (res.nhits > 0 && (v->spam.rules = calloc(res.nhits, sizeof(char *))) == NULL)
		goto nomem;
	for (i = 0; i < res.nhits; i++) {
		if ((v->spam.rules[i] = strdup(rs->rules[res.hits[i].rule].name)) == NULL)
			goto nomem;
		v->spam.nrules++;
	}
	mw_rules_result_free(&res);
	v->spam.status = MW_STAGE_DONE;
	if (add_headers(v) < 0)
		return -1;
	if (v->spam.is_spam && ctx->policy.spam_action == MW_SPAM_SUBJECT &&
	    !(ctx->policy.spam_reject_threshold > 0 &&
	    v->spam.score >= ctx->policy.spam_reject_threshold) &&
	    mw_verdict_prefix_subject(v, &ctx->msg, ctx->policy.subject_tag) < 0)
		return -1;
	propose(ctx);
	return 0;
nomem:
	mw_rules_result_free(&res);
	v->spam.status = MW_STAGE_ERROR;
	v->spam.reason = "internal";
	return -1;
}

/* Matched text for a terminal: printable ASCII and spaces as they are, anything
 * else (line breaks, 8-bit, controls) as \xHH so it cannot garble the output. */
static void
put_shown(struct mw_buf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f && c != '\\')
			mw_buf_putc(out, (char)c);
		else
			mw_buf_printf(out, "\\x%02X", c);
	}
}

int
mw_spam_explain(const struct mw_generation *g, const struct mw_envelope *env,
    const char *data, size_t len, struct mw_buf *out)
{
	struct mw_limits lim;
	struct mw_mime_limits mlim;
	struct mw_rules_input in;
	struct mw_rules_result res;
	struct mw_scan_ctx ctx;
	struct mw_verdict v;		/* empty: the virus and SPF stages do not run */
	struct mw_message *m = &ctx.msg;
	const struct mw_ruleset *rs = g->rules;
	struct mw_relays relays;	/* issue 5 */
	bool relays_built = false;
	size_t i;
	int rc = -1;

	if (rs == NULL)
		return -1;
	/* an mbox separator line is not part of the message */
	if (len > 5 && memcmp(data, "From ", 5) == 0) {
		const char *nl = memchr(data, '\n', len);

		if (nl != NULL) {
			len -= (size_t)(nl + 1 - data);
			data = nl + 1;
		}
	}
	memset(&ctx, 0, sizeof(ctx));
	memset(&v, 0, sizeof(v));
	ctx.gen = g;
	ctx.conf = g->conf;
	ctx.env = env;
	ctx.v = &v;
	mw_policy_builtin(&ctx.policy);
	mw_message_init(m);
	lim.max_header_count = (size_t)g->conf->max_header_count;
	lim.max_header_size = (size_t)g->conf->max_header_size;
	mw_mime_limits_default(&mlim);
	if (mw_message_parse(m, data, len, &lim) < 0 || mw_mime_build(m, &mlim) < 0)
		goto out;
	if (relays_build(g, env, m, &relays) < 0)
		goto out;
	relays_built = true;
	ctx.relays = &relays;
	/* the native evals run too; the SPF ones read a stage that did not run here */
	rules_input(&ctx, m, &in);
	in.relays = &relays;
	in.keep_matches = true;
	if (mw_rules_run(rs, &in, &res) < 0) {
		mw_rules_result_free(&res);
		goto out;
	}
	for (i = 0; i < res.nhits; i++) {
		const struct mw_rule *r = &rs->rules[res.hits[i].rule];

		mw_buf_printf(out, "%6.1f %-28s %s", res.hits[i].score, r->name,
		    r->describe != NULL ? r->describe : "");
		if (res.hits[i].count > 1)
			mw_buf_printf(out, " (x%u)", res.hits[i].count);
		if (res.hits[i].match != NULL) {
			mw_buf_puts(out, "\n       matched: ");
			put_shown(out, res.hits[i].match);
		}
		mw_buf_putc(out, '\n');
	}
	mw_buf_printf(out, "%6.1f total, required %.1f (%zu rules hit%s)\n",
	    round(res.score * 10) / 10, g->conf->spam_threshold, res.nhits,
	    res.budget_exceeded ? ", time budget exceeded" : "");
	mw_rules_result_free(&res);
	rc = out->truncated ? -1 : 0;
out:
	if (relays_built)
		mw_relays_free(&relays);
	mw_mime_free(m);
	mw_message_free(m);
	return rc;
}
