/*
 * tls - the TLS audit stage.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tls.h"

/* Copy a name into a result field keeping only characters that are safe in a header
 * and a log line without quoting: letters, digits and . - _ : [ ] */
static void
copy_safe(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < size; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(".-_:[]/", c) != NULL) ? (char)c : '?';
	}
	dst[i] = '\0';
}

static bool
present(const char *s)
{
	return s != NULL && *s != '\0';
}

void
mw_tls_this_hop(const struct mw_tls_macros *m, struct mw_tls_result *r)
{
	r->encrypted = present(m->version);
	r->version[0] = r->cipher[0] = '\0';
	r->bits = 0;
	r->cert_presented = false;
	r->cert_verified = false;
	if (!r->encrypted)
		return;
	copy_safe(r->version, sizeof(r->version), m->version);
	if (present(m->cipher))
		copy_safe(r->cipher, sizeof(r->cipher), m->cipher);
	r->bits = m->bits > 0 ? m->bits : 0;
	r->cert_presented = present(m->cert_subject);
	if (present(m->verify))
		r->cert_verified = strcasecmp(m->verify, "OK") == 0;	/* Sendmail */
	else
		/* Postfix sends {cert_subject} only for a verified certificate. */
		r->cert_verified = r->cert_presented;
}

/* ---- trust: our own hosts and networks ---------------------------------------- */

/* Does name equal one of the words of list (space/comma separated), ignoring case and
 * one trailing dot on either side? */
static bool
name_in_list(const char *name, const char *list)
{
	size_t nlen = strlen(name);
	const char *p = list;

	if (nlen > 0 && name[nlen - 1] == '.')
		nlen--;
	if (nlen == 0 || list == NULL)
		return false;
	while (*p) {
		size_t wlen;

		p += strspn(p, " \t,");
		wlen = strcspn(p, " \t,");
		if (wlen == 0)
			break;
		if ((wlen == nlen || (wlen == nlen + 1 && p[nlen] == '.')) &&
		    strncasecmp(p, name, nlen) == 0)
			return true;
		p += wlen;
	}
	return false;
}

static bool
is_own_host(const struct mw_tls_trust *t, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(t->own_hosts) / sizeof(t->own_hosts[0]); i++)
		if (t->own_hosts[i] != NULL && name_in_list(name, t->own_hosts[i]))
			return true;
	return false;
}

int
mw_tls_parse_networks(const char *list, struct mw_tls_trust *t, char *why, size_t whylen)
{
	const char *p = list ? list : "";

	t->nnets = 0;
	while (*p) {
		char word[80], *slash, *end;
		struct mw_tls_network *n;
		size_t wlen;
		unsigned maxp;
		long pl;

		p += strspn(p, " \t,");
		if ((wlen = strcspn(p, " \t,")) == 0)
			break;
		if (wlen >= sizeof(word)) {
			snprintf(why, whylen, "network '%.20s...' is too long", p);
			return -1;
		}
		memcpy(word, p, wlen);
		word[wlen] = '\0';
		p += wlen;
		if (t->nnets == MW_TLS_MAX_NETWORKS) {
			snprintf(why, whylen, "more than %d networks", MW_TLS_MAX_NETWORKS);
			return -1;
		}
		n = &t->nets[t->nnets];
		memset(n, 0, sizeof(*n));
		if ((slash = strchr(word, '/')) != NULL)
			*slash = '\0';
		if (inet_pton(AF_INET, word, n->addr) == 1) {
			n->af = AF_INET;
			maxp = 32;
		} else if (inet_pton(AF_INET6, word, n->addr) == 1) {
			n->af = AF_INET6;
			maxp = 128;
		} else {
			snprintf(why, whylen, "'%s' is not an IP address", word);
			return -1;
		}
		n->prefix = maxp;
		if (slash != NULL) {
			pl = strtol(slash + 1, &end, 10);
			if (end == slash + 1 || *end != '\0' || pl < 0 || pl > (long)maxp) {
				snprintf(why, whylen, "'%s' is not a prefix length for %s",
				    slash + 1, word);
				return -1;
			}
			n->prefix = (unsigned)pl;
		}
		t->nnets++;
	}
	return 0;
}

