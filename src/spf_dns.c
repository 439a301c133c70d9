/*
 * spf_dns - resolver, zone and guard layers under libspf2 (see spf_dns.h).
 */
#include "config.h"

#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>
#include <spf2/spf_dns_rr.h>
#include <spf2/spf_dns_zone.h>

#include "spf_dns.h"

/* Negative answers are kept this long by the cache above (RFC 2308 would use the
 * SOA minimum; a minute is short enough not to hide a newly published record). */
#define NEGATIVE_TTL	60
#define ANSWER_MAX	65536

/* --- nameserver option ------------------------------------------------------- */

int
mw_spf_dns_parse_nameserver(const char *s, struct sockaddr_in *out)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strchr(s, ':');
	size_t hlen = colon ? (size_t)(colon - s) : strlen(s);
	long port = 53;

	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (colon != NULL) {
		char *end;

		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (end == colon + 1 || *end != '\0' || errno || port < 1 || port > 65535)
			return -1;
	}
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, host, &out->sin_addr) != 1)
		return -1;
	return 0;
}

/* --- resolver layer ---------------------------------------------------------- */

struct resolv_hook {
	struct __res_state res;
};

/* Everything except "no such name" and "no such data" means we could not look. */
static SPF_dns_rr_t *
resolv_failure(SPF_dns_server_t *d, const char *domain, ns_type type, int herr)
{
	if (herr == HOST_NOT_FOUND || herr == NO_DATA)
		return SPF_dns_rr_new_init(d, domain, type, NEGATIVE_TTL, herr);
	return SPF_dns_rr_new_init(d, domain, type, 0, TRY_AGAIN);
}

/* Copy one answer record of the wanted type into rr->rr[idx]. Returns 1 if added,
 * 0 if skipped, -1 when the answer is malformed or memory ran out. */
static int
resolv_add_rr(SPF_dns_rr_t *rr, int idx, ns_type type, const ns_msg *msg, const ns_rr *r)
{
	const unsigned char *rdata = ns_rr_rdata(*r);
	size_t rdlen = ns_rr_rdlen(*r);
	char name[NS_MAXDNAME];
	size_t i, off;

	switch (type) {
	case ns_t_a:
		if (rdlen != sizeof(struct in_addr))
			return -1;
		if (SPF_dns_rr_buf_realloc(rr, idx, sizeof(struct in_addr)) != SPF_E_SUCCESS)
			return -1;
		memcpy(&rr->rr[idx]->a, rdata, sizeof(struct in_addr));
		return 1;
	case ns_t_aaaa:
		if (rdlen != sizeof(struct in6_addr))
			return -1;
		if (SPF_dns_rr_buf_realloc(rr, idx, sizeof(struct in6_addr)) != SPF_E_SUCCESS)
			return -1;
		memcpy(&rr->rr[idx]->aaaa, rdata, sizeof(struct in6_addr));
		return 1;
	case ns_t_mx:
	case ns_t_ptr:
		off = type == ns_t_mx ? NS_INT16SZ : 0;
		if (rdlen < off + 1)
			return -1;
		if (ns_name_uncompress(ns_msg_base(*msg), ns_msg_end(*msg), rdata + off,
		    name, sizeof(name)) < 0)
			return -1;
		if (SPF_dns_rr_buf_realloc(rr, idx, strlen(name) + 1) != SPF_E_SUCCESS)
			return -1;
		strcpy(type == ns_t_mx ? rr->rr[idx]->mx : rr->rr[idx]->ptr, name);
		return 1;
	case ns_t_txt: {
		char *dst;
		/* RFC 7208 3.3: the character-strings of one record are concatenated. */
		if (SPF_dns_rr_buf_realloc(rr, idx, rdlen + 1) != SPF_E_SUCCESS)
			return -1;
		dst = rr->rr[idx]->txt;
		for (i = 0; i < rdlen; ) {
			size_t n = rdata[i++];
			if (n > rdlen - i)
				return -1;
			memcpy(dst, rdata + i, n);
			dst += n;
			i += n;
		}
		*dst = '\0';
		/* A NUL inside would silently cut the record short: make it a syntax error. */
		for (i = 0; &rr->rr[idx]->txt[i] < dst; i++)
			if (rr->rr[idx]->txt[i] == '\0')
				rr->rr[idx]->txt[i] = '?';
		return 1;
	}
	default:
		return 0;
	}
}

