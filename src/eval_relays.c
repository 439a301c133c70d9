/*
 * eval_relays - SpamAssassin's relay-based eval tests (see eval_relays.h).
 *
 * Most of them look at the relay analysis; the forged-Received checks also match
 * patterns in the Received text the way the Perl does (all Received values joined,
 * white space collapsed).  Their patterns are compiled once, JIT, like relays.c's.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rxtab.h"

#include "eval_relays.h"
#include "eval_sa.h"		/* EnvelopeFrom */
#include "generation.h"
#include "message.h"
#include "mime.h"
#include "relays.h"
#include "rules_load.h"
#include "scan.h"

#define IP	MW_RELAY_IP_RE

/* --- patterns ---------------------------------------------------------------------- */

enum rx {
	RX_NUMERIC_HELO, RX_DOTCOM_HELO, RX_EZMLM, RX_DLTO_LIST, RX_QMAIL_INVOKED,
	RX_MSN_GROUPS, RX_Y_TRUSTED, RX_Y_UNTRUSTED, RX_Y_WEB, RX_Y_SONIC, RX_Y_SMTP,
	RX_Y_NNFMP, RX_Y_BULK, RX_Y_REPLY, RX_Y_OLD, RX_H_PICKUP, RX_H_FROM, RX_H_OUTLOOK,
	RX_H_PROD, RX_H_BRACKET, RX_H_HTTP, RX_H_YAHOO, RX_H_ANY, RX_H_ORIG,
	RX_MSN_TO, RX_G_XREC10, RX_G_XREC2002, RX_G_GOOGLEMAIL, RX_J_FROM, RX_J_COOKIE,
	RX_J_MAILCOM, RX_J_WEBMAIL, RX_J_XMAILER, RX_ANY_IP, RX_E_WHOWHERE, RX_AOL_RLY,
	RX_AOL_VIA, RX_AOL_ID, RX_COUNT
};