static bool
prefix_match(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[full] ^ b[full]) & (0xff << (8 - rest))) == 0;
}

static bool
in_networks(const struct mw_tls_trust *t, const char *ip)
{
	unsigned char a[16];
	int af;
	size_t i;

	if (inet_pton(AF_INET, ip, a) == 1)
		af = AF_INET;
	else if (inet_pton(AF_INET6, ip, a) == 1)
		af = AF_INET6;
	else
		return false;
	for (i = 0; i < t->nnets; i++)
		if (t->nets[i].af == af && prefix_match(a, t->nets[i].addr, t->nets[i].prefix))
			return true;
	return false;
}

/* Same address, whatever the textual form (IPv6 compression, IPv6: prefix). */
static bool
same_ip(const char *canonical, const char *other)
{
	char o[MW_RCV_IP_MAX];

	return other != NULL && mw_received_parse_ip(other, strlen(other), o) &&
	    strcmp(canonical, o) == 0;
}

/* ---- earlier hops ------------------------------------------------------------- */

void
mw_tls_earlier_hops(struct mw_received_chain *c, const struct mw_tls_trust *t,
    struct mw_tls_result *r)
{
	size_t i, start = 0;
	bool ours = true;

	r->earlier_encrypted = r->earlier_clear = r->earlier_unknown = 0;
	r->earlier_internal = r->earlier_claimed = 0;
	r->first_clear_host[0] = r->first_clear_by[0] = '\0';
	r->first_clear_claimed = false;
	r->hops_truncated = c->nfields > c->nhops;
	r->received_fields = (int)c->nfields;

	/* The top field is this hop's own record when our MTA wrote it for this client:
	 * the macros already tell that hop. */
	if (c->nhops > 0 && is_own_host(t, c->hops[0].by) &&
	    (t->client_addr == NULL || c->hops[0].ip[0] == '\0' ||
	    same_ip(c->hops[0].ip, t->client_addr)))
		start = 1;

	for (i = start; i < c->nhops; i++) {
		struct mw_received_hop *h = &c->hops[i];

		/* Trust ends at the first field another host wrote: from there on, any
		 * field may have been made up by whoever sent the message. */
		if (ours && !is_own_host(t, h->by))
			ours = false;
		if (!ours)
			r->earlier_claimed++;
		else if ((h->cls == MW_RCV_CLEAR || h->cls == MW_RCV_UNKNOWN) && h->ip[0] &&
		    in_networks(t, h->ip)) {
			h->cls = MW_RCV_INTERNAL;
			h->why = "internal_network";
		}
		switch (h->cls) {
		case MW_RCV_ENCRYPTED:
			r->earlier_encrypted++;
			break;
		case MW_RCV_INTERNAL:
			r->earlier_internal++;
			break;
		case MW_RCV_UNKNOWN:
			r->earlier_unknown++;
			break;
		case MW_RCV_CLEAR:
			/* The nearest clear hop: the claim we can check best. */
			if (r->earlier_clear++ == 0) {
				copy_safe(r->first_clear_host, sizeof(r->first_clear_host),
				    mw_received_from_host(h));
				copy_safe(r->first_clear_by, sizeof(r->first_clear_by),
				    h->by[0] ? h->by : "unknown");
				r->first_clear_claimed = !ours;
			}
			break;
		}
	}
}

