/*
 * uri - URI extraction from text and normalisation.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "uri.h"
#include "utf8.h"

#define MAX_URI_LEN	8192	/* longer candidates are cut: rules need no more */

void
mw_uri_clear(struct mw_uri *u)
{
	if (u == NULL)
		return;
	free(u->uri);
	free(u->host);
	memset(u, 0, sizeof(*u));
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool
is_unreserved(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* One component of a numeric host: decimal, 0octal or 0xhex. */
static bool
ip_part(const char *s, size_t n, uint64_t *v, bool *plain)
{
	unsigned base = 10;
	size_t i = 0;

	*v = 0;
	*plain = true;
	if (n == 0)
		return false;
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
		*plain = false;
	} else if (n >= 2 && s[0] == '0') {
		base = 8;
		i = 1;
		*plain = false;
	}
	for (; i < n; i++) {
		int d = hexval((unsigned char)s[i]);

		if (d < 0 || (unsigned)d >= base)
			return false;
		*v = *v * base + (unsigned)d;
		if (*v > 0xffffffffULL)
			return false;
	}
	return true;
}

int
mw_uri_parse_ipv4(const char *host, size_t n, char *out)
{
	uint64_t part[4], addr;
	size_t np = 0, i, start = 0;
	bool plain_all = true, plain;

	if (n > 0 && host[n - 1] == '.')
		n--;
	if (n == 0 || n > 64)
		return -1;
	for (i = 0; i <= n; i++) {
		if (i < n && host[i] != '.')
			continue;
		if (np == 4 || !ip_part(host + start, i - start, &part[np], &plain))
			return -1;
		plain_all = plain_all && plain;
		np++;
		start = i + 1;
	}
	/* a.b.c.d; a.b.c (c = 16 bits); a.b (b = 24 bits); a (32 bits) */
	for (i = 0; i + 1 < np; i++)
		if (part[i] > 255)
			return -1;
	if (part[np - 1] >= (1ULL << (8 * (5 - np))))
		return -1;
	addr = part[np - 1];
	for (i = 0; i + 1 < np; i++)
		addr |= part[i] << (8 * (3 - i));
	snprintf(out, 16, "%u.%u.%u.%u", (unsigned)(addr >> 24) & 255,
	    (unsigned)(addr >> 16) & 255, (unsigned)(addr >> 8) & 255, (unsigned)addr & 255);
	return np == 4 && plain_all ? 0 : 1;
}

/* Copy s with tab/CR/LF removed (browsers drop them inside URLs) and outer white
 * space and quotes trimmed. */
static char *
clean_copy(const char *s, size_t n, size_t *outlen)
{
	char *p;
	size_t i, j = 0;

	while (n > 0 && (isspace((unsigned char)*s) || *s == '"' || *s == '\'')) {
		s++;
		n--;
	}
	while (n > 0 && (isspace((unsigned char)s[n - 1]) || s[n - 1] == '"' || s[n - 1] == '\''))
		n--;
	if (n > MAX_URI_LEN) {
		n = MAX_URI_LEN;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;		/* never cut a character in two */
	}
	if ((p = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (s[i] != '\t' && s[i] != '\r' && s[i] != '\n' && s[i] != '\0')
			p[j++] = s[i];
	p[j] = '\0';
	*outlen = j;
	return p;
}

static size_t
scheme_len(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !isalpha((unsigned char)s[0]))
		return 0;
	for (i = 1; i < n && i < 32; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ':')
			return i;
		if (!isalnum(c) && c != '+' && c != '-' && c != '.')
			return 0;
	}
	return 0;
}

static int
put_lower(struct mw_buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (mw_buf_putc(b, (char)tolower((unsigned char)s[i])) < 0)
			return -1;
	return 0;
}

/* Path, query, fragment: decode only escapes of unreserved characters. */
static int
put_path(struct mw_buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < n && (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)s[i + 2])) >= 0 && is_unreserved(hi * 16 + lo)) {
			if (mw_buf_putc(b, (char)(hi * 16 + lo)) < 0)
				return -1;
			i += 2;
			continue;
		}
		if (mw_buf_putc(b, s[i]) < 0)
			return -1;
	}
	return 0;
}

static int
norm_mailto(const char *s, size_t n, struct mw_uri *out, struct mw_buf *b)
{
	const char *at = memchr(s, '@', n);
	size_t end = n, i;

	for (i = 0; i < n; i++)
		if (s[i] == '?') {
			end = i;
			break;
		}
	if (at == NULL || (size_t)(at - s) >= end)
		at = NULL;
	if (mw_buf_puts(b, "mailto:") < 0 || mw_buf_append(b, s, at ? (size_t)(at - s) + 1 : end) < 0)
		return -1;
	if (at && put_lower(b, at + 1, end - (size_t)(at - s) - 1) < 0)
		return -1;
	if (mw_buf_append(b, s + end, n - end) < 0)
		return -1;
	if ((out->host = strndup(at ? at + 1 : "", at ? end - (size_t)(at - s) - 1 : 0)) == NULL)
		return -1;
	for (i = 0; out->host[i]; i++)
		out->host[i] = (char)tolower((unsigned char)out->host[i]);
	return 0;
}

