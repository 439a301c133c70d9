/*
 * relays - SpamAssassin's view of the Received chain: one relay per handover it can
 * read, which of them are trusted and internal, and the X-Spam-Relays-* pseudo-headers
 * that header rules match (RDNS_NONE, the HELO rules...) - in SpamAssassin's exact
 * format, so that its rules mean the same here.
 *
 * received.h parses a Received field for the TLS audit (what the field says about
 * encryption and who wrote it).  This module reads the same fields the way
 * SpamAssassin 4 does, quirks included, because rule hits depend on them: which word
 * is the HELO and which the reverse DNS name depends on the MTA that wrote the field,
 * and SpamAssassin's conventions for each MTA (and for fields it cannot read) decide
 * whether RDNS_NONE fires.  doc/COMPAT.md records how closely it agrees.
 *
 * Trust: trusted_networks / internal_networks / msa_networks from the rule files, with
 * SpamAssassin's inference when none is configured (a relay is trusted while its
 * address is private or it authenticated).
 */
#ifndef MW_RELAYS_H
#define MW_RELAYS_H

#include <stdbool.h>
#include <stddef.h>

#include "message.h"

#define MW_RELAY_HOST_MAX	256
#define MW_RELAY_MAX		64	/* relays analysed per message; the rest ignored */
#define MW_RELAY_MAX_NETS	64

/* PCRE2 patterns for an address where SpamAssassin's IP_ADDRESS finds one: IPv4
 * without leading zeros (a '.' may follow, as in "[192.0.2.1.5678]"), IPv6 with an
 * optional "IPv6:" tag. */
#define MW_RELAY_OCT_RE	"(?:1\\d\\d|2[0-4]\\d|25[0-5]|[1-9]\\d|\\d)"
#define MW_RELAY_QUAD_RE MW_RELAY_OCT_RE "\\." MW_RELAY_OCT_RE "\\." MW_RELAY_OCT_RE "\\." \
	MW_RELAY_OCT_RE
#define MW_RELAY_V4_RE	"\\b(?<!:)" MW_RELAY_QUAD_RE "\\b"
#define MW_RELAY_H4_RE	"[0-9A-Fa-f]{1,4}"
#define MW_RELAY_V6_RE	"(?:IPv6:|(?<![0-9A-Fa-f:]))(?:(?:" MW_RELAY_H4_RE ":){7}" \
	MW_RELAY_H4_RE "|(?:" MW_RELAY_H4_RE ":){0,6}(?:" MW_RELAY_H4_RE ")?::(?:" \
	MW_RELAY_H4_RE ":){0,6}(?:" MW_RELAY_H4_RE "|" MW_RELAY_QUAD_RE ")?)(?![0-9A-Fa-f:])"
#define MW_RELAY_IP_RE	"(?:" MW_RELAY_V4_RE "|" MW_RELAY_V6_RE ")"

struct mw_relay {
	char	 ip[64];
	char	 rdns[MW_RELAY_HOST_MAX];
	char	 helo[MW_RELAY_HOST_MAX];
	char	 by[MW_RELAY_HOST_MAX];
	char	 ident[128];
	char	 envfrom[MW_RELAY_HOST_MAX];
	char	 id[128];
	char	 auth[128];
	bool	 ip_private;
	bool	 no_reverse_dns;	/* the MTA looks up rDNS and found none */
	bool	 rdns_not_in_headers;	/* the MTA's format has no rDNS to tell */
	bool	 trusted;
	bool	 internal;
	bool	 msa;
};

/* One address range of a network list; lists are searched in order, first match wins
 * ("!10.0.1.5 10.0.1/24" excludes one host). */
struct mw_relay_net {
	int	 af;
	unsigned char addr[16];
	unsigned prefix;
	bool	 exclude;
};

struct mw_relay_nets {
	struct mw_relay_net v[MW_RELAY_MAX_NETS];
	size_t	 n;
	bool	 configured;		/* a *_networks line was given */
};

/* A set of lower-case domain names (util_rb_2tld...): a fixed-size hash table. */
#define MW_DOMAIN_SET_BUCKETS 1024
struct mw_domain_entry;
struct mw_domain_set {
	struct mw_domain_entry *b[MW_DOMAIN_SET_BUCKETS];
	size_t	 n;
};

