/*
 * tls - the TLS audit stage: how did this message travel?
 *
 * This hop comes from the MTA's macros (an absent {tls_version} means clear text).
 * Earlier hops come from the Received chain (received.h): fields written by our own
 * hosts (the MTA's j macro, the configured hostname, tls_own_hosts) are trusted;
 * everything below the first field written by another host is a claim and is
 * reported as one.  The result goes into v->tls; per the recipient's tls_warn the
 * stage adds X-Mailwarden-TLS and tags the Subject of clear-text mail.
 */
#ifndef MW_TLS_H
#define MW_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "diag.h"
#include "envelope.h"
#include "received.h"
#include "scan.h"
#include "verdict.h"

#define MW_TLS_HEADER		"X-Mailwarden-TLS"
#define MW_TLS_MAX_NETWORKS	64

struct mw_tls_network {
	int	 af;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned prefix;
};

/* Our view of which Received fields we wrote and which networks are ours. */
struct mw_tls_trust {
	const char *own_hosts[3];	/* j macro, our hostname, tls_own_hosts (list) */
	struct mw_tls_network nets[MW_TLS_MAX_NETWORKS];
	size_t	 nnets;
	const char *client_addr;	/* this hop's client, to recognise our own field */
};

/* The stage, called by mw_scan().  -1 only on ENOMEM. */
int	mw_tls_audit(struct mw_scan_ctx *ctx);

/* This hop from the macros.  Postfix sends {cert_subject} only for a verified client
 * certificate and has no {verify}; Sendmail's {verify} says OK when it verified. */
void	mw_tls_this_hop(const struct mw_tls_macros *m, struct mw_tls_result *r);

/* Earlier hops: count and classify the chain below our own field into r. */
void	mw_tls_earlier_hops(struct mw_received_chain *c, const struct mw_tls_trust *t,
	    struct mw_tls_result *r);

/* The X-Mailwarden-TLS value for a result ("none; this message reached our server
 * unencrypted", ...).  -1 when the buffer refused. */
int	mw_tls_header_value(const struct mw_tls_result *r, struct mw_buf *out);

/* Parse a list of networks ("127.0.0.0/8 ::1/128, 10.1.2.3") into t->nets.
 * Returns -1 and a reason on the first bad entry. */
int	mw_tls_parse_networks(const char *list, struct mw_tls_trust *t, char *why,
	    size_t whylen);

/* Configuration check for the generation build: reports bad TLS options to diag. */
void	mw_tls_conf_check(const struct mw_conf *c, struct mw_diag *diag);

#endif
