/*
 * output - log record and JSON result.
 *
 * Every value a sender controls goes through mw_buf_log_value() or
 * mw_buf_json_str(), so no input can break a line or fake a field.
 * Message content (Subject, body) is never written.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "logaddr.h"
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

/* --- postmaster's view (issue 10) --- */

static void
put_addr(const struct mw_generation *g, struct mw_buf *b, const char *addr)
{
	const struct mw_conf *c = g ? g->conf : NULL;

	mw_logaddr_put(b, c ? c->log_addresses : MW_LOG_ADDR_FULL,
	    c ? c->log_hash_key : NULL, addr);
}

/* A customer key that is a mailbox is an address too: it follows log_addresses. */
static void
put_customer_key(const struct mw_generation *g, struct mw_buf *b, const char *key)
{
	if (key != NULL && strchr(key, '@') != NULL && g != NULL && g->conf != NULL &&
	    g->conf->log_addresses != MW_LOG_ADDR_FULL)
		put_addr(g, b, key);
	else
		mw_buf_log_value(b, key, key ? strlen(key) : 0);
}

/* A log value that is also safe inside a comma-separated list. */
static void
put_list_item(struct mw_buf *b, const char *s)
{
	const char *comma;

	if (s == NULL || *s == '\0') {
		mw_buf_putc(b, '-');
		return;
	}
	while ((comma = strchr(s, ',')) != NULL) {
		if (comma > s)
			mw_buf_log_value(b, s, (size_t)(comma - s));
		mw_buf_puts(b, "\\x2C");
		s = comma + 1;
	}
	if (*s)
		mw_buf_log_value(b, s, strlen(s));
}

/* "to=addr" for a single recipient; "customers=a,b" when the recipients belong to more
 * than one customer key, so the message line alone answers "which customers got this"
 * (the report counts it for each). */
static void
put_customer_keys(const struct mw_generation *g, const struct mw_envelope *env,
    struct mw_buf *b)
{
	struct mw_policy p;
	char (*keys)[MW_POLICY_KEY_MAX];
	size_t i, j, n = 0;

	/* One recipient: name it here, so "what happened to mail for X" has an answer
	 * without recipient records (the milter writes those only for several). */
	if (env->nrcpts == 1) {
		mw_buf_puts(b, " to=");
		put_addr(g, b, env->rcpts[0]);
	}
	if (g == NULL || env->nrcpts < 2)
		return;
	if ((keys = calloc(env->nrcpts, sizeof(*keys))) == NULL)
		return;		/* customer= still names the effective key */
	for (i = 0; i < env->nrcpts; i++) {
		if (mw_policy_lookup(g, env, env->rcpts[i], &p) < 0)
			continue;
		for (j = 0; j < n && strcmp(keys[j], p.key) != 0; j++)
			;
		if (j == n)
			memcpy(keys[n++], p.key, sizeof(p.key));
	}
	if (n > 1) {
		mw_buf_puts(b, " customers=");
		for (i = 0; i < n; i++) {
			if (i)
				mw_buf_putc(b, ',');
			if (strchr(keys[i], '@') != NULL && g->conf != NULL &&
			    g->conf->log_addresses != MW_LOG_ADDR_FULL)
				put_addr(g, b, keys[i]);	/* no ',' in a mailbox key */
			else
				put_list_item(b, keys[i]);
		}
	}
	free(keys);
}

static bool
json_wanted(const struct mw_generation *g)
{
	return g != NULL && g->conf != NULL && g->conf->log_format == MW_LOG_JSON;
}

/* Keys whose values are numbers in the JSON form; every other value is a string. */
static bool
key_is_numeric(const char *k, size_t n)
{
	static const char *const numeric[] = {
		"rcpts", "size", "score", "required", "bits", "earlier_cleartext_hops",
		"earlier_claimed_hops",
		"rcpt_index", "generation", NULL
	};
	size_t i;

	if (n > 3 && memcmp(k + n - 3, "_ms", 3) == 0)
		return true;
	for (i = 0; numeric[i]; i++)
		if (strlen(numeric[i]) == n && memcmp(numeric[i], k, n) == 0)
			return true;
	return false;
}

