/*
 * output - log record and JSON result.
 *
 * Every value a sender controls goes through mw_buf_log_value() or
 * mw_buf_json_str(), so no input can break a line or fake a field.
 * Message content (Subject, body) is never written.
 */
#include "config.h"

#include <string.h>

#include "conf.h"
#include "message.h"
#include "output.h"

static const char *
stage_status_name(enum mw_stage_status s)
{
	switch (s) {
	case MW_STAGE_NOT_RUN:	return "not_run";
	case MW_STAGE_SKIPPED:	return "skipped";
	case MW_STAGE_DONE:	return "done";
	case MW_STAGE_ERROR:	return "error";
	}
	return "not_run";
}

static void
kv(struct mw_buf *b, const char *key, const char *val)
{
	mw_buf_printf(b, " %s=", key);
	mw_buf_log_value(b, val, val ? strlen(val) : 0);
}

static void
flags_list(struct mw_buf *b, unsigned flags, bool json)
{
	unsigned bit;
	bool first = true;

	if (json)
		mw_buf_putc(b, '[');
	for (bit = 1; bit != 0; bit <<= 1) {
		if (!(flags & bit))
			continue;
		if (!first)
			mw_buf_putc(b, ',');
		if (json)
			mw_buf_printf(b, "\"%s\"", mw_message_flag_name(bit));
		else
			mw_buf_puts(b, mw_message_flag_name(bit));
		first = false;
	}
	if (json)
		mw_buf_putc(b, ']');
	else if (first)
		mw_buf_putc(b, '-');
}

/* "skipped:reason" / "error:reason" for a stage that has no result of its own. */
static bool
kv_stage_unfinished(struct mw_buf *b, const char *key, enum mw_stage_status st,
    const char *reason)
{
	if (st == MW_STAGE_DONE)
		return false;
	mw_buf_printf(b, " %s=%s", key, stage_status_name(st));
	if (reason) {
		mw_buf_putc(b, ':');
		mw_buf_log_value(b, reason, strlen(reason));
	}
	return true;
}

int
mw_output_log_record(const struct mw_generation *g, const struct mw_envelope *env,
    const struct mw_verdict *v, struct mw_buf *b)
{
	(void)g;
	mw_buf_puts(b, "queue_id=");
	mw_buf_log_value(b, env->queue_id, env->queue_id ? strlen(env->queue_id) : 0);
	mw_buf_puts(b, " from=");
	if (env->mail_from && env->mail_from[0] == '\0')
		mw_buf_puts(b, "<>");
	else
		mw_buf_log_value(b, env->mail_from, env->mail_from ? strlen(env->mail_from) : 0);
	mw_buf_printf(b, " rcpts=%zu size=%zu action=%s", env->nrcpts, v->size,
	    mw_action_name(v->action));
	kv(b, "decided_by", v->decided_by);
	if (v->reply.code)
		mw_buf_printf(b, " reply=%d/%s", v->reply.code, v->reply.xcode);
	kv(b, "client", env->client_addr);
	mw_buf_puts(b, " flags=");
	flags_list(b, v->msg_flags, false);
	if (v->skip_reason)
		kv(b, "skipped", v->skip_reason);
	kv(b, "customer", v->policy.effective.key);

	/* --- spam rules (issue 4) --- */
	if (!kv_stage_unfinished(b, "spam", v->spam.status, v->spam.reason)) {
		size_t i;
		mw_buf_printf(b, " spam=%s score=%.1f required=%.1f rules=",
		    v->spam.is_spam ? "yes" : "no", v->spam.score, v->spam.required);
		for (i = 0; i < v->spam.nrules; i++) {
			if (i)
				mw_buf_putc(b, ',');
			mw_buf_log_value(b, v->spam.rules[i], strlen(v->spam.rules[i]));
		}
		if (v->spam.nrules == 0)
			mw_buf_putc(b, '-');
	}
	/* --- virus scanning (issue 6) --- */
	if (!kv_stage_unfinished(b, "virus", v->virus.status, v->virus.reason)) {
		if (v->virus.state == MW_VIRUS_INFECTED) {
			mw_buf_puts(b, " virus=infected:");
			mw_buf_log_value(b, v->virus.name, strlen(v->virus.name));
		} else if (v->virus.state == MW_VIRUS_FAILED) {
			mw_buf_puts(b, " virus=error:");
			mw_buf_log_value(b, v->virus.error, strlen(v->virus.error));
		} else
			mw_buf_puts(b, " virus=clean");
		mw_buf_printf(b, " virus_ms=%.2f", v->virus.elapsed_ms);
	}
	/* --- SPF (issue 7) --- */
	if (!kv_stage_unfinished(b, "spf", v->spf.status, v->spf.reason)) {
		kv(b, "spf", v->spf.result);
		kv(b, "spf_domain", v->spf.domain);
	}
	/* --- TLS audit (issue 9) --- */
	if (v->tls.status != MW_STAGE_NOT_RUN &&
	    !kv_stage_unfinished(b, "tls", v->tls.status, v->tls.reason)) {
		if (v->tls.encrypted) {
			kv(b, "tls", v->tls.version);
			kv(b, "cipher", v->tls.cipher);
			mw_buf_printf(b, " bits=%d tls_cert=%s", v->tls.bits,
			    v->tls.cert_verified ? "verified" :
			    v->tls.cert_presented ? "unverified" : "none");
		} else
			mw_buf_puts(b, " tls=none");
		mw_buf_printf(b, " earlier_cleartext_hops=%d earlier_claimed_hops=%d",
		    v->tls.earlier_clear, v->tls.earlier_claimed);
		if (v->tls.earlier_clear > 0) {
			kv(b, "first_cleartext_hop", v->tls.first_clear_host);
			mw_buf_printf(b, " first_cleartext_hop_trust=%s",
			    v->tls.first_clear_claimed ? "claimed" : "ours");
		}
	}
	mw_buf_printf(b, " elapsed_ms=%.2f", v->elapsed_ms);
	return b->truncated ? -1 : 0;
}