static SPF_dns_rr_t *
resolv_lookup(SPF_dns_server_t *d, const char *domain, ns_type type, int should_cache)
{
	struct resolv_hook *h = d->hook;
	unsigned char *ans, *bigger;
	size_t cap = 4096;
	int len, i, n, cnt = 0, added;
	unsigned long ttl = ULONG_MAX;
	SPF_dns_rr_t *rr;
	ns_msg msg;
	ns_rr r;

	(void)should_cache;
	if ((ans = malloc(cap)) == NULL)
		return NULL;
	for (;;) {
		len = res_nquery(&h->res, domain, ns_c_in, type, ans, (int)cap);
		if (len < 0) {
			free(ans);
			return resolv_failure(d, domain, type, h->res.res_h_errno);
		}
		if ((size_t)len <= cap || cap >= ANSWER_MAX)
			break;
		cap = ANSWER_MAX;
		if ((bigger = realloc(ans, cap)) == NULL) {
			free(ans);
			return NULL;
		}
		ans = bigger;
	}
	if ((size_t)len > cap)
		len = (int)cap;

	if (ns_initparse(ans, len, &msg) < 0) {
		free(ans);
		return resolv_failure(d, domain, type, TRY_AGAIN);
	}
	if ((rr = SPF_dns_rr_new_init(d, domain, type, 0, NETDB_SUCCESS)) == NULL) {
		free(ans);
		return NULL;
	}
	n = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < n; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &r) < 0)
			goto malformed;
		/* CNAMEs are followed by the recursive server; only the target type counts. */
		if (ns_rr_type(r) != type || ns_rr_class(r) != ns_c_in)
			continue;
		if ((added = resolv_add_rr(rr, cnt, type, &msg, &r)) < 0)
			goto malformed;
		if (added) {
			cnt++;
			if (ns_rr_ttl(r) < ttl)
				ttl = ns_rr_ttl(r);
		}
	}
	free(ans);
	rr->num_rr = cnt;
	if (cnt == 0) {
		rr->herrno = NO_DATA;
		rr->ttl = NEGATIVE_TTL;
	} else
		rr->ttl = (time_t)ttl;
	return rr;
malformed:
	free(ans);
	SPF_dns_rr_free(rr);
	return resolv_failure(d, domain, type, TRY_AGAIN);
}

static void
resolv_destroy(SPF_dns_server_t *d)
{
	struct resolv_hook *h = d->hook;

	if (h != NULL) {
		res_nclose(&h->res);
		free(h);
	}
	free(d);
}

SPF_dns_server_t *
mw_spf_dns_resolv_new(const struct mw_spf_dns_opts *o)
{
	SPF_dns_server_t *d;
	struct resolv_hook *h;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		free(d);
		return NULL;
	}
	if (res_ninit(&h->res) != 0) {
		free(h);
		free(d);
		return NULL;
	}
	h->res.retrans = o->timeout;
	h->res.retry = o->attempts;
	h->res.options |= RES_USE_EDNS0;
	if (o->have_nameserver) {
		h->res.nsaddr_list[0] = o->nameserver;
		h->res.nscount = 1;
	}
	d->destroy = resolv_destroy;
	d->lookup = resolv_lookup;
	d->name = "mailwarden-resolv";
	d->hook = h;
	return d;
}

/* --- zone layer -------------------------------------------------------------- */

SPF_dns_server_t *
mw_spf_dns_zone_new(const struct mw_spf_zone *z)
{
	SPF_dns_server_t *d;
	size_t i;

	if ((d = SPF_dns_zone_new(NULL, "mailwarden-test-zone", 0)) == NULL)
		return NULL;
	for (i = 0; i < z->n; i++) {
		const struct mw_spf_zone_entry *e = &z->v[i];

		if (SPF_dns_zone_add_str(d, e->name, (ns_type)e->type, e->herrno,
		    e->herrno == NETDB_SUCCESS ? e->data : NULL) != SPF_E_SUCCESS) {
			SPF_dns_free(d);
			return NULL;
		}
	}
	return d;
}

