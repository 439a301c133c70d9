/*
 * charset - conversion of message text to UTF-8 with iconv(3).
 *
 * iconv is driven by hand rather than with "//IGNORE" or "//TRANSLIT": glibc's
 * //IGNORE reports failure at the end and loses the count, and we want each bad
 * byte to become exactly one U+FFFD so rules see that something was there.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "utf8.h"

#define REPLACEMENT	"\xEF\xBF\xBD"

/* Labels mail software writes that glibc does not know, or knows as a narrower
 * charset than the senders actually use (as web browsers also treat them). */
static const struct {
	const char *label;
	const char *iconv_name;
} aliases[] = {
	{ "iso-8859-1", "WINDOWS-1252" }, { "iso8859-1", "WINDOWS-1252" },
	{ "iso_8859-1", "WINDOWS-1252" }, { "latin1", "WINDOWS-1252" },
	{ "latin-1", "WINDOWS-1252" }, { "l1", "WINDOWS-1252" }, { "cp819", "WINDOWS-1252" },
	{ "x-user-defined", "WINDOWS-1252" }, { "cp-1252", "WINDOWS-1252" },
	{ "iso-8859-9", "WINDOWS-1254" }, { "latin5", "WINDOWS-1254" },
	{ "ks_c_5601-1987", "CP949" }, { "ks_c_5601", "CP949" }, { "ksc5601", "CP949" },
	{ "ks_c_5601-1989", "CP949" }, { "euc-kr", "CP949" }, { "x-euc-kr", "CP949" },
	{ "shift_jis", "CP932" }, { "shift-jis", "CP932" }, { "x-sjis", "CP932" },
	{ "sjis", "CP932" }, { "ms_kanji", "CP932" }, { "csshiftjis", "CP932" },
	{ "windows-31j", "CP932" }, { "x-euc-jp", "EUC-JP" },
	{ "gb2312", "GB18030" }, { "gbk", "GB18030" }, { "x-gbk", "GB18030" },
	{ "cn-gb", "GB18030" }, { "euc-cn", "GB18030" }, { "csgb2312", "GB18030" },
	{ "big5", "BIG5-HKSCS" }, { "x-x-big5", "BIG5-HKSCS" }, { "cn-big5", "BIG5-HKSCS" },
	{ "iso-8859-8-i", "ISO-8859-8" }, { "iso-8859-6-i", "ISO-8859-6" },
	{ "unicode-1-1-utf-7", "UTF-7" }, { "utf7", "UTF-7" },
	{ "utf8", "UTF-8" }, { "x-unicode20utf8", "UTF-8" }, { "unicode-1-1-utf-8", "UTF-8" },
	{ "tis-620", "CP874" }, { "windows-874", "CP874" }, { "iso-8859-11", "CP874" },
	{ "x-mac-roman", "MACINTOSH" }, { "macintosh", "MACINTOSH" }, { "mac", "MACINTOSH" },
	{ "unicode", "UTF-16" }, { "ucs-2", "UTF-16" }, { "csunicode", "UTF-16" },
	{ "ascii", "US-ASCII" }, { "us-ascii", "US-ASCII" }, { "ansi_x3.4-1968", "US-ASCII" },
	{ "iso646-us", "US-ASCII" }, { "us", "US-ASCII" },
};

const char *
mw_charset_canonical(const char *label, char *out, size_t outsz)
{
	size_t i, j = 0;

	if (outsz == 0)
		return out;
	/* Trim quotes and white space; lower-case. */
	while (*label && (isspace((unsigned char)*label) || *label == '"' || *label == '\''))
		label++;
	for (i = 0; label[i] && j + 1 < outsz; i++) {
		unsigned char c = (unsigned char)label[i];

		if (isspace(c) || c == '"' || c == '\'' || c == ';')
			break;
		out[j++] = (char)tolower(c);
	}
	out[j] = '\0';
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(out, aliases[i].label) == 0) {
			snprintf(out, outsz, "%s", aliases[i].iconv_name);
			break;
		}
	return out;
}

