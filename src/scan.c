/*
 * scan - run the stages over one message and reach a verdict.
 */
#include "config.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#include "scan.h"
#include "mime.h"	/* issue 3 */
#include "spam.h"	/* issue 4 */
#include "av.h"		/* issue 6 */
#include "spf.h"		/* issue 7 */
#include "tls.h"	/* issue 9 */

const char *const mw_own_headers[] = {
	"X-Mailwarden-*",
	"X-Spam-Flag", "X-Spam-Score", "X-Spam-Level", "X-Spam-Status",
	"X-Virus-Scanned", "X-Virus-Status",
	NULL
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static bool
is_own_header(const char *name)
{
	size_t i, n;

	for (i = 0; mw_own_headers[i]; i++) {
		n = strlen(mw_own_headers[i]);
		if (mw_own_headers[i][n - 1] == '*') {
			if (strncasecmp(name, mw_own_headers[i], n - 1) == 0)
				return true;
		} else if (strcasecmp(name, mw_own_headers[i]) == 0)
			return true;
	}
	return false;
}

/* A sender must not be able to forge our verdict: remove every inbound copy. */
static int
stage_strip_forged(struct mw_scan_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->msg.nheaders; i++) {
		const struct mw_header *h = &ctx->msg.headers[i];

		if (is_own_header(h->name) &&
		    mw_verdict_delete_header(ctx->v, h->name, h->index) < 0)
			return -1;
	}
	/* Authentication-Results that claim our authserv-id (issue 7) */
	return mw_spf_strip_forged(ctx);
}

/*
 * customers and policy (issue 8): every recipient's policy and the message's
 * effective one (the milter already deferred recipients whose filtering differs, or
 * mixed_policy=strictest merged them).  Returns 1 when no recipient is opted in to
 * anything: then nothing is scanned.  -1 = the policy could not be determined.
 */
static int
stage_policy(struct mw_scan_ctx *ctx)
{
	bool mixed;

	if (mw_policy_effective(ctx->gen, ctx->env, &ctx->policy, &mixed) < 0) {
		ctx->v->policy.status = MW_STAGE_ERROR;
		return -1;
	}
	ctx->v->policy.status = MW_STAGE_DONE;
	ctx->v->policy.effective = ctx->policy;
	return mw_policy_filters_anything(&ctx->policy) ? 0 : 1;
}

static void
skip_all(struct mw_verdict *v, const char *reason)
{
	v->skip_reason = reason;
	v->spam.status = MW_STAGE_SKIPPED;
	v->spam.reason = reason;
	v->virus.status = MW_STAGE_SKIPPED;
	v->virus.reason = reason;
	v->spf.status = MW_STAGE_SKIPPED;
	v->spf.reason = reason;
}

/* Returns true when the message is too large to scan (and the verdict is set). */
static bool
stage_size_limit(struct mw_scan_ctx *ctx, size_t total_size)
{
	const struct mw_conf *c = ctx->conf;

	if (total_size <= (size_t)c->max_message_size)
		return false;
	skip_all(ctx->v, "oversize");
	switch ((enum mw_oversize_action)c->oversize_action) {
	case MW_OVERSIZE_ACCEPT:
		mw_verdict_propose(ctx->v, MW_ACTION_ACCEPT, "size", 0, NULL, NULL);
		break;
	case MW_OVERSIZE_TEMPFAIL:
		mw_verdict_propose(ctx->v, MW_ACTION_TEMPFAIL, "size", 452, "4.3.4",
		    "Message too large to scan, try again later");
		break;
	case MW_OVERSIZE_REJECT:
		mw_verdict_propose(ctx->v, MW_ACTION_REJECT, "size", 552, "5.3.4",
		    "Message too large");
		break;
	}
	return true;
}

static void
internal_error(struct mw_verdict *v)
{
	mw_verdict_propose(v, MW_ACTION_TEMPFAIL, "internal", 451, "4.3.0",
	    "Temporary failure in content filter, try again later");
	/* A tempfail must win over anything weaker proposed before the failure. */
	v->action = MW_ACTION_TEMPFAIL;
	v->decided_by = "internal";
	v->reply.code = 451;
	strcpy(v->reply.xcode, "4.3.0");
	strcpy(v->reply.text, "Temporary failure in content filter, try again later");
}

