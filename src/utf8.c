/*
 * utf8 - UTF-8 validation (RFC 3629: no overlongs, no surrogates, max U+10FFFF).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "utf8.h"

size_t
mw_utf8_valid_prefix(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len, i;
	unsigned int cp;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		len = 2; cp = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		len = 3; cp = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		len = 4; cp = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

bool
mw_utf8_valid(const char *s, size_t n)
{
	size_t i = 0, l;

	while (i < n) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		if ((l = mw_utf8_valid_prefix(s + i, n - i)) == 0)
			return false;
		i += l;
	}
	return true;
}

char *
mw_utf8_sanitize(const char *s, size_t n, size_t *outlen)
{
	struct mw_buf b;
	size_t i = 0, l;

	mw_buf_init(&b, 0);
	if (mw_buf_reserve(&b, n) < 0)
		return NULL;
	while (i < n) {
		l = mw_utf8_valid_prefix(s + i, n - i);
		if (l == 0) {
			if (mw_buf_append(&b, "\xEF\xBF\xBD", 3) < 0)
				goto fail;
			i++;
		} else {
			if (mw_buf_append(&b, s + i, l) < 0)
				goto fail;
			i += l;
		}
	}
	if (outlen)
		*outlen = b.len;
	return mw_buf_steal(&b);
fail:
	mw_buf_free(&b);
	return NULL;
}