/* --- zone file --------------------------------------------------------------- */

static const struct {
	const char *name;
	int type;
} zone_types[] = {
	{ "A", ns_t_a }, { "AAAA", ns_t_aaaa }, { "MX", ns_t_mx }, { "TXT", ns_t_txt },
	{ "PTR", ns_t_ptr },
};

static const struct {
	const char *name;
	int herrno;
} zone_errors[] = {
	{ "TRY_AGAIN", TRY_AGAIN }, { "NO_RECOVERY", NO_RECOVERY },
	{ "HOST_NOT_FOUND", HOST_NOT_FOUND }, { "NO_DATA", NO_DATA },
};

void
mw_spf_zone_free(struct mw_spf_zone *z)
{
	size_t i;

	if (z == NULL)
		return;
	for (i = 0; i < z->n; i++) {
		free(z->v[i].name);
		free(z->v[i].data);
	}
	free(z->v);
	memset(z, 0, sizeof(*z));
}

/* "a" "b c" -> "ab c" in place; returns -1 when a quote is not closed. */
static int
unquote_txt(char *s)
{
	char *dst = s, *p = s;

	while (*p != '\0') {
		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		if (*p != '"')
			return -1;
		for (p++; *p != '"'; p++) {
			if (*p == '\0')
				return -1;
			*dst++ = *p;
		}
		p++;
	}
	*dst = '\0';
	return 0;
}

static bool
valid_zone_name(const char *s)
{
	const unsigned char *p;

	if (*s == '\0' || strlen(s) > 253)
		return false;
	for (p = (const unsigned char *)s; *p; p++)
		if (!isalnum(*p) && *p != '.' && *p != '-' && *p != '_' && *p != '*')
			return false;
	return true;
}

/* Check one "<name> <type> <data>" line and append it. */
static void
zone_line(struct mw_spf_zone *z, const char *file, unsigned line, char *p,
    struct mw_diag *diag)
{
	char *name, *type, *data, *end;
	struct mw_spf_zone_entry e = { .herrno = NETDB_SUCCESS };
	unsigned char buf[sizeof(struct in6_addr)];
	size_t i, len;
	bool found = false;

	name = strtok_r(p, " \t", &end);
	type = strtok_r(NULL, " \t", &end);
	data = end;
	while (*data == ' ' || *data == '\t')
		data++;
	len = strlen(data);
	while (len > 0 && (data[len - 1] == ' ' || data[len - 1] == '\t'))
		data[--len] = '\0';
	if (name == NULL || type == NULL || *data == '\0') {
		mw_diag_error(diag, file, line, "expected '<name> <type> <data>'");
		return;
	}
	len = strlen(name);
	if (len > 1 && name[len - 1] == '.')
		name[len - 1] = '\0';
	if (!valid_zone_name(name)) {
		mw_diag_error(diag, file, line, "'%s' is not a domain name", name);
		return;
	}
	for (i = 0; i < sizeof(zone_types) / sizeof(zone_types[0]); i++)
		if (strcasecmp(type, zone_types[i].name) == 0) {
			e.type = zone_types[i].type;
			found = true;
		}
	if (!found) {
		mw_diag_error(diag, file, line, "unknown type '%s' (A AAAA MX TXT PTR)", type);
		return;
	}
	if (data[0] == '!') {
		found = false;
		for (i = 0; i < sizeof(zone_errors) / sizeof(zone_errors[0]); i++)
			if (strcmp(data + 1, zone_errors[i].name) == 0) {
				e.herrno = zone_errors[i].herrno;
				found = true;
			}
		if (!found) {
			mw_diag_error(diag, file, line, "unknown error '%s' (!TRY_AGAIN "
			    "!NO_RECOVERY !HOST_NOT_FOUND !NO_DATA)", data);
			return;
		}
	} else if (e.type == ns_t_a && inet_pton(AF_INET, data, buf) != 1) {
		mw_diag_error(diag, file, line, "'%s' is not an IPv4 address", data);
		return;
	} else if (e.type == ns_t_aaaa && inet_pton(AF_INET6, data, buf) != 1) {
		mw_diag_error(diag, file, line, "'%s' is not an IPv6 address", data);
		return;
	} else if (e.type == ns_t_mx) {
		char *q = data;
		while (isdigit((unsigned char)*q))
			q++;
		if (q == data || (*q != ' ' && *q != '\t')) {
			mw_diag_error(diag, file, line, "MX data must be '<preference> <host>'");
			return;
		}
	} else if (e.type == ns_t_txt && data[0] == '"' && unquote_txt(data) < 0) {
		mw_diag_error(diag, file, line, "unterminated or stray text in quoted TXT data");
		return;
	}
	/* libspf2's zone layer cannot hold data and an error for one name and type. */
	for (i = 0; i < z->n; i++)
		if (z->v[i].type == e.type && strcasecmp(z->v[i].name, name) == 0 &&
		    (z->v[i].herrno != NETDB_SUCCESS || e.herrno != NETDB_SUCCESS)) {
			mw_diag_error(diag, file, line, "%s %s: an error entry must be the only "
			    "entry of its name and type", name, type);
			return;
		}
	if (z->n == z->cap) {
		size_t ncap = z->cap ? z->cap * 2 : 16;
		struct mw_spf_zone_entry *nv = realloc(z->v, ncap * sizeof(*nv));
		if (nv == NULL) {
			mw_diag_error(diag, file, line, "out of memory");
			return;
		}
		z->v = nv;
		z->cap = ncap;
	}
	if ((e.name = strdup(name)) == NULL ||
	    (e.herrno == NETDB_SUCCESS && (e.data = strdup(data)) == NULL)) {
		free(e.name);
		mw_diag_error(diag, file, line, "out of memory");
		return;
	}
	z->v[z->n++] = e;
}