void
mw_scan_mime_limits(const struct mw_conf *c, struct mw_mime_limits *ml)
{
	ml->max_depth = (size_t)c->mime_max_depth;
	ml->max_parts = (size_t)c->mime_max_parts;
	ml->max_part_decoded = (size_t)c->mime_max_part_size;
	ml->max_text = (size_t)c->mime_max_text;
	ml->max_uris = (size_t)c->mime_max_uris;
}

int
mw_scan(const struct mw_generation *gen, const struct mw_envelope *env, const char *data,
    size_t len, size_t total_size, struct mw_verdict *v)
{
	struct mw_scan_ctx ctx;
	struct mw_limits lim;
	double t0 = now_ms(), t;
	int rc = 0;

	memset(&ctx, 0, sizeof(ctx));
	ctx.gen = gen;
	ctx.conf = gen->conf;
	ctx.env = env;
	ctx.v = v;
	v->size = total_size;
	mw_message_init(&ctx.msg);

	/* Policy first: mail for recipients who opted out of everything is not even
	 * parsed (issue 8). */
	switch (stage_policy(&ctx)) {
	case -1:
		goto fail;
	case 1:
		skip_all(v, "opted_out");
		/* The promise to log how every message travelled holds here too, from
		 * the MTA's macros alone: the message itself is not read. */
		if (ctx.policy.tls_warn != MW_TLS_WARN_OFF) {
			mw_tls_this_hop(&env->tls, &v->tls);
			v->tls.status = MW_STAGE_DONE;
			v->tls.earlier_not_examined = true;
		}
		mw_verdict_propose(v, MW_ACTION_ACCEPT, "policy", 0, NULL, NULL);
		goto done;
	}

	lim.max_header_count = (size_t)gen->conf->max_header_count;
	lim.max_header_size = (size_t)gen->conf->max_header_size;
	t = now_ms();
	if (mw_message_parse(&ctx.msg, data, len, &lim) < 0)
		goto fail;
	v->msg_flags = ctx.msg.flags;
	v->parse_ms = now_ms() - t;

	if (stage_strip_forged(&ctx) < 0)
		goto fail;
	/* --- TLS audit (issue 9) --- (before the size limit: every message is audited) */
	t = now_ms();
	if (mw_tls_audit(&ctx) < 0)
		goto fail;
	v->tls_ms = now_ms() - t;
	if (stage_size_limit(&ctx, total_size))
		goto done;
	/* --- MIME model (issue 3) --- */
	/* Built for every scanned message: its flags go to the log whatever the policy,
	 * and it costs about 0.2 ms per corpus message (doc/PERFORMANCE.md). */
	{
		struct mw_mime_limits ml;

		mw_scan_mime_limits(ctx.conf, &ml);
		t = now_ms();
		if (mw_mime_build(&ctx.msg, &ml) < 0)
			goto fail;
		v->mime_ms = now_ms() - t;
	}
	/* --- virus scanning (issue 6) --- */
	if (mw_av_stage(&ctx) < 0)
		goto fail;
	/* --- SPF (issue 7) --- */
	t = now_ms();
	if (mw_spf_stage(&ctx) < 0)
		goto fail;
	v->spf_ms = now_ms() - t;
	/* --- spam rules (issue 4) --- */
	t = now_ms();
	if (mw_spam_stage(&ctx) < 0)
		goto fail;
	v->spam_ms = now_ms() - t;

	mw_verdict_propose(v, MW_ACTION_ACCEPT, "scan", 0, NULL, NULL);
	goto done;
fail:
	internal_error(v);
	rc = -1;
done:
	v->msg_flags = ctx.msg.flags;
	mw_mime_free(&ctx.msg);		/* issue 3: mw_message_free leaves the model */
	mw_message_free(&ctx.msg);
	v->elapsed_ms = now_ms() - t0;
	return rc;
}
