/*
 * uri - find URIs in text and normalise them for SpamAssassin-style uri rules.
 *
 * Normal form: scheme and host lower-cased; "www."/"ftp." without a scheme get
 * http:// / ftp://; user info dropped (flagged: http://bank.com@evil.example/);
 * percent-escapes decoded in the host, and in the path only where they encode an
 * unreserved character (so the meaning of the path never changes); numeric hosts
 * in decimal, octal, hex or dword form rewritten as a dotted quad and flagged.
 * No I/O, no logging.
 */
#ifndef MW_URI_H
#define MW_URI_H

#include <stddef.h>

enum mw_uri_flag {
	MW_URI_IP		= 1u << 0,	/* host is an IPv4/IPv6 literal */
	MW_URI_OBFUSCATED_IP	= 1u << 1,	/* ... written as octal/hex/dword/short */
	MW_URI_USERINFO		= 1u << 2,	/* had user@ before the host */
	MW_URI_ENCODED_HOST	= 1u << 3,	/* host contained %XX escapes */
	MW_URI_FROM_HTML	= 1u << 4,	/* came from an HTML attribute */
	MW_URI_NO_SCHEME	= 1u << 5,	/* "www.x" in text, scheme added */
	MW_URI_AS_WRITTEN	= 1u << 6,	/* the sender's spelling, kept beside the
						 * normal form (SpamAssassin matches both) */
};

struct mw_uri {
	char	*uri;		/* normalised, NUL-terminated */
	size_t	 len;
	char	*host;		/* lower-case host (dotted quad for IPs); "" for mailto: etc. */
	unsigned flags;		/* enum mw_uri_flag */
};

/*
 * Normalise one candidate (from an attribute or from text).  Returns 0 and fills
 * *out (caller frees with mw_uri_clear), 1 when the candidate is not a URI we keep
 * (relative, javascript:, empty), -1 on ENOMEM.
 */
int	mw_uri_normalize(const char *s, size_t n, unsigned extra_flags, struct mw_uri *out);
void	mw_uri_clear(struct mw_uri *u);

/* Call fn for each URI-looking span in text (http://, https://, ftp://, www.,
 * mailto:, and bare user@domain.tld addresses, which normalise to mailto:).
 * Stops and returns -1 when fn does. */
typedef int (*mw_uri_span_fn)(void *arg, const char *s, size_t n);
int	mw_uri_scan_text(const char *text, size_t n, mw_uri_span_fn fn, void *arg);

/* Parse a host as an IPv4 address in any of the forms browsers accept (a.b.c.d,
 * dword, octal 0300.0250.1.1, hex 0xc0.0xa8.1.1, short a.b.c).  Writes the dotted
 * quad to out (>= 16 bytes); returns 1 when the form was not plain dotted decimal,
 * 0 when it was, -1 when host is not an IPv4 address. */
int	mw_uri_parse_ipv4(const char *host, size_t n, char *out);

#endif
