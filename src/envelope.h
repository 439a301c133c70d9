/*
 * envelope - what the MTA told us about one transaction, independent of libmilter:
 * the connection (client, HELO, TLS macros), MAIL FROM, the recipients and the
 * queue id.  The milter shell fills it from callbacks and macros; --scan fills it
 * from command-line flags.  All strings are owned (malloc'd) by the envelope.
 */
#ifndef MW_ENVELOPE_H
#define MW_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>

/* TLS of this hop, from {tls_version} {cipher} {cipher_bits} {cert_subject}
 * {cert_issuer} (and Sendmail's {verify}).  An absent {tls_version} means clear text. */
struct mw_tls_macros {
	char	*version;
	char	*cipher;
	int	 bits;
	char	*cert_subject;
	char	*cert_issuer;
	char	*verify;
};

struct mw_envelope {
	char	*queue_id;	/* i macro; NULL until known */
	char	*mta_host;	/* j macro: the MTA's own host name */
	char	*daemon_name;
	char	*client_addr;	/* textual IPv4/IPv6 address, NULL if unknown (e.g. local) */
	char	*client_name;	/* reverse name as the MTA reported it */
	char	*helo;
	char	*auth_authen;	/* set when the client authenticated (SASL) */
	char	*mail_from;	/* without angle brackets; "" for the null sender */
	char   **rcpts;		/* without angle brackets */
	size_t	 nrcpts;
	size_t	 rcpts_cap;
	struct mw_tls_macros tls;
};

void	mw_envelope_init(struct mw_envelope *e);
/* Free every string; the envelope is re-initialised and may be reused. */
void	mw_envelope_clear(struct mw_envelope *e);
/* Forget the per-transaction part (queue id, sender, recipients), keep the connection. */
void	mw_envelope_clear_transaction(struct mw_envelope *e);
/* Replace *slot by a copy of value (NULL clears).  Returns -1 on ENOMEM. */
int	mw_envelope_set(char **slot, const char *value);
/* Strip <> and surrounding space from an SMTP path argument into *slot. */
int	mw_envelope_set_path(char **slot, const char *arg);
int	mw_envelope_add_rcpt(struct mw_envelope *e, const char *arg);
/* Forget the TLS state (a new EHLO without TLS, or a new connection). */
void	mw_envelope_clear_tls(struct mw_envelope *e);

/* The domain part of an address (after the last '@'), or "" when none. */
const char *mw_addr_domain(const char *addr);

#endif