static bool
all_ascii(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

/*
 * Append up to n bytes, cut at a character boundary when the cap is reached.
 * Returns 0, 1 when the cap was reached, -1 on ENOMEM.
 */
static int
append_bounded(struct mw_buf *out, const char *s, size_t n, struct mw_charset_result *res)
{
	size_t room = out->max - out->len;

	if (n > room) {
		n = room;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		res->flags |= MW_CHARSET_TRUNCATED;
		out->truncated = true;
		if (n == 0)
			return 1;
		return mw_buf_append(out, s, n) < 0 ? -1 : 1;
	}
	return mw_buf_append(out, s, n) < 0 ? -1 : 0;
}

static int
utf8_copy(const char *in, size_t n, struct mw_buf *out, struct mw_charset_result *res)
{
	size_t i = 0, start = 0, l;
	int rc;

	while (i < n) {
		if ((unsigned char)in[i] < 0x80) {
			i++;
			continue;
		}
		if ((l = mw_utf8_valid_prefix(in + i, n - i)) != 0) {
			i += l;
			continue;
		}
		if ((rc = append_bounded(out, in + start, i - start, res)) != 0)
			return rc < 0 ? -1 : 0;
		if ((rc = append_bounded(out, REPLACEMENT, 3, res)) != 0)
			return rc < 0 ? -1 : 0;
		res->flags |= MW_CHARSET_REPLACED;
		res->replaced++;
		start = ++i;
	}
	return append_bounded(out, in + start, n - start, res) < 0 ? -1 : 0;
}

/* Which UTF-16 byte order does BOM-less text look like?  ASCII-heavy text has its
 * zero bytes at odd offsets in little-endian. */
static const char *
utf16_order(const char *in, size_t n, bool utf32)
{
	size_t i, even = 0, odd = 0;

	if (n >= 2 && !utf32) {
		if ((unsigned char)in[0] == 0xFF && (unsigned char)in[1] == 0xFE)
			return "UTF-16";
		if ((unsigned char)in[0] == 0xFE && (unsigned char)in[1] == 0xFF)
			return "UTF-16";
	}
	if (utf32)
		return "UTF-32";
	for (i = 0; i + 1 < n && i < 4096; i += 2) {
		even += in[i] == 0;
		odd += in[i + 1] == 0;
	}
	return odd > even ? "UTF-16LE" : "UTF-16BE";
}

/* Guess the charset of undeclared or mislabelled text. */
static const char *
sniff(const char *in, size_t n)
{
	const unsigned char *u = (const unsigned char *)in;

	if (n >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
		return "UTF-8";
	if (n >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF)))
		return "UTF-16";
	if (all_ascii(in, n)) {
		/* 7-bit, but ISO-2022-JP shifts with ESC $ B / ESC $ @. */
		if (memmem(in, n, "\x1b$B", 3) || memmem(in, n, "\x1b$@", 3))
			return "ISO-2022-JP";
		return "US-ASCII";
	}
	if (mw_utf8_valid(in, n))
		return "UTF-8";
	/* windows-1252 maps (nearly) every byte, so nothing is lost. */
	return "WINDOWS-1252";
}

static int
convert(iconv_t cd, const char *in, size_t n, struct mw_buf *out,
    struct mw_charset_result *res, size_t unit)
{
	char chunk[16384];
	char *ip = (char *)in;
	size_t inleft = n;
	int rc;

	for (;;) {
		char *op = chunk;
		size_t outleft = sizeof(chunk);
		size_t r = iconv(cd, inleft ? &ip : NULL, inleft ? &inleft : NULL, &op, &outleft);
		int err = r == (size_t)-1 ? errno : 0;

		if ((rc = append_bounded(out, chunk, sizeof(chunk) - outleft, res)) != 0)
			return rc < 0 ? -1 : 0;
		if (err == E2BIG)
			continue;
		if (err == EILSEQ || err == EINVAL) {
			size_t skip = unit < inleft ? unit : inleft;

			if ((rc = append_bounded(out, REPLACEMENT, 3, res)) != 0)
				return rc < 0 ? -1 : 0;
			res->flags |= MW_CHARSET_REPLACED;
			res->replaced += skip;
			ip += skip;
			inleft -= skip;
			if (err == EINVAL && inleft == 0)
				break;	/* incomplete sequence at the end */
			continue;
		}
		if (err != 0)
			return -1;
		if (inleft == 0) {
			/* Flush the shift state of stateful charsets (done once r != -1). */
			op = chunk;
			outleft = sizeof(chunk);
			if (iconv(cd, NULL, NULL, &op, &outleft) != (size_t)-1 &&
			    append_bounded(out, chunk, sizeof(chunk) - outleft, res) < 0)
				return -1;
			break;
		}
	}
	return 0;
}