int
mw_tls_header_value(const struct mw_tls_result *r, struct mw_buf *out)
{
	int rc = 0;

	/* Any failed append (cap or ENOMEM) fails the whole value; out->truncated
	 * tells the two apart. */
	if (r->encrypted) {
		rc |= mw_buf_puts(out, r->version);
		if (r->cipher[0])
			rc |= mw_buf_printf(out, " cipher=%s", r->cipher);
		if (r->bits > 0)
			rc |= mw_buf_printf(out, " bits=%d", r->bits);
		rc |= mw_buf_puts(out, "; this message reached our server encrypted");
	} else
		rc |= mw_buf_puts(out, "none; this message reached our server unencrypted");
	if (r->earlier_clear > 0) {
		rc |= mw_buf_printf(out, "; %d earlier transfer%s unencrypted, nearest from %s "
		    "to %s", r->earlier_clear, r->earlier_clear == 1 ? " was" : "s were",
		    r->first_clear_host, r->first_clear_by);
		if (r->first_clear_claimed)
			rc |= mw_buf_puts(out, " (as claimed by other servers' Received headers)");
	}
	return rc < 0 ? -1 : 0;
}

void
mw_tls_conf_check(const struct mw_conf *c, struct mw_diag *diag)
{
	struct mw_tls_trust *t;
	char why[256];

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		mw_diag_error(diag, c->path, 0, "out of memory");
		return;
	}
	if (mw_tls_parse_networks(c->tls_internal_networks, t, why, sizeof(why)) < 0)
		mw_diag_error(diag, c->path, 0, "tls_internal_networks: %s", why);
	if (strlen(c->tls_subject_tag) >= MW_SUBJECT_TAG_MAX)
		mw_diag_error(diag, c->path, 0, "tls_subject_tag: longer than %d bytes",
		    MW_SUBJECT_TAG_MAX - 1);
	free(t);
}

/* ---- the stage ---------------------------------------------------------------- */

int
mw_tls_audit(struct mw_scan_ctx *ctx)
{
	struct mw_tls_result *r = &ctx->v->tls;
	struct mw_received_chain chain;
	struct mw_tls_trust *t;
	char why[256];
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (ctx->policy.tls_warn == MW_TLS_WARN_OFF) {
		r->status = MW_STAGE_SKIPPED;
		r->reason = "tls_warn_off";
		return 0;
	}
	mw_tls_this_hop(&ctx->env->tls, r);

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	t->own_hosts[0] = ctx->env->mta_host;
	t->own_hosts[1] = ctx->gen->hostname;
	t->own_hosts[2] = ctx->conf->tls_own_hosts;
	t->client_addr = ctx->env->client_addr;
	/* Checked when the generation was built; a failure here cannot happen. */
	(void)mw_tls_parse_networks(ctx->conf->tls_internal_networks, t, why, sizeof(why));

	if (mw_received_chain_build(&chain, &ctx->msg, MW_RCV_DEFAULT_MAX_HOPS) < 0) {
		free(t);
		return -1;
	}
	mw_tls_earlier_hops(&chain, t, r);
	mw_received_chain_free(&chain);
	free(t);
	r->status = MW_STAGE_DONE;

	if (ctx->policy.tls_warn >= MW_TLS_WARN_HEADER) {
		struct mw_buf b;

		mw_buf_init(&b, 900);	/* stays within RFC 5322's 998-byte line */
		if (mw_tls_header_value(r, &b) < 0 && !b.truncated)
			rc = -1;
		else if (mw_verdict_add_header(ctx->v, MW_TLS_HEADER,
		    b.data != NULL ? b.data : "") < 0)
			rc = -1;
		mw_buf_free(&b);
		if (rc < 0)
			return -1;
	}
	if (ctx->policy.tls_warn == MW_TLS_WARN_SUBJECT && !r->encrypted) {
		if (mw_verdict_prefix_subject(ctx->v, &ctx->msg, ctx->conf->tls_subject_tag) < 0)
			return -1;
		mw_verdict_propose(ctx->v, MW_ACTION_TAG, "tls", 0, NULL, NULL);
	}
	return 0;
}
