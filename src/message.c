/*
 * message - header block parser.
 *
 * Deliberately a simple line scanner, in Venema's spirit: a state machine that cannot
 * loop, bounded by the configured limits, that always produces a usable header list.
 * A line that is neither a field nor a continuation ends the header block only when
 * it is empty; otherwise it is flagged and kept as a nameless field would be lost, so
 * it is skipped (SpamAssassin does the same with "header lines" lacking a colon).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "message.h"

void
mw_message_init(struct mw_message *m)
{
	memset(m, 0, sizeof(*m));
}

void
mw_message_free(struct mw_message *m)
{
	size_t i;

	for (i = 0; i < m->nheaders; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	/* The MIME model is freed by its owner (mime.c) through mw_mime_free(). */
	m->headers = NULL;
	m->nheaders = m->headers_cap = 0;
}

/* End of the line starting at p: index of '\n' or len. */
static size_t
line_end(const char *data, size_t len, size_t p)
{
	const char *nl = memchr(data + p, '\n', len - p);

	return nl ? (size_t)(nl - data) : len;
}

static bool
is_field_name_char(unsigned char c)
{
	/* RFC 5322 ftext: printable US-ASCII except colon. */
	return c > 32 && c < 127 && c != ':';
}

/* Unfold [raw, raw+n) (value part after the colon) into a new string. */
static char *
unfold(const char *raw, size_t n, size_t max, unsigned *flags, size_t *outlen)
{
	struct mw_buf b;
	size_t i = 0;

	/* Skip the leading white space after the colon, including a fold right away. */
	while (i < n && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\r' || raw[i] == '\n'))
		i++;
	mw_buf_init(&b, max);
	if (mw_buf_reserve(&b, n - i < max ? n - i : max) < 0 && !b.truncated)
		return NULL;
	for (; i < n; i++) {
		char c = raw[i];

		if (c == '\r' && i + 1 < n && raw[i + 1] == '\n')
			continue;
		if (c == '\n')
			continue;	/* the continuation line keeps its leading WSP */
		if (c == '\0') {
			*flags |= MW_MSG_NUL_BYTES;
			c = ' ';
		}
		if ((unsigned char)c >= 0x80)
			*flags |= MW_MSG_8BIT_HEADER;
		if (mw_buf_putc(&b, c) < 0) {
			if (!b.truncated) {
				mw_buf_free(&b);
				return NULL;
			}
			*flags |= MW_MSG_HEADER_TRUNCATED;
			break;
		}
	}
	/* Trailing white space is not part of the value. */
	while (b.len > 0 && (b.data[b.len - 1] == ' ' || b.data[b.len - 1] == '\t'))
		b.data[--b.len] = '\0';
	*outlen = b.len;
	return mw_buf_steal(&b);
}

static int
add_header(struct mw_message *m, const char *raw, size_t raw_len, size_t name_len,
    const struct mw_limits *lim)
{
	struct mw_header *h;
	size_t i, vlen;
	char *name, *value;

	if (m->nheaders >= lim->max_header_count) {
		m->flags |= MW_MSG_TOO_MANY_HEADERS;
		return 0;
	}
	if (m->nheaders == m->headers_cap) {
		size_t ncap = m->headers_cap ? m->headers_cap * 2 : 32;
		struct mw_header *nv;
		if (ncap > lim->max_header_count)
			ncap = lim->max_header_count;
		if ((nv = realloc(m->headers, ncap * sizeof(*nv))) == NULL)
			return -1;
		m->headers = nv;
		m->headers_cap = ncap;
	}
	for (i = name_len; i > 0 && (raw[i - 1] == ' ' || raw[i - 1] == '\t'); i--)
		;
	if ((name = strndup(raw, i)) == NULL)
		return -1;
	value = unfold(raw + name_len + 1, raw_len - name_len - 1, lim->max_header_size,
	    &m->flags, &vlen);
	if (value == NULL) {
		free(name);
		return -1;
	}
	h = &m->headers[m->nheaders];
	h->name = name;
	h->value = value;
	h->value_len = vlen;
	h->raw = raw;
	h->raw_len = raw_len;
	h->index = 1;
	for (i = 0; i < m->nheaders; i++)
		if (strcasecmp(m->headers[i].name, name) == 0)
			h->index++;
	m->nheaders++;
	return 0;
}

int
mw_message_parse(struct mw_message *m, const char *data, size_t len,
    const struct mw_limits *lim)
{
	size_t p = 0, start = 0, end, name_len = 0;
	bool in_field = false;

	mw_message_free(m);
	m->data = data;
	m->len = len;
	m->flags = 0;

	while (p < len) {
		const char *line = data + p;
		size_t e = line_end(data, len, p), content = e;

		if (content > p && data[content - 1] == '\r') {
			content--;
			m->crlf = true;
		}
		if (content == p) {
			/* The empty line: end of the header block. */
			if (in_field && add_header(m, data + start, end - start, name_len, lim) < 0)
				return -1;
			in_field = false;
			m->header_len = e < len ? e + 1 : len;
			m->body = data + m->header_len;
			m->body_len = len - m->header_len;
			return 0;
		}
		if ((*line == ' ' || *line == '\t') && in_field) {
			end = content;		/* continuation line */
		} else {
			const char *colon;
			size_t i;

			if (in_field &&
			    add_header(m, data + start, end - start, name_len, lim) < 0)
				return -1;
			in_field = false;
			colon = memchr(line, ':', content - p);
			if (colon == NULL || colon == line) {
				m->flags |= MW_MSG_MALFORMED_HEADER;
				if (memchr(line, '\0', content - p))
					m->flags |= MW_MSG_NUL_BYTES;
			} else {
				name_len = (size_t)(colon - line);
				/* "Name :" is obsolete syntax (RFC 5322 4.5.3): accept it. */
				while (name_len > 0 && (line[name_len - 1] == ' ' ||
				    line[name_len - 1] == '\t'))
					name_len--;
				for (i = 0; i < name_len; i++)
					if (!is_field_name_char((unsigned char)line[i]))
						break;
				if (name_len == 0 || i < name_len) {
					m->flags |= MW_MSG_MALFORMED_HEADER;
					if (memchr(line, '\0', content - p))
						m->flags |= MW_MSG_NUL_BYTES;
				} else {
					/* Keep name_len pointing at the colon for unfold(). */
					name_len = (size_t)(colon - line);
					in_field = true;
					start = p;
					end = content;
				}
			}
		}
		p = e < len ? e + 1 : len;
	}
	/* No empty line: everything was header (or garbage); there is no body. */
	if (in_field && add_header(m, data + start, end - start, name_len, lim) < 0)
		return -1;
	m->flags |= MW_MSG_NO_BODY;
	m->header_len = len;
	m->body = data + len;
	m->body_len = 0;
	return 0;
}

const struct mw_header *
mw_message_header(const struct mw_message *m, const char *name, size_t nth)
{
	size_t i;

	for (i = 0; i < m->nheaders; i++)
		if (strcasecmp(m->headers[i].name, name) == 0 && nth-- == 0)
			return &m->headers[i];
	return NULL;
}

size_t
mw_message_header_count(const struct mw_message *m, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < m->nheaders; i++)
		if (strcasecmp(m->headers[i].name, name) == 0)
			n++;
	return n;
}

