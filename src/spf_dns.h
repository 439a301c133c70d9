/*
 * spf_dns - the DNS layers that libspf2 asks, for the SPF stage (issue 7).
 *
 * libspf2 resolves through a stack of SPF_dns_server_t layers.  mailwarden builds,
 * per thread:
 *
 *     SPF_server -> guard -> libspf2 cache (SPF_dns_cache) -> resolver | zone
 *
 * - resolver: res_nquery() with a res_state this layer owns, so the per-query
 *   timeout, the number of attempts and (optionally) the name server come from
 *   the configuration.  libspf2's own resolver layer keeps its res_state private
 *   and would only take these from RES_OPTIONS in the environment.  Every failure
 *   other than "no such name" / "no such data" is reported as TRY_AGAIN, which
 *   libspf2 turns into temperror (RFC 7208 section 5: SERVFAIL, REFUSED, timeouts).
 * - zone: libspf2's static zone layer (SPF_dns_zone_new/SPF_dns_zone_add_str)
 *   filled from a test zone file (option spf_test_zone), for hermetic tests.
 * - guard: answers queries for the obsolete SPF RR type 99 with "no data" without
 *   asking (RFC 7208 section 3.1: TXT only; libspf2 1.2.10 asks for type 99 first,
 *   and its zone layer would answer "no such name" for it), and enforces a time
 *   budget and a lookup limit for one whole check: past them lookups fail with
 *   TRY_AGAIN.  It sits above the cache so that these failures are never cached.
 *
 * Zone file format (test-only; doc/FORMATS.md): one record per line,
 *
 *     <name> <type> <data>
 *
 * type A, AAAA, MX ("<preference> <host>"), TXT (the rest of the line, or one or
 * more "quoted" strings that are concatenated), PTR; data `!TRY_AGAIN`,
 * `!NO_RECOVERY`, `!HOST_NOT_FOUND` or `!NO_DATA` makes the lookup fail that way.
 * `#` starts a comment line.  Names are compared case-insensitively; a name
 * starting with `*.` is a wildcard.
 */
#ifndef MW_SPF_DNS_H
#define MW_SPF_DNS_H

#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>

#include "diag.h"

struct mw_spf_dns_opts {
	int	 timeout;		/* seconds per attempt */
	int	 attempts;
	bool	 have_nameserver;	/* otherwise /etc/resolv.conf's */
	struct sockaddr_in nameserver;
};

/* Parse "IPv4" or "IPv4:port" into *out.  Returns -1 when malformed. */
int	mw_spf_dns_parse_nameserver(const char *s, struct sockaddr_in *out);

struct mw_spf_zone_entry {
	char	*name;
	int	 type;		/* ns_t_a, ns_t_aaaa, ns_t_mx, ns_t_txt, ns_t_ptr */
	int	 herrno;	/* NETDB_SUCCESS, or the error the lookup returns */
	char	*data;		/* NULL when herrno != NETDB_SUCCESS */
};

struct mw_spf_zone {
	struct mw_spf_zone_entry *v;
	size_t	 n, cap;
};

/* Read a zone file; every problem goes to diag as file:line.  -1 on any error. */
int	mw_spf_zone_load(struct mw_spf_zone *z, const char *path, struct mw_diag *diag);
/* Parse zone text held in memory; `name` is used in diagnostics. */
int	mw_spf_zone_parse(struct mw_spf_zone *z, const char *name, const char *text,
	    struct mw_diag *diag);
void	mw_spf_zone_free(struct mw_spf_zone *z);

/* The bottom layers.  NULL on failure (ENOMEM, or res_ninit failed). */
SPF_dns_server_t *mw_spf_dns_resolv_new(const struct mw_spf_dns_opts *o);
SPF_dns_server_t *mw_spf_dns_zone_new(const struct mw_spf_zone *z);

/* The guard on top of `below` (which it owns from then on, also on failure). */
SPF_dns_server_t *mw_spf_dns_guard_new(SPF_dns_server_t *below);
/* Start a check: lookups after now + budget_ms fail with TRY_AGAIN. */
void	mw_spf_dns_guard_start(SPF_dns_server_t *guard, long budget_ms);
/* Did the running check hit the time budget, or the lookup limit (about 120: RFC
 * 7208's limits for one whole check)?  How many lookups did it make? */
bool	mw_spf_dns_guard_expired(const SPF_dns_server_t *guard);
bool	mw_spf_dns_guard_too_many(const SPF_dns_server_t *guard);
unsigned mw_spf_dns_guard_lookups(const SPF_dns_server_t *guard);

#endif
