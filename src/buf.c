/*
 * buf - growable byte buffer with a cap; JSON and log escaping.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "utf8.h"

void
mw_buf_init(struct mw_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max ? max : SIZE_MAX - 1;
}

void
mw_buf_free(struct mw_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->truncated = false;
}

void
mw_buf_reset(struct mw_buf *b)
{
	b->len = 0;
	b->truncated = false;
	if (b->data)
		b->data[0] = '\0';
}

int
mw_buf_reserve(struct mw_buf *b, size_t extra)
{
	size_t need, ncap;
	char *p;

	if (extra > b->max - b->len) {
		b->truncated = true;
		errno = ERANGE;
		return -1;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if ((p = realloc(b->data, ncap)) == NULL)
		return -1;
	b->data = p;
	b->cap = ncap;
	b->data[b->len] = '\0';	/* NUL-terminated even before the first write */
	return 0;
}

int
mw_buf_append(struct mw_buf *b, const void *p, size_t n)
{
	if (mw_buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
mw_buf_puts(struct mw_buf *b, const char *s)
{
	return mw_buf_append(b, s, strlen(s));
}

int
mw_buf_putc(struct mw_buf *b, char c)
{
	return mw_buf_append(b, &c, 1);
}

int
mw_buf_vprintf(struct mw_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return -1;
	if (mw_buf_reserve(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
mw_buf_printf(struct mw_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = mw_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

char *
mw_buf_steal(struct mw_buf *b)
{
	char *p;

	if (b->data == NULL && mw_buf_reserve(b, 0) < 0)
		return NULL;
	p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

int
mw_buf_json_str(struct mw_buf *b, const char *s, size_t n)
{
	size_t i = 0;

	if (mw_buf_putc(b, '"') < 0)
		return -1;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t clen;

		if (c < 0x80) {
			int rc;
			switch (c) {
			case '"':  rc = mw_buf_puts(b, "\\\""); break;
			case '\\': rc = mw_buf_puts(b, "\\\\"); break;
			case '\n': rc = mw_buf_puts(b, "\\n"); break;
			case '\r': rc = mw_buf_puts(b, "\\r"); break;
			case '\t': rc = mw_buf_puts(b, "\\t"); break;
			default:
				rc = c < 0x20 || c == 0x7f ?
				    mw_buf_printf(b, "\\u%04x", c) : mw_buf_putc(b, (char)c);
			}
			if (rc < 0)
				return -1;
			i++;
			continue;
		}
		clen = mw_utf8_valid_prefix(s + i, n - i);
		if (clen == 0) {
			if (mw_buf_puts(b, "\xEF\xBF\xBD") < 0)
				return -1;
			i++;
			continue;
		}
		if (mw_buf_append(b, s + i, clen) < 0)
			return -1;
		i += clen;
	}
	return mw_buf_putc(b, '"');
}

int
mw_buf_log_value(struct mw_buf *b, const char *s, size_t n)
{
	size_t i;

	if (s == NULL || n == 0)
		return mw_buf_putc(b, '-');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int rc;

		if (c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=')
			rc = mw_buf_putc(b, (char)c);
		else
			rc = mw_buf_printf(b, "\\x%02X", c);
		if (rc < 0)
			return -1;
	}
	return 0;
}