/*
 * iconv descriptors are cached per thread: glibc loads a gconv module on every
 * iconv_open and unloads it on the last iconv_close, so opening per part means a
 * dlopen/dlclose per part under a process-wide lock.  A descriptor is only ever
 * used by its own thread, as iconv requires.
 */
#define ICONV_CACHE	8

struct iconv_cache {
	struct {
		char	 name[48];
		iconv_t	 cd;
		unsigned long used;
	} e[ICONV_CACHE];
	unsigned long clock;
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void
cache_free(void *p)
{
	struct iconv_cache *c = p;
	size_t i;

	for (i = 0; i < ICONV_CACHE; i++)
		if (c->e[i].name[0])
			iconv_close(c->e[i].cd);
	free(c);
}

static void
cache_init(void)
{
	if (pthread_key_create(&cache_key, cache_free) != 0)
		cache_key = (pthread_key_t)-1;
}

/* A descriptor from name to UTF-8, reset to its initial state; (iconv_t)-1 with
 * errno EINVAL for an unknown charset.  *owned: the caller must iconv_close it. */
static iconv_t
cd_get(const char *name, bool *owned)
{
	struct iconv_cache *c;
	size_t i, victim = 0;
	iconv_t cd;

	*owned = false;
	pthread_once(&cache_once, cache_init);
	c = cache_key == (pthread_key_t)-1 ? NULL : pthread_getspecific(cache_key);
	if (c == NULL && cache_key != (pthread_key_t)-1 && (c = calloc(1, sizeof(*c))) != NULL &&
	    pthread_setspecific(cache_key, c) != 0) {
		free(c);
		c = NULL;
	}
	if (c == NULL || strlen(name) >= sizeof(c->e[0].name)) {
		*owned = true;
		return iconv_open("UTF-8", name);
	}
	for (i = 0; i < ICONV_CACHE; i++) {
		if (c->e[i].name[0] && strcasecmp(c->e[i].name, name) == 0) {
			c->e[i].used = ++c->clock;
			iconv(c->e[i].cd, NULL, NULL, NULL, NULL);
			return c->e[i].cd;
		}
		if (c->e[i].used < c->e[victim].used)
			victim = i;
	}
	if ((cd = iconv_open("UTF-8", name)) == (iconv_t)-1)
		return cd;
	if (c->e[victim].name[0])
		iconv_close(c->e[victim].cd);
	snprintf(c->e[victim].name, sizeof(c->e[victim].name), "%s", name);
	c->e[victim].cd = cd;
	c->e[victim].used = ++c->clock;
	return cd;
}

static int
convert_named(const char *name, const char *in, size_t n, struct mw_buf *out,
    struct mw_charset_result *res, bool *known)
{
	iconv_t cd;
	size_t unit = 1;
	bool owned;
	int rc;

