/*
 * spf - the SPF stage: settings per generation, one libspf2 server per thread,
 * the check, the two headers, the decision and the eval functions.
 */
#include "config.h"

#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <spf2/spf.h>
#include <spf2/spf_dns_cache.h>

#include "buf.h"
#include "scan.h"
#include "spf.h"
#include "spf_dns.h"

#define HEADER_MAX	4096
/* Shown by libspf2 for fail when the domain publishes no exp=; its built-in
 * default points at a web site that no longer exists.  "%_" is a space: libspf2
 * 1.2.10 mangles literal spaces in explanation strings (see spf_dns.c). */
#define DEFAULT_EXPLANATION	"%{o}%_does%_not%_designate%_%{c}%_as%_permitted%_sender"
#define CACHE_BITS	8

struct ipaddr {
	int	 family;		/* AF_INET or AF_INET6 */
	unsigned char b[16];
};

struct cidr {
	struct ipaddr net;
	unsigned bits;
};

struct mw_spf {
	bool	 enabled;
	bool	 check_helo;
	int	 temperror_action;	/* enum mw_spf_temperror_action */
	long	 budget_ms;
	struct cidr *trusted;
	size_t	 ntrusted;
	struct mw_spf_dns_opts dns;
	bool	 use_zone;
	struct mw_spf_zone zone;
	char	 rec_dom[256];
	/* Identity of the DNS stack these settings build: a thread keeps its server
	 * (and so its cache) across generations whose key is equal. */
	char	 key[768];
};

const char *
mw_spf_res_name(enum mw_spf_res r)
{
	switch (r) {
	case MW_SPF_NONE:	return "none";
	case MW_SPF_NEUTRAL:	return "neutral";
	case MW_SPF_PASS:	return "pass";
	case MW_SPF_FAIL:	return "fail";
	case MW_SPF_SOFTFAIL:	return "softfail";
	case MW_SPF_TEMPERROR:	return "temperror";
	case MW_SPF_PERMERROR:	return "permerror";
	}
	return "none";
}

/* --- addresses and networks ---------------------------------------------------- */

/* Textual IPv4/IPv6 (Sendmail's "IPv6:" prefix allowed); IPv4-mapped IPv6 becomes
 * IPv4, since that is the address SPF records name. */
static int
parse_ip(const char *s, struct ipaddr *out)
{
	static const unsigned char mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };

	memset(out, 0, sizeof(*out));
	if (strncasecmp(s, "IPv6:", 5) == 0)
		s += 5;
	if (inet_pton(AF_INET, s, out->b) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->b) == 1) {
		out->family = AF_INET6;
		if (memcmp(out->b, mapped, sizeof(mapped)) == 0) {
			memmove(out->b, out->b + 12, 4);
			memset(out->b + 4, 0, 12);
			out->family = AF_INET;
		}
		return 0;
	}
	return -1;
}