static const struct mw_rxtab_src rx_src[] = {
	{ RX_NUMERIC_HELO, "\\bhelo=(" MW_RELAY_V4_RE ")(?=[\\x00-\\x20,;\\[()<>]|\\z)",
	    PCRE2_CASELESS },
	{ RX_DOTCOM_HELO, "(?:\\.|^)(?:lycos\\.com|lycos\\.co\\.uk|hotmail\\.com|localhost\\.com|"
	    "excite\\.com|caramail\\.com|cs\\.com|aol\\.com|msn\\.com|yahoo\\.com|drizzle\\.com)$",
	    PCRE2_CASELESS },
	{ RX_EZMLM, "^contact \\S+@\\S+; run by ezmlm$", PCRE2_MULTILINE },
	{ RX_DLTO_LIST, "^mailing list \\S+@\\S+", PCRE2_MULTILINE },
	{ RX_QMAIL_INVOKED, "qmail \\d+ invoked (?:from network|by .{3,20})\\); \\d+ ... \\d+", 0 },
	{ RX_MSN_GROUPS, "from groups\\.msn\\.com \\(\\S+\\.msn\\.com ", 0 },
	{ RX_Y_TRUSTED, " rdns=\\S+\\.yahoo\\.com ", 0 },
	{ RX_Y_UNTRUSTED, "^[^\\]]+ rdns=\\S+\\.yahoo\\.com ", 0 },
	{ RX_Y_WEB, "by web\\S+\\.mail\\S*\\.yahoo\\.com via HTTP", 0 },
	{ RX_Y_SONIC, "by sonic\\S+\\.consmr\\.mail\\S*\\.yahoo\\.com with HTTP", 0 },
	{ RX_Y_SMTP, "by smtp\\S+\\.yahoo\\.com with SMTP", 0 },
	{ RX_Y_NNFMP, "from \\[" IP "\\] by \\S+\\.(?:groups|scd|dcn)\\.yahoo\\.com with NNFMP", 0 },
	{ RX_Y_BULK, "\\bmailer\\d+\\.bulk\\.scd\\.yahoo\\.com\\b", 0 },
	{ RX_Y_REPLY, "@reply\\.yahoo\\.com$", PCRE2_CASELESS },
	{ RX_Y_OLD, "by \\w+\\.\\w+\\.yahoo\\.com \\(\\d+\\.\\d+\\.\\d+/\\d+\\.\\d+\\.\\d+\\)"
	    "(?: with ESMTP)? id \\w+", 0 },
	{ RX_H_PICKUP, "from mail pickup service by hotmail\\.com with Microsoft SMTPSVC;", 0 },
	{ RX_H_FROM, "from (?:\\S*\\.)?hotmail.com \\(\\S+\\.hotmail(?:\\.msn)?\\.com[ )]", 0 },
	{ RX_H_OUTLOOK, "from \\S*\\.outbound\\.protection\\.outlook\\.com "
	    "\\(\\S+\\.outbound\\.protection\\.outlook\\.com[ )]", 0 },
	{ RX_H_PROD, "from \\S*\\.(?:eur|nam)prd\\d+\\.prod\\.outlook\\.com \\(" IP "\\)", 0 },
	{ RX_H_BRACKET, "from \\S*\\.hotmail.com \\(\\[" IP "\\][ ):]", 0 },
	{ RX_H_HTTP, "from \\S+ by \\S+\\.hotmail(?:\\.msn)?\\.com with HTTP;", 0 },
	{ RX_H_YAHOO, "from \\[66\\.218.\\S+\\] by \\S+\\.yahoo\\.com", 0 },
	{ RX_H_ANY, "(?:from |HELO |helo=)\\S*hotmail\\.com\\b", 0 },
	{ RX_H_ORIG, "hotmail\\.com|msonline-outlook", 0 },
	{ RX_MSN_TO, "<(\\S+)@groups\\.msn\\.com>", PCRE2_CASELESS },
	{ RX_G_XREC10, "by 10\\.\\S+ with SMTP id \\S+", 0 },
	{ RX_G_XREC2002, "by 2002:a\\d\\d:\\w+:\\S+ with SMTP id \\S+", 0 },
	{ RX_G_GOOGLEMAIL, "by smtp\\.googlemail\\.com with ESMTPSA id \\S+", 0 },
	{ RX_J_FROM, "from.*\\b(?:juno|untd)\\.com.*[\\[(]" IP "[\\])].*by", 0 },
	{ RX_J_COOKIE, " cookie\\.(?:juno|untd)\\.com ", 0 },
	{ RX_J_MAILCOM, "from.*\\bmail\\.com.*\\[" IP "\\].*by", 0 },
	{ RX_J_WEBMAIL, "from (webmail\\S+\\.untd\\.com) \\(\\1 \\[" IP "\\]\\) by", 0 },
	{ RX_J_XMAILER, "^Webmail Version \\d", 0 },
	{ RX_ANY_IP, IP, 0 },
	{ RX_E_WHOWHERE, "by \\S*whowhere.com;", 0 },
	{ RX_AOL_RLY, " rly-[a-z][a-z]\\d\\d\\.", PCRE2_CASELESS },
	{ RX_AOL_VIA, "/AOL-\\d+\\.\\d+\\.\\d+\\)", 0 },
	{ RX_AOL_ID, "ESMTP id (?:RELAY|MAILRELAY|MAILIN)", 0 },
};

static pcre2_code *rx_code[RX_COUNT];
static struct mw_rxtab rx_table = MW_RXTAB_INIT(rx_src, rx_code);