/* The trust configuration, as SpamAssassin's rule files set it. */
struct mw_relay_conf {
	struct mw_relay_nets trusted, internal, msa;
	char	 originating_ip_headers[8][64];	/* X-Originating-IP... */
	size_t	 n_originating;
	/* registry boundaries (util_rb_2tld, util_rb_3tld): where a domain's
	 * registrable part begins ("example.co.uk") */
	struct mw_domain_set two_level, three_level;
	struct mw_domain_set tlds;	/* util_rb_tld: the valid top-level domains */
};

enum mw_relay_list { MW_RELAYS_TRUSTED, MW_RELAYS_UNTRUSTED, MW_RELAYS_INTERNAL,
	MW_RELAYS_EXTERNAL, MW_RELAYS_NLISTS };

struct mw_relays {
	struct mw_relay *v;		/* every relay read, top (most recent) first */
	size_t	 n;
	/* The four lists, as indexes into v, top first. */
	size_t	*list[MW_RELAYS_NLISTS];
	size_t	 nlist[MW_RELAYS_NLISTS];
	char	*str[MW_RELAYS_NLISTS];	/* the pseudo-header values ("" when empty) */
	unsigned num_unparseable;	/* Received fields no format matched */
	int	 last_trusted_relay_index;	/* counting Received fields from the top */
	int	 last_internal_relay_index;
	bool	 synthetic_top;		/* v[0] is this hop from the MTA's macros */
};

/* Relay i (0 = top) of list l, or NULL. */
const struct mw_relay *mw_relays_get(const struct mw_relays *r, enum mw_relay_list l,
	    size_t i);

/* Defaults: no networks configured, no originating-IP headers. */
void	mw_relay_conf_init(struct mw_relay_conf *c);
void	mw_relay_conf_free(struct mw_relay_conf *c);	/* the domain sets */

/* Add the space-separated names of list to set; -1 on ENOMEM.  Clear empties it. */
int	mw_domain_set_add(struct mw_domain_set *set, const char *list);
void	mw_domain_set_clear(struct mw_domain_set *set);
bool	mw_domain_set_has(const struct mw_domain_set *set, const char *name, size_t len);

/* SpamAssassin's RegistryBoundaries::split_domain: the registrable domain of a host
 * name ("www.example.co.uk" -> "example.co.uk"), lower-cased, into out. */
void	mw_relay_split_domain(const struct mw_relay_conf *c, const char *host, char *out,
	    size_t outlen);
/* RegistryBoundaries::is_domain_valid: no white space, and the last label is a TLD
 * the rule files list (util_rb_tld). */
bool	mw_relay_domain_valid(const struct mw_relay_conf *c, const char *domain);

/* Add a SpamAssassin network list ("10/8 !10.0.1.5 192.168. 2001:db8::/32") to nets.
 * -1 with a reason for the first entry that is not a network. */
int	mw_relay_nets_add(struct mw_relay_nets *nets, const char *list, char *why,
	    size_t whylen);
bool	mw_relay_nets_contain(const struct mw_relay_nets *nets, const char *ip);

/* Is ip one of SpamAssassin's private ranges (RFC 1918, loopback, link-local, CGN,
 * IPv6 unique-local/link-local/loopback)? */
bool	mw_relay_ip_private(const char *ip);

/*
 * Read m's Received fields (and the originating-IP headers) into r.  client, when
 * not NULL, is this hop as the MTA reported it: it is put on top when the message's
 * own top field does not already record it (a milter sees the message before the MTA's
 * field is added).  -1 on ENOMEM (r is then empty but freeable).
 */
struct mw_relay_client {
	const char *ip;
	const char *rdns;		/* NULL/"" = none ("unknown" in Postfix terms) */
	const char *helo;
	const char *by;			/* our host name */
	const char *auth;		/* SASL mechanism when authenticated, else NULL */
};
int	mw_relays_build(struct mw_relays *r, const struct mw_message *m,
	    const struct mw_relay_conf *conf, const struct mw_relay_client *client);
void	mw_relays_free(struct mw_relays *r);

/* Parse one Received field value into rl, SpamAssassin's way.  1 = a relay, 0 = a
 * field SpamAssassin deliberately skips (local delivery, fetchmail...), -1 = not
 * understood.  fetch is set when the field marks a POP/IMAP fetch. */
int	mw_relay_parse(const char *value, size_t len, struct mw_relay *rl, bool *fetch);

/* "[ ip=... rdns=... helo=... by=... ident=... envfrom=... intl=0 id=... auth=... msa=0 ]" */
int	mw_relay_format(const struct mw_relay *rl, char *out, size_t outlen);

#endif