int
mw_spf_zone_parse(struct mw_spf_zone *z, const char *name, const char *text,
    struct mw_diag *diag)
{
	size_t errs = diag->nerrors;
	unsigned line = 0;
	const char *p = text, *nl;
	char *copy;

	while (*p != '\0') {
		size_t n;
		char *s;

		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		line++;
		if ((copy = strndup(p, n)) == NULL) {
			mw_diag_error(diag, name, line, "out of memory");
			break;
		}
		for (s = copy; *s == ' ' || *s == '\t'; s++)
			;
		if (n > 0 && copy[n - 1] == '\r')
			copy[n - 1] = '\0';
		if (*s != '\0' && *s != '#')
			zone_line(z, name, line, s, diag);
		free(copy);
		p = nl ? nl + 1 : p + n;
	}
	return diag->nerrors > errs ? -1 : 0;
}

int
mw_spf_zone_load(struct mw_spf_zone *z, const char *path, struct mw_diag *diag)
{
	FILE *fp;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if ((fp = fopen(path, "r")) == NULL) {
		mw_diag_error(diag, path, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	/* getdelim with NUL reads the whole (text) file in one piece. */
	if (getdelim(&text, &len, '\0', fp) < 0 && ferror(fp)) {
		mw_diag_error(diag, path, 0, "read error: %s", strerror(errno));
		fclose(fp);
		free(text);
		return -1;
	}
	fclose(fp);
	rc = mw_spf_zone_parse(z, path, text ? text : "", diag);
	free(text);
	return rc;
}

/* --- guard layer ------------------------------------------------------------- */

/*
 * RFC 7208 4.6.4 allows at most 10 DNS-querying terms per check and 10 address
 * lookups per MX or PTR term: about 111 lookups plus the record and explanation.
 * libspf2 1.2.10 counts terms per record, not per check (every include starts from
 * zero), so a chain of includes could make one check ask DNS thousands of times.
 * Past this many lookups the check stops with permerror.
 */
#define GUARD_MAX_LOOKUPS	120

struct guard_hook {
	struct timespec deadline;
	bool	 armed;
	bool	 expired;
	bool	 too_many;
	unsigned lookups;
};

static bool
past(const struct timespec *t)
{
	struct timespec now;

	if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
		return true;
	return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/*
 * libspf2 1.2.10 compiles an explanation (exp=) text with literal spaces wrongly:
 * "Host %{i} may not" comes out as "Host%{i}%may%not".  Written with the "%_"
 * macro for each space it expands correctly.  Only TXT texts that are not SPF
 * records are rewritten; libspf2 uses those for nothing but explanations.
 */
static int
fix_explanation_spaces(SPF_dns_rr_t *rr)
{
	int i;

	for (i = 0; i < rr->num_rr; i++) {
		const char *txt = rr->rr[i]->txt, *p;
		size_t spaces = 0;
		char *fixed, *q;

		if (strncasecmp(txt, "v=spf1", 6) == 0 && (txt[6] == ' ' || txt[6] == '\0'))
			continue;
		for (p = txt; *p; p++)
			spaces += *p == ' ';
		if (spaces == 0)
			continue;
		if ((fixed = malloc(strlen(txt) + spaces + 1)) == NULL)
			return -1;
		for (p = txt, q = fixed; *p; p++) {
			if (*p == ' ')
				*q++ = '%', *q++ = '_';
			else
				*q++ = *p;
		}
		*q = '\0';
		if (SPF_dns_rr_buf_realloc(rr, i, (size_t)(q - fixed) + 1) != SPF_E_SUCCESS) {
			free(fixed);
			return -1;
		}
		strcpy(rr->rr[i]->txt, fixed);
		free(fixed);
	}
	return 0;
}

static SPF_dns_rr_t *
guard_lookup(SPF_dns_server_t *d, const char *domain, ns_type type, int should_cache)
{
	struct guard_hook *h = d->hook;
	SPF_dns_rr_t *rr;

	if (type == ns_t_spf)
		return SPF_dns_rr_new_init(d, domain, type, 0, NO_DATA);
	if (h->armed && past(&h->deadline)) {
		h->expired = true;
		return SPF_dns_rr_new_init(d, domain, type, 0, TRY_AGAIN);
	}
	if (h->lookups >= GUARD_MAX_LOOKUPS) {
		h->too_many = true;
		return SPF_dns_rr_new_init(d, domain, type, 0, TRY_AGAIN);
	}
	h->lookups++;
	rr = SPF_dns_lookup(d->layer_below, domain, type, should_cache);
	if (rr != NULL && type == ns_t_txt && rr->herrno == NETDB_SUCCESS &&
	    fix_explanation_spaces(rr) < 0) {
		SPF_dns_rr_free(rr);
		return SPF_dns_rr_new_init(d, domain, type, 0, TRY_AGAIN);
	}
	return rr;
}

static void
guard_destroy(SPF_dns_server_t *d)
{
	free(d->hook);
	free(d);
}

SPF_dns_server_t *
mw_spf_dns_guard_new(SPF_dns_server_t *below)
{
	SPF_dns_server_t *d;

	if ((d = calloc(1, sizeof(*d))) == NULL || (d->hook = calloc(1,
	    sizeof(struct guard_hook))) == NULL) {
		free(d);
		SPF_dns_free(below);
		return NULL;
	}
	d->destroy = guard_destroy;
	d->lookup = guard_lookup;
	d->layer_below = below;
	d->name = "mailwarden-guard";
	return d;
}

void
mw_spf_dns_guard_start(SPF_dns_server_t *guard, long budget_ms)
{
	struct guard_hook *h = guard->hook;

	h->expired = false;
	h->too_many = false;
	h->lookups = 0;
	h->armed = clock_gettime(CLOCK_MONOTONIC, &h->deadline) == 0;
	h->deadline.tv_sec += budget_ms / 1000;
	h->deadline.tv_nsec += (budget_ms % 1000) * 1000000L;
	if (h->deadline.tv_nsec >= 1000000000L) {
		h->deadline.tv_sec++;
		h->deadline.tv_nsec -= 1000000000L;
	}
}

bool
mw_spf_dns_guard_expired(const SPF_dns_server_t *guard)
{
	return ((const struct guard_hook *)guard->hook)->expired;
}

bool
mw_spf_dns_guard_too_many(const SPF_dns_server_t *guard)
{
	return ((const struct guard_hook *)guard->hook)->too_many;
}

unsigned
mw_spf_dns_guard_lookups(const SPF_dns_server_t *guard)
{
	return ((const struct guard_hook *)guard->hook)->lookups;
}