/* local@domain.tld with nothing URI-like before the '@'. */
static bool
looks_like_address(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n), *dot;
	size_t i;

	if (at == NULL || at == s)
		return false;
	for (i = 0; s + i < at; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] == ' ')
			return false;
	dot = memchr(at, '.', n - (size_t)(at - s));
	return dot != NULL && dot > at + 1 && (size_t)(dot - s) + 1 < n;
}

int
mw_uri_normalize(const char *src, size_t srclen, unsigned extra_flags, struct mw_uri *out)
{
	struct mw_buf b, host;
	char *s, scheme[33];
	size_t n, sl, i, auth, auth_end, hstart, hend;
	const char *rest;
	char ip[16];
	int rc = 1, r;

	memset(out, 0, sizeof(*out));
	out->flags = extra_flags;
	if ((s = clean_copy(src, srclen, &n)) == NULL)
		return -1;
	mw_buf_init(&b, 0);
	mw_buf_init(&host, 0);

	sl = scheme_len(s, n);
	if (sl > 0) {
		for (i = 0; i < sl; i++)
			scheme[i] = (char)tolower((unsigned char)s[i]);
		scheme[sl] = '\0';
		if (strcmp(scheme, "mailto") == 0) {
			if (n == sl + 1)
				goto done;
			if (norm_mailto(s + sl + 1, n - sl - 1, out, &b) < 0)
				goto fail;
			goto keep;
		}
		/* Only hierarchical URIs with an authority: no javascript:, data:, cid:. */
		if (n < sl + 3 || (s[sl + 1] != '/' && s[sl + 1] != '\\') ||
		    (s[sl + 2] != '/' && s[sl + 2] != '\\'))
			goto done;
		auth = sl + 3;
	} else if (looks_like_address(s, n)) {
		/* "user@example.com" as SpamAssassin reads it: a mailto: URI */
		if (norm_mailto(s, n, out, &b) < 0)
			goto fail;
		goto keep;
	} else if (n >= 4 && strncasecmp(s, "www.", 4) == 0) {
		strcpy(scheme, "http");
		auth = 0;
		out->flags |= MW_URI_NO_SCHEME;
	} else if (n >= 4 && strncasecmp(s, "ftp.", 4) == 0) {
		strcpy(scheme, "ftp");
		auth = 0;
		out->flags |= MW_URI_NO_SCHEME;
	} else if (n >= 3 && s[0] == '/' && s[1] == '/' && s[2] != '/') {
		strcpy(scheme, "http");
		auth = 2;
	} else
		goto done;			/* relative reference */

	for (auth_end = auth; auth_end < n; auth_end++)
		if (s[auth_end] == '/' || s[auth_end] == '\\' || s[auth_end] == '?' ||
		    s[auth_end] == '#')
			break;
	hstart = auth;
	for (i = auth; i < auth_end; i++)
		if (s[i] == '@')
			hstart = i + 1;
	if (hstart != auth)
		out->flags |= MW_URI_USERINFO;
	hend = auth_end;
	if (hstart < auth_end && s[hstart] == '[') {
		const char *rb = memchr(s + hstart, ']', auth_end - hstart);

		hend = rb ? (size_t)(rb - s) + 1 : auth_end;
		out->flags |= MW_URI_IP;
	} else {
		for (i = auth_end; i > hstart; i--)
			if (s[i - 1] == ':') {
				hend = i - 1;
				break;
			}
	}
	/* Host: percent-decoded, lower-cased, trailing dot dropped. */
	for (i = hstart; i < hend; i++) {
		int hi, lo;
		char c = s[i];

		if (c == '%' && i + 2 < hend && (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)s[i + 2])) >= 0 && hi * 16 + lo > 0x20) {
			c = (char)(hi * 16 + lo);
			i += 2;
			out->flags |= MW_URI_ENCODED_HOST;
		}
		if (c == '\0')
			continue;
		if (mw_buf_putc(&host, (char)tolower((unsigned char)c)) < 0)
			goto fail;
	}
	while (host.len > 0 && host.data[host.len - 1] == '.')
		host.data[--host.len] = '\0';
	/* Escapes that decode to bytes which are not UTF-8 stay visible as U+FFFD. */
	if (!mw_utf8_valid(host.data ? host.data : "", host.len)) {
		size_t clean_len;
		char *clean = mw_utf8_sanitize(host.data, host.len, &clean_len);

		if (clean == NULL)
			goto fail;
		mw_buf_reset(&host);
		rc = mw_buf_append(&host, clean, clean_len);
		free(clean);
		rc = rc < 0 ? -1 : 1;
		if (rc < 0)
			goto fail;
	}
	if (host.len == 0)
		goto done;
	if (!(out->flags & MW_URI_IP) && (r = mw_uri_parse_ipv4(host.data, host.len, ip)) >= 0) {
		out->flags |= MW_URI_IP | (r == 1 ? MW_URI_OBFUSCATED_IP : 0);
		mw_buf_reset(&host);
		if (mw_buf_puts(&host, ip) < 0)
			goto fail;
	}

	if (mw_buf_printf(&b, "%s://", scheme) < 0 || mw_buf_append(&b, host.data, host.len) < 0)
		goto fail;
	if (hend < auth_end && s[hend] == ']')
		hend++;
	if (hend < auth_end && put_lower(&b, s + hend, auth_end - hend) < 0)
		goto fail;			/* ":port" */
	rest = s + auth_end;
	if ((auth_end == n || *rest == '?' || *rest == '#') && mw_buf_putc(&b, '/') < 0)
		goto fail;
	if (put_path(&b, rest, n - auth_end) < 0)
		goto fail;
	out->host = mw_buf_steal(&host);
	if (out->host == NULL)
		goto fail;