static bool
key_is_list(const char *k, size_t n)
{
	return (n == 5 && memcmp(k, "rules", 5) == 0) || (n == 5 && memcmp(k, "flags", 5) == 0) ||
	    (n == 9 && memcmp(k, "customers", 9) == 0) || (n == 6 && memcmp(k, "checks", 6) == 0);
}

static bool
is_json_number(const char *s, size_t n)
{
	size_t i = 0, digits = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0' && i + 1 < n && s[i + 1] != '.')
		return false;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (digits == 0)
		return false;
	if (i < n && s[i] == '.') {
		for (i++, digits = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
		if (digits == 0)
			return false;
	}
	return i == n;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Undo mw_buf_log_value's \xHH escapes, then write a JSON string. */
static void
json_unescaped(struct mw_buf *b, const char *s, size_t n)
{
	char small[256] = { 0 }, *raw = small;
	size_t i, o = 0;

	if (n > sizeof(small) && (raw = malloc(n)) == NULL) {
		mw_buf_json_str(b, s, n);
		return;
	}
	for (i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' &&
		    (hi = hexval(s[i + 2])) >= 0 && (lo = hexval(s[i + 3])) >= 0) {
			raw[o++] = (char)(hi << 4 | lo);
			i += 3;
		} else
			raw[o++] = s[i];
	}
	mw_buf_json_str(b, raw, o);
	if (raw != small)
		free(raw);
}

/*
 * The JSON record is the key=value record converted, so both forms carry exactly
 * the same fields whatever each stage adds: "-" becomes null, list keys become
 * arrays, known numeric keys become numbers.
 */
static int
kv_to_json(struct mw_buf *b, size_t start)
{
	char *kvtext;
	const char *p, *end, *tok, *eq, *val, *item;
	size_t klen, vlen;
	bool first = true;

	if ((kvtext = strndup(b->data + start, b->len - start)) == NULL)
		return -1;
	b->len = start;
	b->data[start] = '\0';
	mw_buf_putc(b, '{');
	for (p = kvtext; *p; p = *end ? end + 1 : end) {
		end = strchr(p, ' ');
		if (end == NULL)
			end = p + strlen(p);
		tok = p;
		if ((eq = memchr(tok, '=', (size_t)(end - tok))) == NULL)
			continue;
		klen = (size_t)(eq - tok);
		val = eq + 1;
		vlen = (size_t)(end - val);
		if (!first)
			mw_buf_putc(b, ',');
		first = false;
		mw_buf_json_str(b, tok, klen);
		mw_buf_putc(b, ':');
		if (key_is_list(tok, klen)) {
			mw_buf_putc(b, '[');
			if (!(vlen == 1 && val[0] == '-')) {
				for (item = val; item <= val + vlen; ) {
					const char *c = memchr(item, ',', (size_t)(val + vlen - item));
					size_t ilen = c ? (size_t)(c - item) : (size_t)(val + vlen - item);
					if (item != val)
						mw_buf_putc(b, ',');
					json_unescaped(b, item, ilen);
					item += ilen + 1;
				}
			}
			mw_buf_putc(b, ']');
		} else if (vlen == 1 && val[0] == '-')
			mw_buf_puts(b, "null");
		else if (key_is_numeric(tok, klen) && is_json_number(val, vlen))
			mw_buf_append(b, val, vlen);
		else
			json_unescaped(b, val, vlen);
	}
	mw_buf_putc(b, '}');
	free(kvtext);
	return b->truncated ? -1 : 0;
}

int
mw_output_rcpt_records(const struct mw_generation *g, const struct mw_envelope *env,
    const struct mw_verdict *v, size_t i, struct mw_buf *b)
{
	struct mw_policy p;
	size_t start = b->len;
	bool any = false;

	if (i >= env->nrcpts) {
		errno = EINVAL;
		return -1;
	}
	if (g == NULL || mw_policy_lookup(g, env, env->rcpts[i], &p) < 0)
		p = v->policy.effective;
	mw_buf_puts(b, "queue_id=");
	mw_buf_log_value(b, env->queue_id, env->queue_id ? strlen(env->queue_id) : 0);
	mw_buf_puts(b, " rcpt=");
	put_addr(g, b, env->rcpts[i]);
	mw_buf_printf(b, " rcpt_index=%zu", i + 1);
	mw_buf_puts(b, " customer=");
	put_customer_key(g, b, p.key);
	/* One transaction, one outcome: at end of message a milter cannot act per
	 * recipient (FIELD-NOTES), so the recipient got the message's action. */
	mw_buf_printf(b, " action=%s", mw_action_name(v->action));
	if (v->reply.code)
		mw_buf_printf(b, " reply=%d/%s", v->reply.code, v->reply.xcode);
	mw_buf_puts(b, " checks=");
	if (p.spam) {
		mw_buf_puts(b, "spam");
		any = true;
	}
	if (p.virus) {
		mw_buf_puts(b, any ? ",virus" : "virus");
		any = true;
	}
	if (!any)
		mw_buf_putc(b, '-');
	if (json_wanted(g) && kv_to_json(b, start) < 0)
		return -1;
	return b->truncated ? -1 : 0;
}

int
mw_output_event(const struct mw_generation *g, struct mw_buf *b, const char *event, ...)
{
	size_t start = b->len;
	const char *k, *val;
	va_list ap;

	mw_buf_puts(b, "event=");
	mw_buf_log_value(b, event, strlen(event));
	va_start(ap, event);
	while ((k = va_arg(ap, const char *)) != NULL) {
		val = va_arg(ap, const char *);
		kv(b, k, val);
	}
	va_end(ap);
	if (json_wanted(g) && kv_to_json(b, start) < 0)
		return -1;
	return b->truncated ? -1 : 0;
}

int
mw_output_log_record(const struct mw_generation *g, const struct mw_envelope *env,
    const struct mw_verdict *v, struct mw_buf *b)
{
	size_t start = b->len;	/* issue 10: the JSON form converts from here */

	mw_buf_puts(b, "queue_id=");
	mw_buf_log_value(b, env->queue_id, env->queue_id ? strlen(env->queue_id) : 0);
	mw_buf_puts(b, " from=");
	put_addr(g, b, env->mail_from);		/* issue 10: log_addresses */
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
	mw_buf_puts(b, " customer=");		/* issue 10: a mailbox key is an address */
	put_customer_key(g, b, v->policy.effective.key);
	put_customer_keys(g, env, b);		/* issue 10 */

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
	if (v->virus.status == MW_STAGE_ERROR) {
		/* The scanner's reason, and whether the message went on unscanned. */
		mw_buf_puts(b, " virus=error:");
		mw_buf_log_value(b, v->virus.error, strlen(v->virus.error));
		mw_buf_printf(b, " virus_ms=%.2f", v->virus.elapsed_ms);
		if (v->virus.accepted_unscanned)
			mw_buf_puts(b, " virus_unscanned=accepted");
	} else if (!kv_stage_unfinished(b, "virus", v->virus.status, v->virus.reason)) {
		if (v->virus.state == MW_VIRUS_INFECTED) {
			mw_buf_puts(b, " virus=infected:");
			mw_buf_log_value(b, v->virus.name, strlen(v->virus.name));
		} else if (v->virus.state == MW_VIRUS_LIMIT) {
			mw_buf_puts(b, " virus=limit:");
			mw_buf_log_value(b, v->virus.limit, strlen(v->virus.limit));
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
		if (v->tls.earlier_not_examined)
			mw_buf_puts(b, " earlier_cleartext_hops=- earlier_claimed_hops=-");
		else
			mw_buf_printf(b, " earlier_cleartext_hops=%d earlier_claimed_hops=%d",
			    v->tls.earlier_clear, v->tls.earlier_claimed);
		if (v->tls.earlier_clear > 0) {
			kv(b, "first_cleartext_hop", v->tls.first_clear_host);
			mw_buf_printf(b, " first_cleartext_hop_trust=%s",
			    v->tls.first_clear_claimed ? "claimed" : "ours");
		}
	}
	/* Time per stage, for "is the filter healthy" and for finding a slow stage. */
	{
		static const char *const names[] = { "parse_ms", "tls_ms", "mime_ms", "spf_ms",
		    "spam_ms" };
		const double ms[] = { v->parse_ms, v->tls_ms, v->mime_ms, v->spf_ms, v->spam_ms };
		size_t k;

		for (k = 0; k < sizeof(ms) / sizeof(ms[0]); k++)
			if (ms[k] >= 0)
				mw_buf_printf(b, " %s=%.2f", names[k], ms[k]);
	}
	mw_buf_printf(b, " elapsed_ms=%.2f", v->elapsed_ms);
	if (json_wanted(g) && kv_to_json(b, start) < 0)		/* issue 10: log_format */
		return -1;
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
	if (v->virus.status == MW_STAGE_ERROR) {
		json_key(b, "virus");
		mw_buf_puts(b, "{\"status\":\"error\",\"result\":\"error\",\"name\":null,"
		    "\"limit\":null,\"error\":");
		json_str(b, v->virus.error);
		mw_buf_printf(b, ",\"accepted_unscanned\":%s,\"elapsed_ms\":%.3f}",
		    v->virus.accepted_unscanned ? "true" : "false", v->virus.elapsed_ms);
	} else if (json_stage_open(b, "virus", v->virus.status, v->virus.reason)) {
		static const char *const st[] = {
			[MW_VIRUS_CLEAN] = "clean", [MW_VIRUS_INFECTED] = "infected",
			[MW_VIRUS_FAILED] = "error", [MW_VIRUS_LIMIT] = "limit",
		};
		mw_buf_puts(b, ",\"result\":");
		json_str(b, st[v->virus.state]);
		mw_buf_puts(b, ",\"name\":");
		json_str(b, v->virus.state == MW_VIRUS_INFECTED ? v->virus.name : NULL);
		mw_buf_puts(b, ",\"limit\":");
		json_str(b, v->virus.state == MW_VIRUS_LIMIT ? v->virus.limit : NULL);
		mw_buf_puts(b, ",\"error\":null");
		mw_buf_printf(b, ",\"accepted_unscanned\":false,\"elapsed_ms\":%.3f}",
		    v->virus.elapsed_ms);
	}
	/* --- SPF (issue 7) --- */
	if (json_stage_open(b, "spf", v->spf.status, v->spf.reason)) {
		mw_buf_puts(b, ",\"result\":");
		json_str(b, v->spf.result);
		mw_buf_puts(b, ",\"domain\":");
		json_str(b, v->spf.domain);
		mw_buf_puts(b, ",\"identity\":");
		json_str(b, v->spf.identity);
		mw_buf_puts(b, ",\"helo_result\":");
		json_str(b, v->spf.helo_result[0] ? v->spf.helo_result : NULL);
		mw_buf_puts(b, ",\"problem\":");
		json_str(b, v->spf.problem[0] ? v->spf.problem : NULL);
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
		/* false: the recipients opted out, the message was not read (this hop only). */
		mw_buf_printf(b, ",\"earlier_examined\":%s}",
		    v->tls.earlier_not_examined ? "false" : "true");
	}
	mw_buf_printf(b, ",\"elapsed_ms\":%.3f}", v->elapsed_ms);
	return b->truncated ? -1 : 0;
}
