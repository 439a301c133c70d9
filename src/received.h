/*
 * received - parse Received: trace fields (RFC 5321 4.4, RFC 5322 3.6.7) into hops.
 *
 * One hop per field: who handed the message over (HELO, reverse DNS name, IP
 * address, ident), who took it (by host), how (the `with` protocol, RFC 3848 and
 * the IANA Mail Transmission Types registry), the queue id, authentication and TLS
 * evidence from the comments that Postfix, Sendmail, Exim, Exchange and Gmail write.
 * Each hop is classified encrypted / clear / internal / unknown (see
 * mw_received_classify() and doc/FORMATS.md).
 *
 * The parser is pure and bounded: it reads at most MW_RCV_MAX_INPUT bytes of a
 * value, copies into fixed-size fields (truncating and flagging), never fails on
 * input and allocates nothing.  Only the chain builder allocates (the hop array).
 * The struct is meant to be shared with SpamAssassin-style relay analysis
 * (issue 5): ip, rdns, helo, by, ident, auth, id, envfrom are its relay fields.
 */
#ifndef MW_RECEIVED_H
#define MW_RECEIVED_H

#include <stdbool.h>
#include <stddef.h>

#include "message.h"

#define MW_RCV_MAX_INPUT	8192	/* bytes of one field value that are looked at */
#define MW_RCV_HOST_MAX		256
#define MW_RCV_IP_MAX		46	/* INET6_ADDRSTRLEN */
#define MW_RCV_DEFAULT_MAX_HOPS	64

enum mw_rcv_class {
	MW_RCV_UNKNOWN,		/* no usable protocol or TLS evidence */
	MW_RCV_ENCRYPTED,	/* TLS: with ...S/...SA keyword, HTTPS, or a TLS comment */
	MW_RCV_CLEAR,		/* a network transfer without TLS: SMTP, ESMTP, ESMTPA, LMTP... */
	MW_RCV_INTERNAL,	/* no network transfer between hosts: local submission,
				 * loopback, local/MAPI protocols, qmail injection records */
};

/* The software that wrote the field, as far as its comments tell. */
enum mw_rcv_mta {
	MW_RCV_MTA_UNKNOWN,
	MW_RCV_MTA_POSTFIX,
	MW_RCV_MTA_SENDMAIL,
	MW_RCV_MTA_EXIM,
	MW_RCV_MTA_EXCHANGE,
	MW_RCV_MTA_GMAIL,
	MW_RCV_MTA_QMAIL,
};

enum mw_rcv_flag {
	MW_RCV_TRUNCATED	= 1u << 0,	/* value longer than MW_RCV_MAX_INPUT or a field
						 * longer than its buffer */
	MW_RCV_UNBALANCED	= 1u << 1,	/* a comment or <address> was not closed */
	MW_RCV_NO_FROM		= 1u << 2,	/* no from clause (local origin or damage) */
	MW_RCV_NO_BY		= 1u << 3,	/* no by clause */
	MW_RCV_NO_DATE		= 1u << 4,	/* no ';' date part */
	MW_RCV_BAD_IP		= 1u << 5,	/* something in [brackets] that is not an address */
	MW_RCV_DEEP_COMMENT	= 1u << 6,	/* comments nested deeper than we follow */
	MW_RCV_LOCAL_USER	= 1u << 7,	/* "from userid N", "(from user@localhost)" */
	MW_RCV_TLS_COMMENT	= 1u << 8,	/* a TLS comment was found (tls_* are from it) */
	MW_RCV_LOOPBACK		= 1u << 9,	/* the from address is a loopback address */
};

struct mw_received_hop {
	/* The sending side. */
	char	 from_word[MW_RCV_HOST_MAX];	/* the word after "from", as written */
	char	 helo[MW_RCV_HOST_MAX];		/* HELO/EHLO argument ("" when unknown) */
	char	 rdns[MW_RCV_HOST_MAX];		/* reverse DNS name ("" when unknown) */
	char	 ip[MW_RCV_IP_MAX];		/* canonical text form, "" when absent/bad */
	char	 ident[64];			/* RFC 1413 ident or local user name */
	char	 envfrom[MW_RCV_HOST_MAX];	/* Exim's (envelope-from <...>) */
	/* The receiving side. */
	char	 by[MW_RCV_HOST_MAX];
	char	 by_ip[MW_RCV_IP_MAX];		/* Exchange writes "by host (ip)" */
	char	 with[64];			/* protocol words, single-spaced */
	char	 id[128];
	char	 for_addr[MW_RCV_HOST_MAX];
	/* Evidence from comments. */
	char	 auth[64];	/* "" or how authentication showed: ESMTPA, sender name... */
	char	 tls_version[32];
	char	 tls_cipher[128];
	int	 tls_bits;			/* 0 when not stated */
	enum mw_rcv_mta mta;
	enum mw_rcv_class cls;
	const char *why;			/* static: the evidence that decided cls */
	unsigned flags;				/* enum mw_rcv_flag */
};

struct mw_received_chain {
	struct mw_received_hop *hops;	/* hops[0] is the topmost (most recent) field */
	size_t	 nhops;
	size_t	 nfields;		/* Received fields in the message (>= nhops) */
};

/* Parse one field value (unfolded or not; NULs are treated as spaces).  Never fails:
 * whatever could not be understood is flagged and left empty.  Classifies the hop. */
void	mw_received_parse(struct mw_received_hop *h, const char *value, size_t len);

/* Classify from the parsed fields (called by mw_received_parse; exposed so a caller
 * that changes a field, e.g. marks an internal network, can reclassify). */
void	mw_received_classify(struct mw_received_hop *h);

/* Parse up to max_hops Received fields of m (top first) into c.  -1 on ENOMEM. */
int	mw_received_chain_build(struct mw_received_chain *c, const struct mw_message *m,
	    size_t max_hops);
void	mw_received_chain_free(struct mw_received_chain *c);

const char *mw_received_class_name(enum mw_rcv_class cls);
const char *mw_received_mta_name(enum mw_rcv_mta mta);

/* The best name for the sending host: rdns, else helo, else ip, else "unknown". */
const char *mw_received_from_host(const struct mw_received_hop *h);

/* The protocol keyword class of a `with` value: ENCRYPTED (ESMTPS, ESMTPSA,
 * UTF8SMTPS, LMTPS, SMTPS, HTTPS...), CLEAR (SMTP, ESMTP, ESMTPA, LMTP...),
 * INTERNAL (local, local-esmtp, MAPI...) or UNKNOWN. */
enum mw_rcv_class mw_received_with_class(const char *with);

/* Is text an IPv4/IPv6 address (optionally "IPv6:"-prefixed)?  Writes the canonical
 * form into out (MW_RCV_IP_MAX bytes) when it is. */
bool	mw_received_parse_ip(const char *text, size_t len, char *out);

#endif