static void
json_key(struct mw_buf *b, const char *k)
{
	mw_buf_printf(b, ",\"%s\":", k);
}

static void
json_str(struct mw_buf *b, const char *s)
{
	if (s == NULL)
		mw_buf_puts(b, "null");
	else
		mw_buf_json_str(b, s, strlen(s));
}

/* Opens the stage object; returns false when it was written completely (null/skip). */
static bool
json_stage_open(struct mw_buf *b, const char *key, enum mw_stage_status st, const char *reason)
{
	json_key(b, key);
	if (st == MW_STAGE_NOT_RUN) {
		mw_buf_puts(b, "null");
		return false;
	}
	mw_buf_printf(b, "{\"status\":\"%s\"", stage_status_name(st));
	if (reason) {
		mw_buf_puts(b, ",\"reason\":");
		json_str(b, reason);
	}
	if (st != MW_STAGE_DONE) {
		mw_buf_putc(b, '}');
		return false;
	}
	return true;
}

int
mw_output_json(const struct mw_envelope *env, const struct mw_verdict *v, const char *file,
    struct mw_buf *b)
{
	size_t i;
	bool first;

	(void)env;
	mw_buf_puts(b, "{\"file\":");
	json_str(b, file);
	json_key(b, "action");
	json_str(b, mw_action_name(v->action));
	json_key(b, "reply");
	if (v->reply.code) {
		mw_buf_printf(b, "{\"code\":%d,\"xcode\":", v->reply.code);
		json_str(b, v->reply.xcode);
		mw_buf_puts(b, ",\"text\":");
		json_str(b, v->reply.text);
		mw_buf_putc(b, '}');
	} else
		mw_buf_puts(b, "null");
	json_key(b, "decided_by");
	json_str(b, v->decided_by);

	json_key(b, "headers");
	mw_buf_putc(b, '[');
	for (i = 0, first = true; i < v->nedits; i++) {
		const struct mw_header_edit *e = &v->edits[i];
		if (e->op == MW_HDR_DELETE)
			continue;
		mw_buf_puts(b, first ? "[" : ",[");
		json_str(b, e->name);
		mw_buf_putc(b, ',');
		json_str(b, e->value);
		mw_buf_putc(b, ']');
		first = false;
	}
	mw_buf_putc(b, ']');
	json_key(b, "removed_headers");
	mw_buf_putc(b, '[');
	for (i = 0, first = true; i < v->nedits; i++) {
		const struct mw_header_edit *e = &v->edits[i];
		if (e->op != MW_HDR_DELETE)
			continue;
		mw_buf_puts(b, first ? "[" : ",[");
		json_str(b, e->name);
		mw_buf_printf(b, ",%u]", e->index);
		first = false;
	}
	mw_buf_putc(b, ']');
	json_key(b, "size");
	mw_buf_printf(b, "%zu", v->size);
	json_key(b, "flags");
	flags_list(b, v->msg_flags, true);
	json_key(b, "skipped");
	json_str(b, v->skip_reason);