	*known = true;
	snprintf(res->used, sizeof(res->used), "%s", name);
	if (strcasecmp(name, "UTF-8") == 0 || strcasecmp(name, "US-ASCII") == 0) {
		/* A BOM is not text. */
		if (n >= 3 && memcmp(in, "\xEF\xBB\xBF", 3) == 0) {
			in += 3;
			n -= 3;
		}
		return utf8_copy(in, n, out, res);
	}
	if (strncasecmp(name, "UTF-16", 6) == 0 || strncasecmp(name, "UCS-2", 5) == 0)
		unit = 2;
	else if (strncasecmp(name, "UTF-32", 6) == 0 || strncasecmp(name, "UCS-4", 5) == 0)
		unit = 4;
	if ((cd = cd_get(name, &owned)) == (iconv_t)-1) {
		if (errno == EINVAL) {
			*known = false;
			return 0;
		}
		return -1;
	}
	rc = convert(cd, in, n, out, res, unit);
	if (owned)
		iconv_close(cd);
	return rc;
}

/*
 * glibc's converters can emit sequences RFC 3629 forbids (its UTF-8 decoder takes
 * 0xF5.. lead bytes, so "UTF-8" -> "UTF-8" passes them on).  Replace whatever
 * is not valid in out[start..] so the promise "valid UTF-8" holds.
 */
static int
revalidate(struct mw_buf *out, size_t start, struct mw_charset_result *res)
{
	char *clean;
	size_t clean_len;

	if (mw_utf8_valid(out->data + start, out->len - start))
		return 0;
	if ((clean = mw_utf8_sanitize(out->data + start, out->len - start, &clean_len)) == NULL)
		return -1;
	out->len = start;
	out->data[start] = '\0';
	res->flags |= MW_CHARSET_REPLACED;
	res->replaced++;
	if (append_bounded(out, clean, clean_len, res) < 0) {
		free(clean);
		return -1;
	}
	free(clean);
	return 0;
}

static int
to_utf8(const char *charset, const char *in, size_t n, struct mw_buf *out,
    struct mw_charset_result *res)
{
	char name[48];
	size_t start = out->len;
	bool known;

	memset(res, 0, sizeof(*res));
	if (charset == NULL || *mw_charset_canonical(charset, name, sizeof(name)) == '\0') {
		res->flags |= MW_CHARSET_SNIFFED;
		snprintf(name, sizeof(name), "%s", sniff(in, n));
	} else if (strcmp(name, "US-ASCII") == 0 && !all_ascii(in, n)) {
		/* 8-bit text labelled ASCII: a mislabel, not an error. */
		res->flags |= MW_CHARSET_MISMATCH;
		snprintf(name, sizeof(name), "%s", sniff(in, n));
	}
	if (strcasecmp(name, "UTF-16") == 0 || strcasecmp(name, "UTF-32") == 0)
		snprintf(name, sizeof(name), "%s", utf16_order(in, n, name[4] == '3'));
	if (convert_named(name, in, n, out, res, &known) < 0)
		return -1;
	if (!known) {
		res->flags |= MW_CHARSET_UNKNOWN;
		if (convert_named(sniff(in, n), in, n, out, res, &known) < 0)
			return -1;
		return 0;
	}
	/* Declared wrongly?  Many failures on text that is valid UTF-8: take UTF-8. */
	if (res->replaced > 0 &&
	    strcasecmp(res->used, "UTF-8") != 0 && !all_ascii(in, n) && mw_utf8_valid(in, n)) {
		unsigned keep = res->flags & MW_CHARSET_SNIFFED;

		out->len = start;
		if (out->data)
			out->data[start] = '\0';
		out->truncated = false;
		memset(res, 0, sizeof(*res));
		res->flags = keep | MW_CHARSET_MISMATCH;
		return convert_named("UTF-8", in, n, out, res, &known);
	}
	return 0;
}

int
mw_charset_to_utf8(const char *charset, const char *in, size_t n, struct mw_buf *out,
    struct mw_charset_result *res)
{
	size_t start = out->len;

	if (to_utf8(charset, in, n, out, res) < 0)
		return -1;
	return out->len > start ? revalidate(out, start, res) : 0;
}

int
mw_charset_from_html_meta(const char *html, size_t n, char *out, size_t outsz)
{
	size_t i, lim = n < 4096 ? n : 4096;
	size_t j;

	/* <meta charset="x"> and <meta http-equiv=content-type content="...; charset=x">
	 * both carry "charset=" followed by the name. */
	for (i = 0; i + 8 <= lim; i++) {
		if (strncasecmp(html + i, "charset=", 8) != 0)
			continue;
		i += 8;
		while (i < lim && (html[i] == '"' || html[i] == '\'' || html[i] == ' '))
			i++;
		for (j = 0; i < lim && j + 1 < outsz; i++) {
			unsigned char c = (unsigned char)html[i];

			if (!(isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':'))
				break;
			out[j++] = (char)tolower(c);
		}
		if (outsz)
			out[j] = '\0';
		return j ? 0 : -1;
	}
	return -1;
}