static bool
cidr_match(const struct cidr *c, const struct ipaddr *a)
{
	unsigned full = c->bits / 8, rest = c->bits % 8;

	if (c->net.family != a->family)
		return false;
	if (memcmp(c->net.b, a->b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((c->net.b[full] ^ a->b[full]) & (0xff << (8 - rest))) == 0;
}

static int
parse_cidr_list(struct mw_spf *s, const char *list, const char *file, struct mw_diag *diag)
{
	char *copy, *tok, *save, *slash, *end;
	size_t errs = diag->nerrors;

	if ((copy = strdup(list)) == NULL) {
		mw_diag_error(diag, file, 0, "out of memory");
		return -1;
	}
	for (tok = strtok_r(copy, " ,\t", &save); tok; tok = strtok_r(NULL, " ,\t", &save)) {
		struct cidr c = { .bits = 0 };
		unsigned max;
		struct cidr *nv;

		if ((slash = strchr(tok, '/')) != NULL)
			*slash = '\0';
		if (parse_ip(tok, &c.net) < 0 || strncasecmp(tok, "IPv6:", 5) == 0) {
			mw_diag_error(diag, file, 0, "spf_trusted_networks: '%s' is not an "
			    "IP address", tok);
			continue;
		}
		max = c.net.family == AF_INET ? 32 : 128;
		c.bits = max;
		if (slash != NULL) {
			unsigned long n = strtoul(slash + 1, &end, 10);
			if (end == slash + 1 || *end != '\0' || n > max) {
				mw_diag_error(diag, file, 0, "spf_trusted_networks: bad prefix "
				    "length '/%s' for %s", slash + 1, tok);
				continue;
			}
			c.bits = (unsigned)n;
		}
		if ((nv = realloc(s->trusted, (s->ntrusted + 1) * sizeof(*nv))) == NULL) {
			mw_diag_error(diag, file, 0, "out of memory");
			break;
		}
		s->trusted = nv;
		s->trusted[s->ntrusted++] = c;
	}
	free(copy);
	return diag->nerrors > errs ? -1 : 0;
}

bool
mw_spf_trusted(const struct mw_spf *s, const char *addr)
{
	struct ipaddr a;
	size_t i;

	if (addr == NULL || parse_ip(addr, &a) < 0)
		return false;
	for (i = 0; i < s->ntrusted; i++)
		if (cidr_match(&s->trusted[i], &a))
			return true;
	return false;
}

/* --- settings ---------------------------------------------------------------- */

void
mw_spf_free(struct mw_spf *s)
{
	if (s == NULL)
		return;
	free(s->trusted);
	mw_spf_zone_free(&s->zone);
	free(s);
}

struct mw_spf *
mw_spf_new(const struct mw_conf *c, const char *hostname, struct mw_diag *diag)
{
	static atomic_ulong zone_serial;
	struct mw_spf *s;
	size_t errs = diag->nerrors;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		mw_diag_error(diag, c->path, 0, "out of memory");
		return NULL;
	}
	s->enabled = c->spf_check;
	s->check_helo = c->spf_check_helo;
	s->temperror_action = c->spf_temperror_action;
	s->budget_ms = c->spf_timeout * 1000;
	s->dns.timeout = (int)c->spf_dns_timeout;
	s->dns.attempts = (int)c->spf_dns_attempts;
	snprintf(s->rec_dom, sizeof(s->rec_dom), "%s", hostname);
	parse_cidr_list(s, c->spf_trusted_networks, c->path, diag);
	if (c->spf_nameserver[0] != '\0') {
		if (mw_spf_dns_parse_nameserver(c->spf_nameserver, &s->dns.nameserver) < 0)
			mw_diag_error(diag, c->path, 0, "spf_nameserver: '%s' is not IPv4[:port]",
			    c->spf_nameserver);
		s->dns.have_nameserver = true;
	}
	if (c->spf_test_zone[0] != '\0') {
		s->use_zone = true;
		mw_spf_zone_load(&s->zone, c->spf_test_zone, diag);
	}
	/* A zone is re-read with every generation; a resolver keeps its cache. */
	snprintf(s->key, sizeof(s->key), "%s|%d|%d|%s|%s|%lu", s->rec_dom, s->dns.timeout,
	    s->dns.attempts, c->spf_nameserver, s->use_zone ? "zone" : "dns",
	    s->use_zone ? (unsigned long)atomic_fetch_add(&zone_serial, 1) + 1 : 0UL);
	if (diag->nerrors > errs) {
		mw_spf_free(s);
		return NULL;
	}
	return s;
}

/* --- one libspf2 server per thread ---------------------------------------------- */

struct spf_thread {
	SPF_server_t	*server;
	SPF_dns_server_t *guard;
	char		 key[768];
};

static pthread_once_t thread_once = PTHREAD_ONCE_INIT;
static pthread_key_t thread_key;
static bool thread_key_ok;

static void
spf_thread_free(void *p)
{
	struct spf_thread *t = p;

	if (t == NULL)
		return;
	if (t->server != NULL)
		SPF_server_free(t->server);	/* frees the DNS layers too */
	free(t);
}

static void
spf_init_once(void)
{
	thread_key_ok = pthread_key_create(&thread_key, spf_thread_free) == 0;
	/* libspf2 prints warnings and debug text to stdout/stderr by default; the
	 * core does no output, and everything we need is in the response. */
	SPF_warning_handler = NULL;
	SPF_info_handler = NULL;
	SPF_debug_handler = NULL;
}

void
mw_spf_thread_cleanup(void)
{
	struct spf_thread *t;

	if (pthread_once(&thread_once, spf_init_once) != 0 || !thread_key_ok)
		return;
	if ((t = pthread_getspecific(thread_key)) != NULL) {
		pthread_setspecific(thread_key, NULL);
		spf_thread_free(t);
	}
}

static SPF_server_t *
build_server(const struct mw_spf *s, SPF_dns_server_t **guardp)
{
	SPF_dns_server_t *bottom, *cache, *guard;
	SPF_server_t *server;
	SPF_response_t *resp = NULL;
	SPF_errcode_t err;

	bottom = s->use_zone ? mw_spf_dns_zone_new(&s->zone) : mw_spf_dns_resolv_new(&s->dns);
	if (bottom == NULL)
		return NULL;
	if ((cache = SPF_dns_cache_new(bottom, "mailwarden-cache", 0, CACHE_BITS)) == NULL) {
		SPF_dns_free(bottom);
		return NULL;
	}
	/* Keep answers for their DNS TTL, not libspf2's 30-minute minimums: those
	 * would also keep a timeout (temperror) for half an hour. */
	SPF_dns_cache_set_ttl(cache, 0, 0, 0, 0);
	if ((guard = mw_spf_dns_guard_new(cache)) == NULL)
		return NULL;
	if ((server = SPF_server_new_dns(guard, 0)) == NULL) {
		SPF_dns_free(guard);
		return NULL;
	}
	/* SPF_server_free frees the DNS layers only when told they are its own. */
	server->destroy_resolver = 1;
	if (SPF_server_set_rec_dom(server, s->rec_dom) != SPF_E_SUCCESS ||
	    SPF_server_set_sanitize(server, 1) != SPF_E_SUCCESS)
		goto fail;
	err = SPF_server_set_explanation(server, DEFAULT_EXPLANATION, &resp);
	if (resp != NULL)
		SPF_response_free(resp);
	if (err != SPF_E_SUCCESS)
		goto fail;
	*guardp = guard;
	return server;
fail:
	SPF_server_free(server);
	return NULL;
}

static struct spf_thread *
thread_server(const struct mw_spf *s)
{
	struct spf_thread *t;

	if (pthread_once(&thread_once, spf_init_once) != 0 || !thread_key_ok)
		return NULL;
	t = pthread_getspecific(thread_key);
	if (t != NULL && t->server != NULL && strcmp(t->key, s->key) == 0)
		return t;
	if (t == NULL) {
		if ((t = calloc(1, sizeof(*t))) == NULL)
			return NULL;
		if (pthread_setspecific(thread_key, t) != 0) {
			free(t);
			return NULL;
		}
	}
	if (t->server != NULL) {
		SPF_server_free(t->server);
		t->server = NULL;
	}
	if ((t->server = build_server(s, &t->guard)) == NULL)
		return NULL;
	snprintf(t->key, sizeof(t->key), "%s", s->key);
	return t;
}

/* --- the check ---------------------------------------------------------------- */

/* RFC 7208 4.3: a malformed or single-label domain yields "none" without a lookup. */
static bool
valid_domain(const char *d)
{
	size_t len = strlen(d), label = 0, labels = 0, i;

	if (len > 0 && d[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (i = 0; i <= len; i++) {
		unsigned char ch = i < len ? (unsigned char)d[i] : '.';

		if (ch == '.') {
			if (label == 0 || label > 63)
				return false;
			labels++;
			label = 0;
		} else if (isalnum(ch) || ch == '-' || ch == '_')
			label++;
		else
			return false;
	}
	return labels >= 2;
}

/* Copy printable ASCII; anything else becomes '?'. */
static void
copy_clean(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src && src[i] && i + 1 < size; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

/* A local part libspf2 may expand into macros: RFC 5321 length, no controls. */
static bool
sane_local_part(const char *lp, size_t len)
{
	size_t i;

	if (len == 0 || len > 64)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)lp[i] <= 0x20 || (unsigned char)lp[i] >= 0x7f)
			return false;
	return true;
}

/* An SPF response whose messages include a record syntax error is permerror,
 * even where libspf2 leaves the result at none (a record that did not compile). */
static bool
has_syntax_error(SPF_response_t *resp)
{
	int i, n = SPF_response_messages(resp);

	for (i = 0; i < n; i++) {
		SPF_error_t *e = SPF_response_message(resp, i);
		SPF_errcode_t code;

		if (e == NULL || !SPF_error_errorp(e))
			continue;
		code = SPF_error_code(e);
		if (code != SPF_E_SUCCESS && code != SPF_E_NOT_SPF && code != SPF_E_DNS_ERROR)
			return true;
	}
	return false;
}

static void
map_response(SPF_errcode_t err, SPF_response_t *resp, bool expired, bool too_many,
    struct mw_spf_answer *out)
{
	SPF_result_t r = SPF_response_result(resp);

	switch (r) {
	case SPF_RESULT_PASS:	  out->result = MW_SPF_PASS; break;
	case SPF_RESULT_FAIL:	  out->result = MW_SPF_FAIL; break;
	case SPF_RESULT_SOFTFAIL: out->result = MW_SPF_SOFTFAIL; break;
	case SPF_RESULT_NEUTRAL:  out->result = MW_SPF_NEUTRAL; break;
	case SPF_RESULT_TEMPERROR: out->result = MW_SPF_TEMPERROR; break;
	case SPF_RESULT_PERMERROR: out->result = MW_SPF_PERMERROR; break;
	default:
		/* libspf2 returns from a failed record lookup without setting a result. */
		if (err == SPF_E_DNS_ERROR)
			out->result = MW_SPF_TEMPERROR;
		else if (has_syntax_error(resp) || (err != SPF_E_SUCCESS && err != SPF_E_NOT_SPF))
			out->result = MW_SPF_PERMERROR;
		else
			out->result = MW_SPF_NONE;
		break;
	}
	/* A DNS failure is never "none", whatever libspf2 made of it.  (A lookup the
	 * time budget refused is a DNS failure too; libspf2 only ignores one when it
	 * fetches an explanation, and then the result stands.) */
	if (err == SPF_E_DNS_ERROR && out->result == MW_SPF_NONE)
		out->result = MW_SPF_TEMPERROR;
	/* Over RFC 7208's lookup limits (counted for the whole check): permerror, as
	 * the RFC says, whatever the refused lookup made of the rest. */
	if (too_many && out->result == MW_SPF_TEMPERROR) {
		out->result = MW_SPF_PERMERROR;
		snprintf(out->problem, sizeof(out->problem), "too many DNS lookups");
		return;
	}

	if (out->result == MW_SPF_TEMPERROR)
		snprintf(out->problem, sizeof(out->problem), "%s", expired ?
		    "SPF time budget exceeded" : "DNS lookup failed");
	else if (out->result == MW_SPF_PERMERROR) {
		SPF_errcode_t code = SPF_response_errcode(resp);
		int i, n = SPF_response_messages(resp);

		/* The first real error names the problem better than the summary code. */
		for (i = 0; i < n && (code == SPF_E_SUCCESS || code == SPF_E_NOT_SPF); i++) {
			SPF_error_t *e = SPF_response_message(resp, i);
			if (e != NULL && SPF_error_errorp(e) && SPF_error_code(e) != SPF_E_NOT_SPF)
				code = SPF_error_code(e);
		}
		copy_clean(out->problem, sizeof(out->problem), SPF_strerror(code));
	} else if (out->result == MW_SPF_NONE)
		snprintf(out->problem, sizeof(out->problem), "no SPF record");
	if (out->result == MW_SPF_FAIL)
		copy_clean(out->explanation, sizeof(out->explanation),
		    SPF_response_get_explanation(resp));
}

int
mw_spf_check(const struct mw_spf *s, const char *client_addr, const char *helo,
    const char *sender, struct mw_spf_answer *out)
{
	struct spf_thread *t;
	struct ipaddr ip;
	SPF_request_t *req;
	SPF_response_t *resp = NULL;
	SPF_errcode_t err;
	const char *domain, *at = NULL;
	char *from = NULL;
	bool use_helo = sender == NULL || sender[0] == '\0';
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->result = MW_SPF_NONE;
	if (helo == NULL)
		helo = "";
	if (use_helo)
		domain = helo;
	else
		domain = (at = strrchr(sender, '@')) != NULL ? at + 1 : "";
	copy_clean(out->domain, sizeof(out->domain), domain);
	if (client_addr == NULL || parse_ip(client_addr, &ip) < 0) {
		out->result = MW_SPF_PERMERROR;
		snprintf(out->problem, sizeof(out->problem), "no usable client address");
		return 0;
	}
	if (!valid_domain(domain)) {
		snprintf(out->problem, sizeof(out->problem), "no valid domain to check");
		return 0;
	}
	if ((t = thread_server(s)) == NULL)
		return -1;
	if ((req = SPF_request_new(t->server)) == NULL)
		return -1;
	if (ip.family == AF_INET) {
		struct in_addr a4;
		memcpy(&a4, ip.b, sizeof(a4));
		err = SPF_request_set_ipv4(req, a4);
	} else {
		struct in6_addr a6;
		memcpy(&a6, ip.b, sizeof(a6));
		err = SPF_request_set_ipv6(req, a6);
	}
	if (err != SPF_E_SUCCESS)
		goto out;
	if (!use_helo) {
		/* Keep an odd local part (over 64 bytes, spaces, controls, 8-bit) out of
		 * libspf2's macro expansion; postmaster@domain gets the same answer
		 * unless the record expands %{l}. */
		if (sane_local_part(sender, (size_t)(at - sender)))
			from = strdup(sender);
		else if ((from = malloc(strlen(domain) + sizeof("postmaster@"))) != NULL)
			sprintf(from, "postmaster@%s", domain);
		if (from == NULL || SPF_request_set_env_from(req, from) != 0)
			goto out;
	}
	/* Without MAIL FROM this also makes postmaster@<helo> the identity. */
	if (SPF_request_set_helo_dom(req, valid_domain(helo) ? helo : "unknown") != SPF_E_SUCCESS)
		goto out;

	mw_spf_dns_guard_start(t->guard, s->budget_ms);
	err = SPF_request_query_mailfrom(req, &resp);
	if (resp == NULL || err == SPF_E_NO_MEMORY)
		goto out;
	map_response(err, resp, mw_spf_dns_guard_expired(t->guard),
	    mw_spf_dns_guard_too_many(t->guard), out);
	out->lookups = mw_spf_dns_guard_lookups(t->guard);
	rc = 0;
out:
	if (resp != NULL)
		SPF_response_free(resp);
	SPF_request_free(req);
	free(from);
	return rc;
}

/* --- headers ------------------------------------------------------------------- */

static bool
is_dot_atom(const char *s)
{
	const char *p;

	if (*s == '\0' || *s == '.')
		return false;
	for (p = s; *p; p++) {
		if (*p == '.') {
			if (p[1] == '.' || p[1] == '\0')
				return false;
		} else if (!isalnum((unsigned char)*p) && strchr("!#$%&'*+/=?^_`{|}~-", *p) == NULL)
			return false;
	}
	return true;
}

/* A quoted-string of s: printable ASCII, with " and \ escaped. */
static void
put_quoted(struct mw_buf *b, const char *s)
{
	mw_buf_putc(b, '"');
	for (; s && *s; s++) {
		char ch = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
		if (ch == '"' || ch == '\\')
			mw_buf_putc(b, '\\');
		mw_buf_putc(b, ch);
	}
	mw_buf_putc(b, '"');
}

static void
put_value(struct mw_buf *b, const char *s)
{
	if (is_dot_atom(s))
		mw_buf_puts(b, s);
	else
		put_quoted(b, s);
}

/* Text inside a (comment): printable ASCII, parentheses and \ escaped. */
static void
put_comment_text(struct mw_buf *b, const char *s)
{
	for (; s && *s; s++) {
		char ch = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
		if (ch == '(' || ch == ')' || ch == '\\')
			mw_buf_putc(b, '\\');
		mw_buf_putc(b, ch);
	}
}

static char *
received_spf(const char *receiver, const struct mw_envelope *env, const char *ip,
    bool use_helo, const struct mw_spf_answer *a)
{
	struct mw_buf b;
	const char *who = use_helo ? env->helo : env->mail_from;

	mw_buf_init(&b, HEADER_MAX);
	mw_buf_printf(&b, "%s (", mw_spf_res_name(a->result));
	put_comment_text(&b, receiver);
	mw_buf_puts(&b, ": ");
	switch (a->result) {
	case MW_SPF_PASS:
	case MW_SPF_FAIL:
	case MW_SPF_SOFTFAIL:
		mw_buf_puts(&b, a->result == MW_SPF_SOFTFAIL ? "domain of transitioning " :
		    "domain of ");
		put_comment_text(&b, who);
		mw_buf_puts(&b, a->result == MW_SPF_PASS ? " designates " : " does not designate ");
		put_comment_text(&b, ip);
		mw_buf_puts(&b, " as permitted sender");
		break;
	case MW_SPF_NEUTRAL:
		put_comment_text(&b, ip);
		mw_buf_puts(&b, " is neither permitted nor denied by domain of ");
		put_comment_text(&b, who);
		break;
	case MW_SPF_NONE:
		mw_buf_puts(&b, "domain of ");
		put_comment_text(&b, who);
		mw_buf_puts(&b, " does not designate permitted sender hosts");
		break;
	case MW_SPF_TEMPERROR:
	case MW_SPF_PERMERROR:
		mw_buf_puts(&b, "error in processing during lookup of ");
		put_comment_text(&b, who);
		mw_buf_puts(&b, ": ");
		put_comment_text(&b, a->problem);
		break;
	}
	mw_buf_puts(&b, ") receiver=");
	put_value(&b, receiver);
	mw_buf_printf(&b, "; client-ip=%s; envelope-from=", ip);
	put_quoted(&b, env->mail_from ? env->mail_from : "");
	mw_buf_puts(&b, ";");
	if (env->helo != NULL && env->helo[0] != '\0') {
		mw_buf_puts(&b, " helo=");
		put_value(&b, env->helo);
		mw_buf_puts(&b, ";");
	}
	if (a->result == MW_SPF_TEMPERROR || a->result == MW_SPF_PERMERROR) {
		mw_buf_puts(&b, " problem=");
		put_quoted(&b, a->problem);
		mw_buf_puts(&b, ";");
	}
	mw_buf_printf(&b, " identity=%s;", use_helo ? "helo" : "mailfrom");
	if (b.truncated) {
		mw_buf_free(&b);
		return NULL;
	}
	return mw_buf_steal(&b);
}

static char *
authentication_results(const char *authserv_id, bool use_helo, const struct mw_spf_answer *a)
{
	struct mw_buf b;

	mw_buf_init(&b, HEADER_MAX);
	put_value(&b, authserv_id);
	mw_buf_printf(&b, "; spf=%s", mw_spf_res_name(a->result));
	if (a->domain[0] != '\0') {
		mw_buf_puts(&b, use_helo ? " smtp.helo=" : " smtp.mailfrom=");
		put_value(&b, a->domain);
	}
	if (b.truncated) {
		mw_buf_free(&b);
		return NULL;
	}
	return mw_buf_steal(&b);
}

static void
authserv_id(const struct mw_scan_ctx *ctx, char *out, size_t size)
{
	const char *id = ctx->conf->authserv_id;

	if (id == NULL || id[0] == '\0')
		id = ctx->env->mta_host;
	if (id == NULL || id[0] == '\0')
		id = ctx->gen->hostname;
	copy_clean(out, size, id);
}

/* RFC 8601 5: an inbound Authentication-Results that claims to be ours is forged. */
static int
strip_forged_results(struct mw_scan_ctx *ctx, const char *id)
{
	size_t i, len = strlen(id);

	for (i = 0; i < ctx->msg.nheaders; i++) {
		const struct mw_header *h = &ctx->msg.headers[i];
		const char *p = h->value;
		size_t n = 0;

		if (strcasecmp(h->name, "Authentication-Results") != 0)
			continue;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"') {	/* authserv-id as a quoted-string */
			p++;
			while (p[n] != '\0' && p[n] != '"')
				n++;
		} else
			while (p[n] != '\0' && p[n] != ';' && p[n] != ' ' && p[n] != '\t' &&
			    p[n] != '(')
				n++;
		if (n == len && strncasecmp(p, id, len) == 0 &&
		    mw_verdict_delete_header(ctx->v, h->name, h->index) < 0)
			return -1;
	}
	return 0;
}

int
mw_spf_strip_forged(struct mw_scan_ctx *ctx)
{
	char id[256];

	authserv_id(ctx, id, sizeof(id));
	return strip_forged_results(ctx, id);
}

/* --- the stage ------------------------------------------------------------------ */

static void
skip(struct mw_verdict *v, const char *reason)
{
	v->spf.status = MW_STAGE_SKIPPED;
	v->spf.reason = reason;
}

static int
decide(struct mw_scan_ctx *ctx, const struct mw_spf *s, const struct mw_spf_answer *a)
{
	char text[512];

	if (a->result == MW_SPF_FAIL) {
		switch (ctx->policy.spf_fail_action) {
		case MW_SPF_FAIL_REJECT:
			if (a->explanation[0] != '\0')
				snprintf(text, sizeof(text), "SPF check failed: %s", a->explanation);
			else
				snprintf(text, sizeof(text), "SPF check failed for %s", a->domain);
			mw_verdict_propose(ctx->v, MW_ACTION_REJECT, "spf", 550, "5.7.23", text);
			break;
		case MW_SPF_FAIL_TAG:
			if (mw_verdict_add_header(ctx->v, "X-Mailwarden-SPF", "fail") < 0)
				return -1;
			mw_verdict_propose(ctx->v, MW_ACTION_TAG, "spf", 0, NULL, NULL);
			break;
		case MW_SPF_FAIL_NONE:
			break;
		}
	}
	if (a->result == MW_SPF_TEMPERROR && s->temperror_action == MW_SPF_TEMPERROR_TEMPFAIL) {
		snprintf(text, sizeof(text), "SPF check of %s failed temporarily, try again later",
		    a->domain);
		mw_verdict_propose(ctx->v, MW_ACTION_TEMPFAIL, "spf", 451, "4.7.24", text);
	}
	return 0;
}

int
mw_spf_stage(struct mw_scan_ctx *ctx)
{
	const struct mw_spf *s = ctx->gen->spf;
	const struct mw_envelope *env = ctx->env;
	struct mw_verdict *v = ctx->v;
	struct mw_spf_answer a, h;
	struct ipaddr ip;
	char id[256], iptext[INET6_ADDRSTRLEN], *hdr;
	bool use_helo;

	authserv_id(ctx, id, sizeof(id));
	if (s == NULL)
		return skip(v, "not-configured"), 0;
	if (!s->enabled)
		return skip(v, "disabled"), 0;
	if (env->auth_authen != NULL && env->auth_authen[0] != '\0')
		return skip(v, "authenticated"), 0;
	if (env->client_addr == NULL || parse_ip(env->client_addr, &ip) < 0)
		return skip(v, "no-client-address"), 0;
	if (mw_spf_trusted(s, env->client_addr))
		return skip(v, "trusted-network"), 0;
	/* The headers name the address as checked: no "IPv6:" prefix, no ::ffff: form. */
	if (inet_ntop(ip.family, ip.b, iptext, sizeof(iptext)) == NULL)
		return skip(v, "no-client-address"), 0;

	use_helo = env->mail_from == NULL || env->mail_from[0] == '\0';
	if (mw_spf_check(s, env->client_addr, env->helo, env->mail_from, &a) < 0)
		return -1;
	v->spf.status = MW_STAGE_DONE;
	snprintf(v->spf.result, sizeof(v->spf.result), "%s", mw_spf_res_name(a.result));
	snprintf(v->spf.domain, sizeof(v->spf.domain), "%s", a.domain);
	snprintf(v->spf.identity, sizeof(v->spf.identity), "%s", use_helo ? "helo" : "mailfrom");
	snprintf(v->spf.problem, sizeof(v->spf.problem), "%s", a.problem);

	/* SpamAssassin's SPF_HELO_* rules want the HELO identity's own result. */
	if (use_helo)
		snprintf(v->spf.helo_result, sizeof(v->spf.helo_result), "%s", v->spf.result);
	else if (s->check_helo && env->helo != NULL && valid_domain(env->helo)) {
		if (mw_spf_check(s, env->client_addr, env->helo, NULL, &h) < 0)
			return -1;
		snprintf(v->spf.helo_result, sizeof(v->spf.helo_result), "%s",
		    mw_spf_res_name(h.result));
	}

	if ((hdr = received_spf(id, env, iptext, use_helo, &a)) == NULL)
		return -1;
	if (mw_verdict_add_header(v, "Received-SPF", hdr) < 0) {
		free(hdr);
		return -1;
	}
	free(hdr);
	if ((hdr = authentication_results(id, use_helo, &a)) == NULL)
		return -1;
	if (mw_verdict_add_header(v, "Authentication-Results", hdr) < 0) {
		free(hdr);
		return -1;
	}
	free(hdr);
	return decide(ctx, s, &a);
}

/* --- eval functions --------------------------------------------------------------- */

static int
eval_is(const struct mw_scan_ctx *ctx, bool helo, const char *want)
{
	const struct mw_spf_result *r = &ctx->v->spf;

	if (r->status != MW_STAGE_DONE)
		return 0;
	return strcmp(helo ? r->helo_result : r->result, want) == 0;
}

#define SPF_EVAL(fn, helo, want) \
	int fn(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args) \
	{ (void)args; return eval_is(ctx, helo, want); }

SPF_EVAL(mw_spf_eval_pass, false, "pass")
SPF_EVAL(mw_spf_eval_neutral, false, "neutral")
SPF_EVAL(mw_spf_eval_none, false, "none")
SPF_EVAL(mw_spf_eval_fail, false, "fail")
SPF_EVAL(mw_spf_eval_softfail, false, "softfail")
SPF_EVAL(mw_spf_eval_permerror, false, "permerror")
SPF_EVAL(mw_spf_eval_temperror, false, "temperror")
SPF_EVAL(mw_spf_eval_helo_pass, true, "pass")
SPF_EVAL(mw_spf_eval_helo_neutral, true, "neutral")
SPF_EVAL(mw_spf_eval_helo_none, true, "none")
SPF_EVAL(mw_spf_eval_helo_fail, true, "fail")
SPF_EVAL(mw_spf_eval_helo_softfail, true, "softfail")
SPF_EVAL(mw_spf_eval_helo_permerror, true, "permerror")
SPF_EVAL(mw_spf_eval_helo_temperror, true, "temperror")