	if (json_stage_open(b, "policy", v->policy.status, NULL)) {
		mw_buf_puts(b, ",\"customer\":");
		json_str(b, v->policy.effective.key);
		mw_buf_putc(b, '}');
	}
	/* --- spam rules (issue 4) --- */
	if (json_stage_open(b, "spam", v->spam.status, v->spam.reason)) {
		mw_buf_printf(b, ",\"score\":%.2f,\"required\":%.2f,\"is_spam\":%s,\"rules\":[",
		    v->spam.score, v->spam.required, v->spam.is_spam ? "true" : "false");
		for (i = 0; i < v->spam.nrules; i++) {
			if (i)
				mw_buf_putc(b, ',');
			json_str(b, v->spam.rules[i]);
		}
		mw_buf_printf(b, "],\"budget_exceeded\":%s}",
		    v->spam.budget_exceeded ? "true" : "false");
	}
	/* --- virus scanning (issue 6) --- */
	if (json_stage_open(b, "virus", v->virus.status, v->virus.reason)) {
		static const char *const st[] = { "clean", "infected", "error" };
		mw_buf_puts(b, ",\"result\":");
		json_str(b, st[v->virus.state]);
		mw_buf_puts(b, ",\"name\":");
		json_str(b, v->virus.state == MW_VIRUS_INFECTED ? v->virus.name : NULL);
		mw_buf_puts(b, ",\"error\":");
		json_str(b, v->virus.state == MW_VIRUS_FAILED ? v->virus.error : NULL);
		mw_buf_putc(b, '}');
	}
	/* --- SPF (issue 7) --- */
	if (json_stage_open(b, "spf", v->spf.status, v->spf.reason)) {
		mw_buf_puts(b, ",\"result\":");
		json_str(b, v->spf.result);
		mw_buf_puts(b, ",\"domain\":");
		json_str(b, v->spf.domain);
		mw_buf_puts(b, ",\"identity\":");
		json_str(b, v->spf.identity);
		mw_buf_putc(b, '}');
	}
	/* --- TLS audit (issue 9) --- */
	if (json_stage_open(b, "tls", v->tls.status, v->tls.reason)) {
		mw_buf_puts(b, ",\"version\":");
		json_str(b, v->tls.encrypted ? v->tls.version : NULL);
		mw_buf_puts(b, ",\"cipher\":");
		json_str(b, v->tls.encrypted ? v->tls.cipher : NULL);
		mw_buf_printf(b, ",\"bits\":%d,\"cert_verified\":%s,\"cert_presented\":%s,"
		    "\"earlier_clear_hops\":%d,\"earlier_encrypted_hops\":%d,"
		    "\"earlier_unknown_hops\":%d,\"earlier_internal_hops\":%d,"
		    "\"earlier_claimed_hops\":%d,\"received_fields\":%d,\"hops_truncated\":%s,"
		    "\"first_clear_hop\":",
		    v->tls.bits, v->tls.cert_verified ? "true" : "false",
		    v->tls.cert_presented ? "true" : "false", v->tls.earlier_clear,
		    v->tls.earlier_encrypted, v->tls.earlier_unknown, v->tls.earlier_internal,
		    v->tls.earlier_claimed, v->tls.received_fields,
		    v->tls.hops_truncated ? "true" : "false");
		if (v->tls.earlier_clear > 0) {
			mw_buf_puts(b, "{\"host\":");
			json_str(b, v->tls.first_clear_host);
			mw_buf_puts(b, ",\"by\":");
			json_str(b, v->tls.first_clear_by);
			mw_buf_printf(b, ",\"claimed\":%s}",
			    v->tls.first_clear_claimed ? "true" : "false");
		} else
			mw_buf_puts(b, "null");
		mw_buf_putc(b, '}');
	}
	mw_buf_printf(b, ",\"elapsed_ms\":%.3f}", v->elapsed_ms);
	return b->truncated ? -1 : 0;
}