keep:
	out->len = b.len;
	if ((out->uri = mw_buf_steal(&b)) == NULL)
		goto fail;
	rc = 0;
	goto done;
fail:
	rc = -1;
	mw_uri_clear(out);
done:
	if (rc == 1)
		mw_uri_clear(out);
	mw_buf_free(&b);
	mw_buf_free(&host);
	free(s);
	return rc;
}

static bool
uri_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '<' && c != '>' && c != '"' && c != '`' &&
	    c != '{' && c != '}' && c != '|' && c != '^';
}

static size_t
trim_tail(const char *s, size_t n)
{
	while (n > 0) {
		char c = s[n - 1];

		if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' ||
		    c == '\'' || c == ']' || c == '}') {
			n--;
			continue;
		}
		if (c == ')') {
			size_t i, open = 0, close = 0;

			for (i = 0; i < n; i++) {
				open += s[i] == '(';
				close += s[i] == ')';
			}
			if (close > open) {
				n--;
				continue;
			}
		}
		break;
	}
	return n;
}

static bool
local_char(unsigned char c)
{
	return isalnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' ||
	    c == '\'' || c == '=';
}

/*
 * The address around the '@' at `at`: local part back to (not before) `floor`,
 * domain of letters, digits, '-' and at least one dot, ending in a TLD of >= 2
 * letters.  Returns true and the span [*a, *z).
 */
static bool
address_span(const char *t, size_t n, size_t at, size_t floor, size_t *a, size_t *z)
{
	size_t i = at, e = at + 1, last_dot = 0, tld;

	while (i > floor && at - i < 64 && local_char((unsigned char)t[i - 1]))
		i--;
	while (i < at && t[i] == '.')
		i++;
	if (i == at || at + 1 >= n || !isalnum((unsigned char)t[at + 1]))
		return false;
	while (e < n && e - at < 256 && (isalnum((unsigned char)t[e]) || t[e] == '-' ||
	    t[e] == '.'))
		e++;
	while (e > at + 1 && t[e - 1] == '.')
		e--;
	for (tld = at + 1; tld < e; tld++)
		if (t[tld] == '.')
			last_dot = tld;
	if (last_dot == 0 || last_dot == at + 1 || e - last_dot - 1 < 2)
		return false;
	for (tld = last_dot + 1; tld < e; tld++)
		if (!isalpha((unsigned char)t[tld]))
			return false;
	*a = i;
	*z = e;
	return true;
}

int
mw_uri_scan_text(const char *text, size_t n, mw_uri_span_fn fn, void *arg)
{
	static const struct { const char *p; size_t len; } starts[] = {
		{ "http://", 7 }, { "https://", 8 }, { "ftp://", 6 }, { "mailto:", 7 },
		{ "www.", 4 },
	};
	size_t i = 0, k, e, min, done = 0;

	while (i < n) {
		unsigned char c = (unsigned char)tolower((unsigned char)text[i]);

		if (c == '@') {
			size_t a, z;

			/* A bare address: SpamAssassin makes a mailto: URI of it. */
			if (address_span(text, n, i, done, &a, &z)) {
				if (fn(arg, text + a, z - a) < 0)
					return -1;
				i = done = z;
				continue;
			}
			i++;
			continue;
		}
		if (c != 'h' && c != 'f' && c != 'm' && c != 'w') {
			i++;
			continue;
		}
		/* must start a word */
		if (i > 0 && (isalnum((unsigned char)text[i - 1]) || text[i - 1] == '.' ||
		    text[i - 1] == '-' || text[i - 1] == '@' || text[i - 1] == '/' ||
		    text[i - 1] == '_')) {
			i++;
			continue;
		}
		for (k = 0; k < sizeof(starts) / sizeof(starts[0]); k++)
			if (n - i > starts[k].len && strncasecmp(text + i, starts[k].p, starts[k].len) == 0)
				break;
		if (k == sizeof(starts) / sizeof(starts[0])) {
			i++;
			continue;
		}
		for (e = i + starts[k].len; e < n && uri_char((unsigned char)text[e]); e++)
			;
		e = i + trim_tail(text + i, e - i);
		/* something after the prefix; "www." needs a dot in the host too */
		min = starts[k].len + 1;
		if (e - i >= min && (k != 4 || memchr(text + i + 4, '.', e - i - 4) != NULL)) {
			if (fn(arg, text + i, e - i) < 0)
				return -1;
			i = done = e;
		} else
			i += starts[k].len;
	}
	return 0;
}