char *
mw_message_header_join(const struct mw_message *m, const char *name, char sep)
{
	size_t i, len = 0, n = 0;
	char *s, *p;

	for (i = 0; i < m->nheaders; i++)
		if (strcasecmp(m->headers[i].name, name) == 0) {
			len += m->headers[i].value_len + 1;
			n++;
		}
	if (n == 0 || (s = malloc(len + 1)) == NULL)
		return NULL;
	p = s;
	for (i = 0; i < m->nheaders; i++)
		if (strcasecmp(m->headers[i].name, name) == 0) {
			memcpy(p, m->headers[i].value, m->headers[i].value_len);
			p += m->headers[i].value_len;
			*p++ = sep;
		}
	*p = '\0';
	return s;
}

const char *
mw_message_flag_name(unsigned bit)
{
	switch (bit) {
	case MW_MSG_MALFORMED_HEADER:	return "malformed_header";
	case MW_MSG_NUL_BYTES:		return "nul_bytes";
	case MW_MSG_HEADER_TRUNCATED:	return "header_truncated";
	case MW_MSG_TOO_MANY_HEADERS:	return "too_many_headers";
	case MW_MSG_NO_BODY:		return "no_body";
	case MW_MSG_8BIT_HEADER:	return "8bit_header";
	case MW_MSG_MIME_MALFORMED:	return "mime_malformed";
	case MW_MSG_MIME_TRUNCATED:	return "mime_truncated";
	}
	return "unknown";
}