/* s =~ rx; capture 1 into cap when asked.  -1 when the matcher cannot run. */
static int
rx(enum rx id, const char *s, char *cap, size_t caplen)
{
	pcre2_match_data *md;
	int rc;

	if (!mw_rxtab_ready(&rx_table))
		return -1;
	if ((md = pcre2_match_data_create(4, NULL)) == NULL)
		return -1;
	rc = pcre2_match(rx_code[id], (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
	if (rc > 1 && cap != NULL) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		size_t n = ov[3] - ov[2];

		if (n >= caplen)
			n = caplen - 1;
		memcpy(cap, s + ov[2], n);
		cap[n] = '\0';
	}
	pcre2_match_data_free(md);
	return rc >= 0 ? 1 : 0;
}

/* --- header values as SpamAssassin's get() gives them -------------------------------- */

/* All values of name, joined with "\n" (SpamAssassin's get()); collapse = white space
 * runs made one space.  NULL when the field is absent (Perl's undef) or on ENOMEM
 * (*oom). */
static char *
get_all(const struct mw_message *m, const char *name, bool collapse, bool *oom)
{
	char *s, *p, *w;
	bool sp = false;
	size_t n;

	if (mw_message_header_count(m, name) == 0)
		return NULL;
	if ((s = mw_message_header_join(m, name, '\n')) == NULL) {
		*oom = true;
		return NULL;
	}
	n = strlen(s);
	if (n > 0)
		s[n - 1] = '\0';	/* no separator after the last value */
	if (!collapse)
		return s;
	for (p = w = s; *p != '\0'; p++) {
		if (isspace((unsigned char)*p)) {
			sp = true;
			continue;
		}
		if (sp)
			*w++ = ' ';
		sp = false;
		*w++ = *p;
	}
	if (sp)
		*w++ = ' ';
	*w = '\0';
	return s;
}

/* The first value of name, "" when absent. */
static const char *
get1(const struct mw_message *m, const char *name)
{
	const struct mw_header *h = mw_message_header(m, name, 0);

	return h != NULL ? h->value : "";
}

/* From:addr: the first From address, "" when none. */
static const char *
from_addr(const struct mw_message *m)
{
	size_t n = 0;
	const struct mw_mime_address *a = m->mime != NULL ?
	    mw_mime_addresses(m, "From", &n) : NULL;

	return a != NULL && n > 0 && a[0].addr != NULL ? a[0].addr : "";
}

static bool
ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* s ends in "\bdomain" (case-insensitive): the address's domain is domain or below */
static bool
addr_in_domain(const char *s, const char *domain)
{
	size_t n = strlen(s), k = strlen(domain);

	if (!ends_with_ci(s, domain))
		return false;
	return n == k || !(isalnum((unsigned char)s[n - k - 1]) || s[n - k - 1] == '_');
}

/* --- RelayEval --------------------------------------------------------------------- */

#define RELAYS_OR_FAIL(ctx) \
	do { if ((ctx) == NULL || (ctx)->relays == NULL) return -1; } while (0)

int
mw_eval_check_all_trusted(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_relays *r;

	(void)args;
	RELAYS_OR_FAIL(ctx);
	r = ctx->relays;
	return r->nlist[MW_RELAYS_TRUSTED] > 0 && r->nlist[MW_RELAYS_UNTRUSTED] == 0 &&
	    r->num_unparseable == 0;
}

int
mw_eval_check_no_relays(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_relays *r;

	(void)args;
	RELAYS_OR_FAIL(ctx);
	r = ctx->relays;
	return r->nlist[MW_RELAYS_TRUSTED] == 0 && r->nlist[MW_RELAYS_UNTRUSTED] == 0 &&
	    r->num_unparseable == 0;
}

int
mw_eval_check_relays_unparseable(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	(void)args;
	RELAYS_OR_FAIL(ctx);
	return ctx->relays->num_unparseable > 0;
}

static bool
is_ipv4(const char *s)
{
	unsigned a, b, c, d;
	char tail;

	return sscanf(s, "%3u.%3u.%3u.%3u%c", &a, &b, &c, &d, &tail) == 4 && a < 256 &&
	    b < 256 && c < 256 && d < 256 && isdigit((unsigned char)s[0]);
}

int
mw_eval_helo_ip_mismatch(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_relays *r;
	size_t i;

	(void)args;
	RELAYS_OR_FAIL(ctx);
	r = ctx->relays;
	for (i = 0; i < r->nlist[MW_RELAYS_UNTRUSTED]; i++) {
		const struct mw_relay *rl = mw_relays_get(r, MW_RELAYS_UNTRUSTED, i);
		const char *third;
		size_t pfx;

		if (!is_ipv4(rl->helo) || mw_relay_ip_private(rl->helo))
			continue;
		if (!is_ipv4(rl->ip) || mw_relay_ip_private(rl->ip) || strcmp(rl->helo, rl->ip) == 0)
			continue;
		/* the first three octets of the HELO, with the dot, must start the ip */
		third = strrchr(rl->helo, '.');
		pfx = (size_t)(third - rl->helo) + 1;
		if (strncmp(rl->ip, rl->helo, pfx) != 0)
			return 1;
	}
	return 0;
}

int
mw_eval_check_for_numeric_helo(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	char ip[64];
	const char *s;

	(void)args;
	RELAYS_OR_FAIL(ctx);
	s = ctx->relays->str[MW_RELAYS_UNTRUSTED];
	if (s == NULL || *s == '\0' || rx(RX_NUMERIC_HELO, s, ip, sizeof(ip)) != 1)
		return 0;
	return !mw_relay_ip_private(ip);
}

int
mw_eval_check_for_no_rdns_dotcom_helo(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	const struct mw_relays *r;
	size_t i;
	int hit = 0;

	(void)args;
	RELAYS_OR_FAIL(ctx);
	r = ctx->relays;
	for (i = 0; i < r->nlist[MW_RELAYS_UNTRUSTED]; i++) {
		const struct mw_relay *rl = mw_relays_get(r, MW_RELAYS_UNTRUSTED, i);

		if (rl->ip_private)
			continue;
		/* SpamAssassin resets its flag for every public relay: the last one decides */
		hit = rl->no_reverse_dns && rx(RX_DOTCOM_HELO, rl->helo, NULL, 0) == 1;
	}
	return hit;
}

/* Util's hostname_to_domain: the last two labels when the TLD looks generic (three
 * letters or more, or ie/fr/de), else the last three. */
static void
hostname_to_domain(const char *host, char *out, size_t outlen)
{
	const char *labels[128];
	size_t n = 0, keep, i, len;
	const char *p = host, *last;
	bool generic;

	out[0] = '\0';
	if (strpbrk(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == NULL) {
		len = strlen(host);
		if (len >= outlen)
			len = outlen - 1;
		memcpy(out, host, len);
		out[len] = '\0';
		return;
	}
	while (*p != '\0' && n < 128) {
		labels[n++] = p;
		p += strcspn(p, ".");
		if (*p == '.')
			p++;
	}
	/* Perl's split drops trailing empty fields */
	while (n > 0 && (*labels[n - 1] == '\0' || *labels[n - 1] == '.'))
		n--;
	if (n == 0)
		return;
	last = labels[n - 1];
	len = strcspn(last, ".");
	generic = false;
	for (i = 0; i + 3 <= len && !generic; i++)
		if (!isspace((unsigned char)last[i]) && !isspace((unsigned char)last[i + 1]) &&
		    !isspace((unsigned char)last[i + 2]))
			generic = true;
	for (i = 0; i + 2 <= len && !generic; i++)
		if (strncmp(last + i, "ie", 2) == 0 || strncmp(last + i, "fr", 2) == 0 ||
		    strncmp(last + i, "de", 2) == 0)
			generic = true;
	if (n > 1 && generic)
		keep = 2;
	else if (n > 2)
		keep = 3;
	else
		keep = n;
	p = labels[n - keep];
	len = (size_t)(last + strcspn(last, ".") - p);
	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, p, len);
	out[len] = '\0';
}

/* /^\w+(?:[\w.-]+\.)+\w+$/: a dotted host name */
static bool
dotted_name(const char *s)
{
	size_t n = strlen(s), i;
	const char *lastdot;

	if (n < 3 || !(isalnum((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return false;
	lastdot = strrchr(s, '.');
	if (lastdot == NULL || lastdot == s || lastdot[1] == '\0')
		return false;
	for (i = (size_t)(lastdot - s) + 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* RelayEval's _check_for_forged_received: *trail counts relays whose `by` is not the
 * rDNS domain of the relay above them; *ip_helo counts dotted-quad HELOs from another
 * /16 than the connecting address. */
static void
forged_received(const struct mw_relays *r, int *trail, int *ip_helo)
{
	size_t i, n = r->nlist[MW_RELAYS_UNTRUSTED];
	char prev[MW_RELAY_HOST_MAX] = "";
	bool prev_set = false;

	*trail = *ip_helo = 0;
	for (i = 0; i < n; i++) {
		const struct mw_relay *rl = mw_relays_get(r, MW_RELAYS_UNTRUSTED, i);
		char by[MW_RELAY_HOST_MAX], from[MW_RELAY_HOST_MAX], helo[MW_RELAY_HOST_MAX];
		char t[MW_RELAY_HOST_MAX];
		bool from_set = true;

		snprintf(t, sizeof(t), "%s", rl->by);
		lower(t);
		hostname_to_domain(t, by, sizeof(by));
		snprintf(t, sizeof(t), "%s", rl->rdns);
		lower(t);
		hostname_to_domain(t, from, sizeof(from));
		snprintf(t, sizeof(t), "%s", rl->helo);
		lower(t);
		hostname_to_domain(t, helo, sizeof(helo));
		if ((strcmp(from, "localhost") == 0 || strcmp(from, "localhost.localdomain") == 0) &&
		    strcmp(rl->ip, "127.0.0.1") == 0)
			from_set = false;
		if (dotted_name(by)) {
			if (is_ipv4(helo) && is_ipv4(rl->ip) && strcmp(helo, rl->ip) != 0) {
				unsigned h1, h2, f1, f2;

				if (sscanf(helo, "%u.%u", &h1, &h2) == 2 &&
				    sscanf(rl->ip, "%u.%u", &f1, &f2) == 2 &&
				    (h1 != f1 || h2 != f2) && !mw_relay_ip_private(helo))
					(*ip_helo)++;
			}
			if (i > 0 && prev_set && dotted_name(prev) && strcmp(by, prev) != 0 &&
			    !(strcmp(by, "msn.com") == 0 && strcmp(prev, "hotmail.com") == 0))
				(*trail)++;
		}
		snprintf(prev, sizeof(prev), "%s", from);
		prev_set = from_set;
	}
}

int
mw_eval_check_for_forged_received_trail(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	int trail, ip_helo;

	(void)args;
	RELAYS_OR_FAIL(ctx);
	forged_received(ctx->relays, &trail, &ip_helo);
	return trail > 1;
}

int
mw_eval_check_for_forged_received_ip_helo(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	int trail, ip_helo;

	(void)args;
	RELAYS_OR_FAIL(ctx);
	forged_received(ctx->relays, &trail, &ip_helo);
	return ip_helo > 0;
}

/* check_for_from_domain_in_received_headers(domain, 'true'|'false'): does a relay
 * whose rDNS and `by` are both in domain carry mail from that domain? */
int
mw_eval_check_for_from_domain_in_received_headers(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	const char *domain, *from;
	bool want, found = false;
	size_t l, i, dl;

	RELAYS_OR_FAIL(ctx);
	if (args->argc < 2)
		return -1;
	domain = args->argv[0];
	want = strcmp(args->argv[1], "true") == 0;
	dl = strlen(domain);
	from = from_addr(&ctx->msg);
	/* From:addr =~ /\bdomain/i */
	for (i = 0; from[i] != '\0' && !found; i++)
		if (strncasecmp(from + i, domain, dl) == 0 &&
		    (i == 0 || !(isalnum((unsigned char)from[i - 1]) || from[i - 1] == '_')))
			found = true;
	if (!found)
		return 0;
	found = false;
	for (l = MW_RELAYS_TRUSTED; l <= MW_RELAYS_UNTRUSTED && !found; l++)
		for (i = 0; i < ctx->relays->nlist[l] && !found; i++) {
			const struct mw_relay *rl = mw_relays_get(ctx->relays, l, i);

			found = addr_in_domain(rl->rdns, domain) && addr_in_domain(rl->by, domain);
		}
	return found == want;
}

/* --- HeaderEval's forged-Received checks ---------------------------------------------- */

int
mw_eval_gated_through_received_hdr_remover(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	const struct mw_message *m;
	char *rcvd;
	bool oom = false;
	int hit = 0;

	(void)args;
	if (ctx == NULL)
		return -1;
	m = &ctx->msg;
	if (mw_message_header(m, "Mailing-List", 0) != NULL &&
	    rx(RX_EZMLM, get1(m, "Mailing-List"), NULL, 0) == 1) {
		char *dlto = get_all(m, "Delivered-To", false, &oom);

		rcvd = get_all(m, "Received", false, &oom);
		if (dlto != NULL && rcvd != NULL && rx(RX_DLTO_LIST, dlto, NULL, 0) == 1 &&
		    rx(RX_QMAIL_INVOKED, rcvd, NULL, 0) == 1)
			hit = 1;
		free(dlto);
		free(rcvd);
		if (hit)
			return 1;
	}
	if ((rcvd = get_all(m, "Received", false, &oom)) == NULL)
		return oom ? -1 : 1;	/* no Received at all: something removed them */
	hit = rx(RX_MSN_GROUPS, rcvd, NULL, 0) == 1;
	free(rcvd);
	return hit;
}

int
mw_eval_check_for_forged_yahoo_received_headers(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	const struct mw_message *m;
	const char *from;
	char *rcvd = NULL;
	bool oom = false;
	int rc = 1;

	RELAYS_OR_FAIL(ctx);
	m = &ctx->msg;
	from = from_addr(m);
	if (!addr_in_domain(from, "yahoo.com"))
		return 0;
	if (*get1(m, "Resent-From") != '\0' && *get1(m, "Resent-To") != '\0')
		rcvd = get_all(m, "X-Received", true, &oom);
	if (rcvd == NULL || *rcvd == '\0') {
		free(rcvd);
		rcvd = get_all(m, "Received", true, &oom);
	}
	if (oom)
		return -1;
	if (mw_eval_gated_through_received_hdr_remover(ctx, args) == 1)
		rc = 0;
	else if (rx(RX_Y_TRUSTED, ctx->relays->str[MW_RELAYS_TRUSTED], NULL, 0) == 1 ||
	    rx(RX_Y_UNTRUSTED, ctx->relays->str[MW_RELAYS_UNTRUSTED], NULL, 0) == 1)
		rc = 0;
	else if (rcvd != NULL && (rx(RX_Y_WEB, rcvd, NULL, 0) == 1 ||
	    rx(RX_Y_SONIC, rcvd, NULL, 0) == 1 || rx(RX_Y_SMTP, rcvd, NULL, 0) == 1 ||
	    rx(RX_Y_NNFMP, rcvd, NULL, 0) == 1 ||
	    (rx(RX_Y_BULK, rcvd, NULL, 0) == 1 && rx(RX_Y_REPLY, from, NULL, 0) == 1) ||
	    rx(RX_Y_OLD, rcvd, NULL, 0) == 1))
		rc = 0;
	free(rcvd);
	return rc;
}

/* HeaderEval's check_for_msn_groups_headers */
static bool
msn_groups(const struct mw_message *m, const char *rcvd, const struct mw_scan_ctx *ctx)
{
	char list[128], want[300];
	const char *msgid = get1(m, "Message-Id");
	const char *ef = ctx->env != NULL ? ctx->env->mail_from : NULL;
	size_t n;

	if (rx(RX_MSN_TO, get1(m, "To"), list, sizeof(list)) != 1)
		return false;
	if (strstr(rcvd, "from mail pickup service by ") == NULL || strstr(rcvd,
	    "groups.msn.com") == NULL)
		return false;
	if (strcmp(list, "notifications") == 0)
		return strstr(msgid, "groups.msn.com>") != NULL;
	n = (size_t)snprintf(want, sizeof(want), "<%s-", list);
	if (strncmp(msgid, want, n) != 0 || strstr(msgid, "@groups.msn.com>") == NULL)
		return false;
	snprintf(want, sizeof(want), "%s-bounce@groups.msn.com", list);
	return ef != NULL && strstr(ef, want) != NULL;
}

/* 1 = "hotmail address, forged hotmail Received", 2 = "hotmail address, no hotmail
 * Received", 0 = neither, -1 = cannot tell. */
static int
hotmail_check(const struct mw_scan_ctx *ctx)
{
	const struct mw_message *m = &ctx->msg;
	char *rcvd;
	bool oom = false, ip, orig;
	int rc = 0;
	const struct mw_header *hip = mw_message_header(m, "X-Originating-Ip", 0);
	const struct mw_header *horg = mw_message_header(m, "X-OriginatorOrg", 0);

	rcvd = get_all(m, "Received", true, &oom);
	if (oom)
		return -1;
	if (rcvd == NULL && (rcvd = strdup("")) == NULL)
		return -1;
	if (rx(RX_H_PICKUP, rcvd, NULL, 0) == 1 || msn_groups(m, rcvd, ctx))
		goto out;
	ip = hip != NULL && rx(RX_ANY_IP, hip->value, NULL, 0) == 1;
	orig = horg != NULL && rx(RX_H_ORIG, horg->value, NULL, 0) == 1;
	if (mw_eval_gated_through_received_hdr_remover(ctx, NULL) == 1)
		goto out;
	if ((ip && (rx(RX_H_FROM, rcvd, NULL, 0) == 1 || rx(RX_H_BRACKET, rcvd, NULL, 0) == 1 ||
	    rx(RX_H_HTTP, rcvd, NULL, 0) == 1 || rx(RX_H_YAHOO, rcvd, NULL, 0) == 1)) ||
	    (orig && (rx(RX_H_OUTLOOK, rcvd, NULL, 0) == 1 || rx(RX_H_PROD, rcvd, NULL, 0) == 1)))
		goto out;
	if (rx(RX_H_ANY, rcvd, NULL, 0) == 1)
		rc = 1;
	else if (addr_in_domain(from_addr(m), "hotmail.com"))
		rc = 2;
out:
	free(rcvd);
	return rc;
}

int
mw_eval_check_for_forged_hotmail_received_headers(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	int rc;

	(void)args;
	if (ctx == NULL)
		return -1;
	rc = hotmail_check(ctx);
	return rc < 0 ? -1 : rc == 1;
}

int
mw_eval_check_for_no_hotmail_received_headers(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	int rc;

	(void)args;
	if (ctx == NULL)
		return -1;
	rc = hotmail_check(ctx);
	return rc < 0 ? -1 : rc == 2;
}

int
mw_eval_check_for_forged_gmail_received_headers(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	const struct mw_message *m;
	char *xrcvd, *rcvd;
	bool oom = false;
	int rc = 1;

	(void)args;
	if (ctx == NULL)
		return -1;
	m = &ctx->msg;
	if (!addr_in_domain(from_addr(m), "gmail.com"))
		return 0;
	xrcvd = get_all(m, "X-Received", false, &oom);
	rcvd = get_all(m, "Received", false, &oom);
	if (oom)
		rc = -1;
	else if (xrcvd != NULL && (rx(RX_G_XREC10, xrcvd, NULL, 0) == 1 ||
	    rx(RX_G_XREC2002, xrcvd, NULL, 0) == 1))
		rc = 0;
	else if (rcvd != NULL && rx(RX_G_GOOGLEMAIL, rcvd, NULL, 0) == 1)
		rc = 0;
	else if (strlen(get1(m, "X-Gm-Message-State")) >= 60 &&
	    strlen(get1(m, "X-Google-Smtp-Source")) >= 60)
		rc = 0;
	free(xrcvd);
	free(rcvd);
	return rc;
}

int
mw_eval_check_for_forged_juno_received_headers(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	const struct mw_message *m;
	const char *xorig, *xmailer;
	char *rcvd, empty[1] = "";
	bool oom = false;
	int rc = 0;

	(void)args;
	if (ctx == NULL)
		return -1;
	m = &ctx->msg;
	if (!addr_in_domain(from_addr(m), "juno.com"))
		return 0;
	if (mw_eval_gated_through_received_hdr_remover(ctx, NULL) == 1)
		return 0;
	xorig = get1(m, "X-Originating-IP");
	xmailer = get1(m, "X-Mailer");
	rcvd = get_all(m, "Received", false, &oom);
	if (oom)
		return -1;
	{
		const char *r = rcvd != NULL ? rcvd : empty;

		if (*xorig != '\0') {
			if ((rx(RX_J_FROM, r, NULL, 0) != 1 && rx(RX_J_COOKIE, r, NULL, 0) != 1) ||
			    strstr(xmailer, "Juno ") == NULL)
				rc = 1;
		} else {
			if (rx(RX_J_MAILCOM, r, NULL, 0) == 1) {
				if (strstr(xmailer, "mail.com") == NULL)
					rc = 1;
			} else if (rx(RX_J_WEBMAIL, r, NULL, 0) == 1) {
				if (rx(RX_J_XMAILER, xmailer, NULL, 0) != 1)
					rc = 1;
			} else {
				rc = 1;
			}
			if (rx(RX_ANY_IP, xorig, NULL, 0) != 1)
				rc = 1;
		}
	}
	free(rcvd);
	return rc;
}

int
mw_eval_check_for_forged_eudoramail_received_headers(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	const struct mw_message *m;
	const struct mw_header *hip;
	char *rcvd;
	bool oom = false, ip;
	int rc = 1;

	(void)args;
	if (ctx == NULL)
		return -1;
	m = &ctx->msg;
	if (!addr_in_domain(from_addr(m), "eudoramail.com"))
		return 0;
	rcvd = get_all(m, "Received", true, &oom);
	if (oom)
		return -1;
	hip = mw_message_header(m, "X-Sender-Ip", 0);
	ip = hip != NULL && rx(RX_ANY_IP, hip->value, NULL, 0) == 1;
	if (mw_eval_gated_through_received_hdr_remover(ctx, NULL) == 1)
		rc = 0;
	else if (rcvd != NULL && ip && rx(RX_E_WHOWHERE, rcvd, NULL, 0) == 1)
		rc = 0;
	free(rcvd);
	return rc;
}

int
mw_eval_check_for_fake_aol_relay_in_rcvd(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	char *rcvd;
	bool oom = false;
	int rc = 0;

	(void)args;
	if (ctx == NULL)
		return -1;
	if ((rcvd = get_all(&ctx->msg, "Received", true, &oom)) == NULL)
		return oom ? -1 : 0;
	if (rx(RX_AOL_RLY, rcvd, NULL, 0) == 1 && rx(RX_AOL_VIA, rcvd, NULL, 0) != 1 &&
	    rx(RX_AOL_ID, rcvd, NULL, 0) != 1)
		rc = 1;
	free(rcvd);
	return rc;
}

/* --- WLBLEval ---------------------------------------------------------------------- */

int
mw_eval_check_mailfrom_matches_rcvd(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	const struct mw_relay_conf *conf;
	char sender[MW_RELAY_HOST_MAX], adom[MW_RELAY_HOST_MAX], rdom[MW_RELAY_HOST_MAX];
	const char *at, *dom;
	const struct mw_relays *r;
	enum mw_relay_list l;
	size_t i, n;

	(void)args;
	RELAYS_OR_FAIL(ctx);
	r = ctx->relays;
	conf = ctx->gen != NULL && ctx->gen->rules != NULL ? ctx->gen->rules->relay_conf : NULL;
	snprintf(sender, sizeof(sender), "%s", mw_eval_sa_envelope_from(ctx, sender,
	    sizeof(sender)));
	/* / @ ([^@]+ \. [^@]+) \z/x */
	if ((at = strrchr(sender, '@')) == NULL)
		return 0;
	dom = at + 1;
	if (strchr(sender, '@') != at && strchr(dom, '@') != NULL)
		return 0;
	if (strchr(dom, '.') == NULL || dom[0] == '.' || dom[strlen(dom) - 1] == '.')
		return 0;
	mw_relay_split_domain(conf, dom, adom, sizeof(adom));
	/* the first untrusted relay, or (none untrusted) every trusted one */
	if (r->nlist[MW_RELAYS_UNTRUSTED] > 0) {
		l = MW_RELAYS_UNTRUSTED;
		n = 1;
	} else {
		l = MW_RELAYS_TRUSTED;
		n = r->nlist[MW_RELAYS_TRUSTED];
	}
	for (i = 0; i < n; i++) {
		const struct mw_relay *rl = mw_relays_get(r, l, i);

		if (rl == NULL || rl->rdns[0] == '\0')
			continue;
		mw_relay_split_domain(conf, rl->rdns, rdom, sizeof(rdom));
		if (strcmp(adom, rdom) == 0)
			return 1;
	}
	return 0;
}

/* HeaderEval's check_ratware_envelope_from: the envelope sender spells the recipient
 * backwards, "domain.user@..." (a ratware signature); the recipient's domain must be
 * a real one (registry boundaries, a listed TLD). */
int
mw_eval_check_ratware_envelope_from(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	const struct mw_relay_conf *conf;
	char buf[MW_RELAY_HOST_MAX], from[MW_RELAY_HOST_MAX], dom[MW_RELAY_HOST_MAX];
	const char *to, *at, *p;
	size_t ulen, dlen;
	size_t n = 0;
	const struct mw_mime_address *a;

	(void)args;
	if (ctx == NULL)
		return -1;
	conf = ctx->gen != NULL && ctx->gen->rules != NULL ? ctx->gen->rules->relay_conf : NULL;
	a = ctx->msg.mime != NULL ? mw_mime_addresses(&ctx->msg, "To", &n) : NULL;
	to = a != NULL && n > 0 && a[0].addr != NULL ? a[0].addr : "";
	snprintf(from, sizeof(from), "%s", mw_eval_sa_envelope_from(ctx, buf, sizeof(buf)));
	if (from[0] == '\0' || to[0] == '\0')
		return 0;
	/* SRS-rewritten senders carry the original address legitimately */
	if (strncasecmp(from, "SRS", 3) == 0 && isdigit((unsigned char)from[3]) &&
	    strchr("=+-", from[4]) != NULL)
		return 0;
	if ((at = strchr(to, '@')) == NULL || at == to || at[1] == '\0')
		return 0;
	ulen = (size_t)(at - to);
	mw_relay_split_domain(conf, at + 1, dom, sizeof(dom));
	if (!mw_relay_domain_valid(conf, dom))
		return 0;
	dlen = strlen(dom);
	/* from =~ /\bDOM.USER@/i */
	for (p = from; (p = strcasestr(p, dom)) != NULL; p++) {
		if (p > from && (isalnum((unsigned char)p[-1]) || p[-1] == '_') &&
		    (isalnum((unsigned char)dom[0]) || dom[0] == '_'))
			continue;
		if (p[dlen] == '\0' || strncasecmp(p + dlen + 1, to, ulen) != 0 ||
		    p[dlen + 1 + ulen] != '@')
			continue;
		return 1;
	}
	return 0;
}
