/*
 * eval_sa - SpamAssassin's message eval tests (issue 5).
 *
 * Behaviour follows the Perl of SpamAssassin 4.0 (HeaderEval, MIMEEval, HTMLEval,
 * Util::parse_rfc822_date), including its quirks where they change which messages
 * hit, so that the same rules score the same messages.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "envelope.h"
#include "generation.h"
#include "perlre.h"		/* PCRE2 (8-bit) */
#include "relays.h"
#include "rules_load.h"
#include "eval_sa.h"
#include "rxtab.h"
#include "html.h"
#include "imageinfo.h"
#include "mime.h"
#include "scan.h"
#include "uri.h"
#include "utf8.h"

/* --- small helpers ----------------------------------------------------------------- */

static int re_match(const char *re, const char *s);
static int re_match_once(const char *re, const char *s);
static const pcre2_code *re_cached(const char *re);
static int re_match_opt(const char *re, uint32_t opt, const char *s);
static int re_quote(struct mw_buf *b, const char *s);
static bool perl_num(const char *s, double *v);
struct mw_eval_sa_conf;
static const struct mw_eval_sa_conf *eval_conf(const struct mw_scan_ctx *ctx);
static bool locales_all(const struct mw_eval_sa_conf *c);
static bool charset_ok(const struct mw_eval_sa_conf *c, const char *cs, size_t len);

/* A numeric argument; "undef" (SpamAssassin's open bound) gives *undef = true. */
static double
num_arg(const struct mw_eval_args *a, size_t i, bool *undef)
{
	*undef = i >= a->argc || strcmp(a->argv[i], "undef") == 0;
	return *undef ? 0 : strtod(a->argv[i], NULL);
}


/* All decoded values of a field joined with "\n" (SpamAssassin's scalar get()).
 * Caller frees; NULL if absent or ENOMEM. */
static char *
joined_decoded(const struct mw_message *m, const char *name)
{
	struct mw_buf b;
	const char *v;
	size_t nth;
	char *out;

	mw_buf_init(&b, 1u << 20);
	for (nth = 0; nth < m->nheaders; nth++) {
		const struct mw_header *h = mw_message_header(m, name, nth);

		if (h == NULL)
			break;
		v = m->mime != NULL ? mw_mime_header_decoded(m, name, nth) : NULL;
		if (v == NULL)
			v = h->value;
		if ((nth > 0 && mw_buf_putc(&b, '\n') < 0) || mw_buf_puts(&b, v) < 0) {
			mw_buf_free(&b);
			return NULL;
		}
	}
	if (nth == 0) {
		mw_buf_free(&b);
		return NULL;
	}
	out = mw_buf_steal(&b);
	mw_buf_free(&b);
	return out;
}

/* Decoded value of the first `name` field, "" when absent (SpamAssassin's get()). */
static const char *
decoded(const struct mw_message *m, const char *name)
{
	const char *v = m->mime != NULL ? mw_mime_header_decoded(m, name, 0) : NULL;
	const struct mw_header *h;

	if (v != NULL)
		return v;
	h = mw_message_header(m, name, 0);
	return h != NULL ? h->value : "";
}

static bool
all_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* --- Util::parse_rfc822_date --------------------------------------------------------- */

#define DATE_MAX_TOKENS 256

struct tok {
	const char *s;
	size_t	 n;
	bool	 gone;		/* removed by an earlier substitution */
};

static const char *const months[12] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"
};

static int
month_of(const struct tok *t)
{
	int i;

	if (t->n != 3)
		return 0;
	for (i = 0; i < 12; i++)
		if (strncasecmp(t->s, months[i], 3) == 0)
			return i + 1;
	return 0;
}

static const struct { const char *name; int off; } zones[] = {
	{ "UT", 0 }, { "UTC", 0 }, { "NDT", -230 }, { "AST", -400 }, { "ADT", -300 },
	{ "NST", -330 }, { "EST", -500 }, { "EDT", -400 }, { "CST", -600 },
	{ "CDT", -500 }, { "MST", -700 }, { "MDT", -600 }, { "PST", -800 },
	{ "PDT", -700 }, { "HST", -1000 }, { "AKST", -900 }, { "AKDT", -800 },
	{ "HADT", -900 }, { "HAST", -1000 }, { "GMT", 0 }, { "BST", 100 }, { "IST", 100 },
	{ "WET", 0 }, { "WEST", 100 }, { "CET", 100 }, { "CEST", 200 }, { "EET", 200 },
	{ "EEST", 300 }, { "MSK", 300 }, { "MSD", 400 }, { "MET", 100 }, { "MEZ", 100 },
	{ "MEST", 200 }, { "MESZ", 200 }, { "BRST", -200 }, { "BRT", -300 },
};

static bool
is_word(int c)
{
	return isalnum(c) || c == '_';
}

/* The first whole word of 2-4 capital letters (with an optional "-DST") among the
 * tokens still there, looked up as a zone: +-hhmm, 0 when unknown or absent. */
static int
named_zone(const struct tok *t, size_t nt)
{
	size_t i, j;

	for (i = 0; i < nt; i++) {
		const char *s = t[i].s;
		size_t n = t[i].n;

		if (t[i].gone)
			continue;
		for (j = 0; j < n; ) {
			size_t k = j, w;
			bool caps = true;

			if (!is_word((unsigned char)s[j])) {
				j++;
				continue;
			}
			while (k < n && is_word((unsigned char)s[k])) {
				if (!isupper((unsigned char)s[k]))
					caps = false;
				k++;
			}
			w = k - j;
			if (caps && w >= 2 && w <= 4) {
				size_t z;

				/* "EST-DST" is looked up whole: not in the table */
				if (k + 4 <= n && memcmp(s + k, "-DST", 4) == 0 &&
				    (k + 4 == n || !is_word((unsigned char)s[k + 4])))
					return 0;
				for (z = 0; z < sizeof(zones) / sizeof(zones[0]); z++)
					if (strlen(zones[z].name) == w &&
					    memcmp(zones[z].name, s + j, w) == 0)
						return zones[z].off;
				return 0;
			}
			j = k;
		}
	}
	return 0;
}

/* days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm) */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static long
tok_num(const struct tok *t)
{
	char buf[16];
	size_t n = t->n < sizeof(buf) - 1 ? t->n : sizeof(buf) - 1;

	memcpy(buf, t->s, n);
	buf[n] = '\0';
	return t->n > 9 ? 999999999L : strtol(buf, NULL, 10);
}

/* hh:mm or hh:mm:ss with one- or two-digit hours, the whole token */
static bool
clock_token(const struct tok *t, long *hh, long *mm, long *ss)
{
	const char *s = t->s;
	size_t n = t->n, h;

	for (h = 0; h < n && h < 3 && isdigit((unsigned char)s[h]); h++)
		;
	if (h < 1 || h > 2 || h + 3 > n || s[h] != ':' ||
	    !isdigit((unsigned char)s[h + 1]) || !isdigit((unsigned char)s[h + 2]))
		return false;
	if (h + 3 == n) {
		*ss = 0;
	} else if (h + 6 == n && s[h + 3] == ':' && isdigit((unsigned char)s[h + 4]) &&
	    isdigit((unsigned char)s[h + 5])) {
		*ss = (s[h + 4] - '0') * 10 + (s[h + 5] - '0');
	} else {
		return false;
	}
	*hh = h == 1 ? s[0] - '0' : (s[0] - '0') * 10 + (s[1] - '0');
	*mm = (s[h + 1] - '0') * 10 + (s[h + 2] - '0');
	return true;
}

/* \d+:\d+:\d+ as a whole token */
static bool
hms_token(const struct tok *t)
{
	size_t i = 0, part;

	for (part = 0; part < 3; part++) {
		size_t start = i;

		while (i < t->n && isdigit((unsigned char)t->s[i]))
			i++;
		if (i == start)
			return false;
		if (part < 2) {
			if (i >= t->n || t->s[i] != ':')
				return false;
			i++;
		}
	}
	return i == t->n;
}

bool
mw_eval_parse_rfc822_date(const char *text, time_t *out)
{
	struct tok t[DATE_MAX_TOKENS];
	size_t nt = 0, i;
	long dd = 0, yyyy = 0, hh = 0, mm = 0, ss = 0, max_dd;
	int mon = 0, tz = 0;
	bool found = false, have_tz = false;
	size_t ylen = 0;
	long long tm;
	const char *p = text;

	/* tokens between white space and commas (", *" and \s+ become one space) */
	while (*p != '\0' && nt < DATE_MAX_TOKENS) {
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		t[nt].s = p;
		while (*p != '\0' && *p != ',' && !isspace((unsigned char)*p))
			p++;
		t[nt].n = (size_t)(p - t[nt].s);
		t[nt].gone = false;
		nt++;
	}
	/* " (\d+) (Mon) (\d{4}) " */
	for (i = 0; !found && i + 2 < nt; i++)
		if (all_digits(t[i].s, t[i].n) && (mon = month_of(&t[i + 1])) != 0 &&
		    t[i + 2].n == 4 && all_digits(t[i + 2].s, 4)) {
			dd = tok_num(&t[i]);
			yyyy = tok_num(&t[i + 2]);
			ylen = 4;
			t[i].gone = t[i + 1].gone = t[i + 2].gone = true;
			found = true;
		}
	/* " (Mon) +(\d+) \d+:\d+:\d+ (\d{4}) " (ctime style) */
	for (i = 0; !found && i + 3 < nt; i++)
		if ((mon = month_of(&t[i])) != 0 && all_digits(t[i + 1].s, t[i + 1].n) &&
		    hms_token(&t[i + 2]) && t[i + 3].n == 4 && all_digits(t[i + 3].s, 4)) {
			dd = tok_num(&t[i + 1]);
			yyyy = tok_num(&t[i + 3]);
			ylen = 4;
			t[i].gone = t[i + 1].gone = t[i + 2].gone = t[i + 3].gone = true;
			found = true;
		}
	/* " (\d+) (Mon) (\d{2,3}) " */
	for (i = 0; !found && i + 2 < nt; i++)
		if (all_digits(t[i].s, t[i].n) && (mon = month_of(&t[i + 1])) != 0 &&
		    (t[i + 2].n == 2 || t[i + 2].n == 3) && all_digits(t[i + 2].s, t[i + 2].n)) {
			dd = tok_num(&t[i]);
			yyyy = tok_num(&t[i + 2]);
			ylen = t[i + 2].n;
			t[i].gone = t[i + 1].gone = t[i + 2].gone = true;
			found = true;
		}
	if (!found)
		return false;
	if (ylen == 2 && yyyy < 50)
		yyyy += 2000;
	else if (ylen != 4)
		yyyy += 1900;
	for (i = 0; i < nt; i++)
		if (!t[i].gone && clock_token(&t[i], &hh, &mm, &ss)) {
			t[i].gone = true;
			break;
		}
	for (i = 0; i < nt; i++)
		if (!t[i].gone && t[i].n == 5 && (t[i].s[0] == '+' || t[i].s[0] == '-') &&
		    all_digits(t[i].s + 1, 4)) {
			tz = (int)tok_num(&(struct tok){ t[i].s + 1, 4, false });
			if (t[i].s[0] == '-')
				tz = -tz;
			have_tz = true;
			t[i].gone = true;
			break;
		}
	if (!have_tz)
		tz = named_zone(t, nt);

	if (ss > 59)
		ss = 59;
	if (mm > 59)
		mm = 59;
	if (hh > 23)
		hh = 23;
	max_dd = 31;
	if (mon == 4 || mon == 6 || mon == 9 || mon == 11)
		max_dd = 30;
	else if (mon == 2)
		max_dd = (yyyy % 4 == 0 && (yyyy % 100 != 0 || yyyy % 400 == 0)) ? 29 : 28;
	if (dd > max_dd) {
		dd = 1;
		if (++mon > 12) {
			mon = 1;
			yyyy++;
		}
	}
	if (yyyy > 2037)
		yyyy = 2037;
	else if (yyyy < 1970)
		yyyy = 1970;
	if (dd < 1)
		return false;	/* Time::Local refuses day 0 */
	tm = days_from_civil(yyyy, (unsigned)mon, (unsigned)dd) * 86400LL +
	    hh * 3600 + mm * 60 + ss;
	{
		long long off = (long long)((abs(tz) / 100) * 60 + abs(tz) % 100) * 60;

		if (tz < 0)
			tm += off;
		else if (tm < off)
			tm = 0;
		else
			tm -= off;
	}
	*out = (time_t)tm;
	return true;
}

/* --- dates: check_for_shifted_date, check_outlook_message_id ----------------------- */

/* SpamAssassin's /(\s.?\d+ \S\S\S \d+ \d+:\d+:\d+ \S+)/ on one Received value:
 * the start and end of the first match, false when there is none. */
static bool
received_date_span(const char *s, size_t *start, size_t *end)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		size_t skip;

		if (!isspace((unsigned char)s[i]))
			continue;
		for (skip = 1; skip <= 2; skip++) {	/* ".?" greedy: one char, then none */
			size_t k = i + (skip == 1 ? 2 : 1), d, part;

			if (skip == 1 && (s[i + 1] == '\0' || s[i + 1] == '\n'))
				continue;
			for (d = k; isdigit((unsigned char)s[d]); d++)
				;
			if (d == k || s[d] != ' ')
				continue;
			k = d + 1;
			if (s[k] == '\0' || isspace((unsigned char)s[k]) || s[k + 1] == '\0' ||
			    isspace((unsigned char)s[k + 1]) || s[k + 2] == '\0' ||
			    isspace((unsigned char)s[k + 2]) || s[k + 3] != ' ')
				continue;
			k += 4;
			for (d = k; isdigit((unsigned char)s[d]); d++)
				;
			if (d == k || s[d] != ' ')
				continue;
			k = d + 1;
			for (part = 0; part < 3; part++) {
				for (d = k; isdigit((unsigned char)s[d]); d++)
					;
				if (d == k)
					break;
				k = d;
				if (part < 2) {
					if (s[k] != ':')
						break;
					k++;
				}
			}
			if (part < 3 || s[k] != ' ' || s[k + 1] == '\0' ||
			    isspace((unsigned char)s[k + 1]))
				continue;
			k++;
			while (s[k] != '\0' && !isspace((unsigned char)s[k]))
				k++;
			*start = i;
			*end = k;
			return true;
		}
	}
	return false;
}

/* A field's value as SpamAssassin's header() gives it: each fold (line break and
 * the blanks after it) one space, trimmed.  Caller frees; NULL on ENOMEM. */
static char *
sa_unfold(const struct mw_header *h)
{
	const char *v = memchr(h->raw, ':', h->raw_len), *end = h->raw + h->raw_len;
	char *out, *o;

	v = v != NULL ? v + 1 : end;
	if ((out = malloc((size_t)(end - v) + 1)) == NULL)
		return NULL;
	o = out;
	while (v < end && isspace((unsigned char)*v))
		v++;
	while (v < end) {
		if (*v == '\r' && v + 1 < end && v[1] == '\n')
			v++;
		if (*v == '\n') {
			v++;
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			*o++ = ' ';
			continue;
		}
		*o++ = *v == '\0' ? ' ' : *v;
		v++;
	}
	while (o > out && isspace((unsigned char)o[-1]))
		o--;
	*o = '\0';
	return out;
}

static bool
received_time(const char *value, time_t *t)
{
	size_t a, b;
	char buf[256];

	if (!received_date_span(value, &a, &b) || b - a >= sizeof(buf))
		return false;
	memcpy(buf, value + a, b - a);
	buf[b - a] = '\0';
	return mw_eval_parse_rfc822_date(buf, t);
}

static bool
word_before(const char *s, const char *at)
{
	return at == s || !is_word((unsigned char)at[-1]);
}

/* \bfrom (?:localhost\s|(?:\S+ ){1,2}\S*\b127\.0\.0\.1\b) */
static bool
fetchmail_local(const char *s)
{
	const char *p;

	for (p = strstr(s, "from "); p != NULL; p = strstr(p + 1, "from ")) {
		const char *q = p + 5, *tok;
		int words;

		if (!word_before(s, p))
			continue;
		if (strncmp(q, "localhost", 9) == 0 && isspace((unsigned char)q[9]))
			return true;
		/* one or two "\S+ " words, then a word holding 127.0.0.1 */
		tok = q;
		for (words = 0; words < 2; words++) {
			const char *e = tok, *ip;

			while (*e != '\0' && !isspace((unsigned char)*e))
				e++;
			if (e == tok || *e != ' ')
				break;
			tok = e + 1;
			for (e = tok; *e != '\0' && !isspace((unsigned char)*e); e++)
				;
			for (ip = tok; ip + 9 <= e; ip++)
				if (memcmp(ip, "127.0.0.1", 9) == 0 &&
				    (ip == tok || !is_word((unsigned char)ip[-1])) &&
				    (ip + 9 == e || !is_word((unsigned char)ip[9])))
					return true;
		}
	}
	return false;
}

/* qmail \d+ invoked by uid \d+ */
static bool
qmail_invoked(const char *s)
{
	const char *p;

	for (p = strstr(s, "qmail "); p != NULL; p = strstr(p + 1, "qmail ")) {
		const char *q = p + 6;

		if (!isdigit((unsigned char)*q))
			continue;
		while (isdigit((unsigned char)*q))
			q++;
		if (strncmp(q, " invoked by uid ", 16) == 0 && isdigit((unsigned char)q[16]))
			return true;
	}
	return false;
}

/* \bby localhost with \w+ \(fetchmail-[\d.]+ */
static bool
fetchmail_by(const char *s)
{
	const char *p;

	for (p = strstr(s, "by localhost with "); p != NULL;
	    p = strstr(p + 1, "by localhost with ")) {
		const char *q = p + 18;

		if (!word_before(s, p) || !is_word((unsigned char)*q))
			continue;
		while (is_word((unsigned char)*q))
			q++;
		if (strncmp(q, " (fetchmail-", 12) == 0 &&
		    (isdigit((unsigned char)q[12]) || q[12] == '.'))
			return true;
	}
	return false;
}

static bool
date_header_time(const struct mw_message *m, time_t *t)
{
	static const char *const names[] = { "Resent-Date", "Date" };
	size_t k, i;

	for (k = 0; k < 2; k++)
		for (i = 0; i < m->nheaders; i++) {
			const struct mw_header *h = &m->headers[i];

			if (strcasecmp(h->name, names[k]) != 0 || h->value_len == 0)
				continue;
			if (mw_eval_parse_rfc822_date(h->value, t))
				return true;
		}
	return false;
}

long long
mw_eval_date_diff(const struct mw_message *m)
{
	char *rcvd[64];
	size_t nr = 0, i, start = 0;
	time_t date, t;
	long long best = 0, diffs[64];
	size_t nd = 0;
	bool local = false;

	if (!date_header_time(m, &date))
		return 0;
	for (i = 0; i < m->nheaders && nr < 64; i++)
		if (strcasecmp(m->headers[i].name, "Received") == 0) {
			char *v = sa_unfold(&m->headers[i]);

			if (v == NULL)
				break;	/* ENOMEM: go on with the hops we have */
			if (*v != '\0')
				rcvd[nr++] = v;
			else
				free(v);
		}
	if (nr == 0)
		return 0;	/* archived mail? */
	/* a fetchmail or qmail-inject hop on top does not count */
	if (fetchmail_local(rcvd[0]) || qmail_invoked(rcvd[0])) {
		local = true;
		start = 1;
	}
	if (start < nr && fetchmail_by(rcvd[start]))
		start++;
	else if (local)
		start = 0;
	for (i = start; i < nr; i++)
		if (received_time(rcvd[i], &t))
			diffs[nd++] = (long long)date - (long long)t;
	for (i = 0; i < nr; i++)
		free(rcvd[i]);
	if (nd == 0)
		return 0;
	/* the bottom hop with no difference is left out */
	if (nd > 1 && diffs[nd - 1] == 0)
		nd--;
	/* the smallest absolute difference; the first of equals, as a stable sort */
	best = diffs[0];
	for (i = 1; i < nd; i++)
		if (llabs(diffs[i]) < llabs(best))
			best = diffs[i];
	return best;
}

int
mw_eval_check_for_shifted_date(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	bool umin, umax;
	double min = num_arg(args, 0, &umin), max = num_arg(args, 1, &umax);
	double diff = (double)mw_eval_date_diff(&ctx->msg);

	return (umin || diff >= 3600 * min) && (umax || diff < 3600 * max);
}

/* lower-case hex digits only, as SpamAssassin's [0-9a-f] */
static bool
lhex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	return true;
}

int
mw_eval_check_outlook_message_id(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	static const char *const idfields[] = {
		"X-Message-Id", "Resent-Message-Id", "X-Original-Message-ID", "Message-Id"
	};
	const struct mw_message *m = &ctx->msg;
	const struct mw_header *h = NULL;
	const double x = 0.0023283064365387, y = 27111902.8329849;
	const long long fudge = 250;
	long long token, expected;
	char hexbuf[9], *text;
	time_t t;
	size_t k;
	const char *id;

	(void)args;
	for (k = 0; k < 4 && h == NULL; k++)
		h = mw_message_header(m, idfields[k], 0);
	if (h == NULL)
		return 0;
	/* ^<[0-9a-f]{4}([0-9a-f]{8})\$[0-9a-f]{8}\$[0-9a-f]{8}\@ */
	id = h->value;
	if (h->value_len < 33 || id[0] != '<' || !lhex(id + 1, 12) || id[13] != '$' ||
	    !lhex(id + 14, 8) || id[22] != '$' || !lhex(id + 23, 8) || id[31] != '@')
		return 0;
	memcpy(hexbuf, id + 5, 8);
	hexbuf[8] = '\0';
	token = strtoll(hexbuf, NULL, 16);

	text = mw_message_header_join(m, "Date", ' ');
	if (text == NULL || !mw_eval_parse_rfc822_date(text, &t))
		t = 0;
	free(text);
	expected = (long long)((double)t * x + y);
	if (llabs(token - expected) < fudge)
		return 0;
	/* SpamAssassin then parses the whole Received text (its $_), not the match */
	text = mw_message_header_join(m, "Received", ' ');
	if (text == NULL || !mw_eval_parse_rfc822_date(text, &t))
		t = 0;
	free(text);
	expected = (long long)((double)t * x + y);
	return llabs(token - expected) >= fudge;
}

/* --- other header tests ------------------------------------------------------------ */

static const char *
first_addr(const struct mw_message *m, const char *field)
{
	size_t n = 0;
	const struct mw_mime_address *a = m->mime != NULL ?
	    mw_mime_addresses(m, field, &n) : NULL;

	return a != NULL && n > 0 && a[0].addr != NULL ? a[0].addr : "";
}

/* The address in a field the MIME model does not parse (X-Sender, X-Envelope-From,
 * Envelope-Sender): inside <...> if there is one, else the first word. */
static const char *
plain_addr(const struct mw_message *m, const char *field, char *buf, size_t cap)
{
	const struct mw_header *h = mw_message_header(m, field, 0);
	const char *v, *lt, *e;
	size_t n;

	buf[0] = '\0';
	if (h == NULL)
		return buf;
	v = h->value;
	if ((lt = strchr(v, '<')) != NULL && (e = strchr(lt, '>')) != NULL) {
		v = lt + 1;
	} else {
		while (isspace((unsigned char)*v))
			v++;
		for (e = v; *e != '\0' && !isspace((unsigned char)*e); e++)
			;
	}
	n = (size_t)(e - v) < cap - 1 ? (size_t)(e - v) : cap - 1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return buf;
}

/* The domain after the last '@', cut to its last two labels; "" when none. */
static void
from_domain2(const char *addr, char *out, size_t cap)
{
	const char *at = strrchr(addr, '@'), *d, *last, *prev = NULL, *p;
	size_t n;

	out[0] = '\0';
	if (at == NULL)
		return;
	d = at + 1;
	/* s/^.+\.([^.]+\.[^.]+)$/$1/: needs a non-empty label before the last two */
	last = strrchr(d, '.');
	if (last != NULL && last > d && last[1] != '\0') {
		for (p = last - 1; p >= d && *p != '.'; p--)
			;
		if (p > d && p + 1 < last)
			prev = p + 1;
	}
	if (prev == NULL)
		prev = d;
	n = strlen(prev);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, prev, n);
	out[n] = '\0';
}

/* A Received field before a field `name` (SpamAssassin:
 * ALL =~ /^Received:.*?^name:/smi): then `name` was added on the way, not trusted. */
static bool
received_before(const struct mw_message *m, const char *name)
{
	size_t i;
	bool rcvd = false;

	for (i = 0; i < m->nheaders; i++) {
		if (strcasecmp(m->headers[i].name, "Received") == 0)
			rcvd = true;
		else if (rcvd && strcasecmp(m->headers[i].name, name) == 0)
			return true;
	}
	return false;
}

/* SpamAssassin's EnvelopeFrom for a message read from a file (get_envelope_from):
 * the envelope-from the last untrusted relay (else the first trusted one) recorded,
 * when it is an address; then X-Envelope-From, Envelope-Sender, Return-Path, each
 * only when no Received field comes before it; none at all when X-Sender and a
 * fetchmail hop are there.  The MTA's MAIL FROM wins when there is one. */
const char *
mw_eval_sa_envelope_from(const struct mw_scan_ctx *ctx, char *buf, size_t cap)
{
	static const char *const fields[] = {
		"X-Envelope-From", "Envelope-Sender", "Return-Path"
	};
	const struct mw_message *m = &ctx->msg;
	const char *xs;
	size_t k, i;

	if (ctx->env != NULL && ctx->env->mail_from != NULL && ctx->env->mail_from[0] != '\0')
		return ctx->env->mail_from;
	if (ctx->relays != NULL) {
		const struct mw_relays *r = ctx->relays;
		const struct mw_relay *hop = mw_relays_get(r, MW_RELAYS_UNTRUSTED, 0);

		if (hop == NULL && r->nlist[MW_RELAYS_TRUSTED] > 0)
			hop = mw_relays_get(r, MW_RELAYS_TRUSTED, r->nlist[MW_RELAYS_TRUSTED] - 1);
		/* (a relay's "envfrom=" left empty cannot be told from none: skipped) */
		if (hop != NULL && hop->envfrom[0] != '\0' && strchr(hop->envfrom + 1, '@') != NULL)
			return hop->envfrom;
	}
	/* an X-Sender address ("@ (Unverified)" is none) and a fetchmail hop: no trust */
	xs = plain_addr(m, "X-Sender", buf, cap);
	if (xs[0] != '\0' && xs[0] != '@' && strchr(xs, '@') != NULL && strchr(xs, '@')[1] != '\0')
		for (i = 0; i < m->nheaders; i++)
			if (strcasecmp(m->headers[i].name, "Received") == 0 &&
			    strstr(m->headers[i].value, "(fetchmail") != NULL)
				return "";
	for (k = 0; k < 3; k++) {
		if (mw_message_header(m, fields[k], 0) == NULL)
			continue;
		if (!received_before(m, fields[k]))
			return k == 2 ? first_addr(m, fields[k]) : plain_addr(m, fields[k], buf, cap);
		if (k == 0)
			return "";	/* an untrusted X-Envelope-From ends the search */
	}
	return "";
}

int
mw_eval_check_equal_from_domains(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_message *m = &ctx->msg;
	const char *envfrom;
	char fd[256], ed[256], eb[256];

	(void)args;
	from_domain2(first_addr(m, "From"), fd, sizeof(fd));
	if (fd[0] == '\0')
		return 0;
	envfrom = mw_eval_sa_envelope_from(ctx, eb, sizeof(eb));
	from_domain2(envfrom, ed, sizeof(ed));
	if (ed[0] == '\0')
		return 0;
	return strcasecmp(fd, ed) != 0;
}

int
mw_eval_check_for_missing_to_header(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	/* a field that is there but empty still counts: SpamAssassin's value is "\n" */
	(void)args;
	return mw_message_header(&ctx->msg, "To", 0) == NULL &&
	    mw_message_header(&ctx->msg, "Apparently-To", 0) == NULL;
}

/* check_for_matching_env_and_hdr_from(): EnvelopeFrom and the From address are
 * equal, case aside (two missing ones are equal too). */
int
mw_eval_check_for_matching_env_and_hdr_from(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	char buf[512];

	(void)args;
	return strcasecmp(mw_eval_sa_envelope_from(ctx, buf, sizeof(buf)),
	    first_addr(&ctx->msg, "From"))
	    == 0;
}

/* Charsets SpamAssassin knows to look like capitals once decoded. */
static bool
caps_fp_charset(const char *raw)
{
	static const char *const names[] = {
		"koi", "jp", "jis", "euc", "gb", "big5", "isoir", "cp1251", "windows-1251",
		"georgianps", "pt154", "tis"
	};
	const char *p;

	/* =\?[-_a-z0-9]*(?:koi|...)[-_a-z0-9]*\? */
	for (p = strstr(raw, "=?"); p != NULL; p = strstr(p + 2, "=?")) {
		const char *s = p + 2, *e = s;
		size_t k;

		while (*e == '-' || *e == '_' || isalnum((unsigned char)*e))
			e++;
		if (*e != '?')
			continue;
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			size_t nl = strlen(names[k]);
			const char *q;

			for (q = s; q + nl <= e; q++)
				if (strncasecmp(q, names[k], nl) == 0)
					return true;
		}
	}
	return false;
}

int
mw_eval_subject_is_all_caps(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	static const char *const prefixes[] = {
		"Re", "Fwd", "Fw", "Aw", "Antwort", "WG", "SV", "VB", "VS", "VL"
	};
	const char *s = decoded(&ctx->msg, "Subject"), *e;
	const struct mw_header *raw;
	size_t letters = 0, k;
	bool space = false, progress = true;

	(void)args;
	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	/* ^(?:(?:Re|Fwd|...):\s*)+ case-insensitively */
	while (progress) {
		progress = false;
		for (k = 0; k < sizeof(prefixes) / sizeof(prefixes[0]); k++) {
			size_t n = strlen(prefixes[k]);

			if ((size_t)(e - s) > n && strncasecmp(s, prefixes[k], n) == 0 &&
			    s[n] == ':') {
				s += n + 1;
				while (s < e && isspace((unsigned char)*s))
					s++;
				progress = true;
				break;
			}
		}
	}
	for (const char *p = s; p < e; p++)
		if (isspace((unsigned char)*p))
			space = true;
	if (!space || e - s < 10)
		return 0;
	raw = mw_message_header(&ctx->msg, "Subject", 0);
	if (raw != NULL && caps_fp_charset(raw->value))
		return 0;
	for (; s < e; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 'a' && c <= 'z')
			return 0;
		if (c >= 'A' && c <= 'Z')
			letters++;
	}
	return letters > 0;
}

#define TOCC_SIMILAR_COUNT	5
#define TOCC_SIMILAR_LENGTH	2
#define TOCC_MAX		256

#define TOCC_SORTED_COUNT	7

/* HeaderEval's recipient list: the ToCc addresses (Bcc's too when they are fewer
 * than five), neighbouring duplicates dropped, at most TOCC_MAX; *na receives the
 * count. */
static void
tocc_addresses(const struct mw_message *m, const char *addr[TOCC_MAX], size_t *na_out)
{
	static const char *const fields[] = { "To", "Cc", "Bcc" };
	const char *in[TOCC_MAX];
	size_t nin = 0, na = 0, i, k;

	*na_out = 0;
	if (m->mime == NULL)
		return;
	/* ToCc:addr first, Bcc:addr only when that gave fewer than five */
	for (k = 0; k < 3; k++) {
		const struct mw_mime_address *a;
		size_t n = 0;

		if (k == 2 && nin >= TOCC_SIMILAR_COUNT)
			break;
		if ((a = mw_mime_addresses(m, fields[k], &n)) == NULL)
			continue;
		for (i = 0; i < n && nin < TOCC_MAX; i++)
			in[nin++] = a[i].addr != NULL ? a[i].addr : "";
	}
	/* neighbouring duplicates go; an empty address ends the list (Perl's while) */
	for (i = 0; i < nin && na < TOCC_MAX; i++) {
		if (in[i][0] == '\0' || strcmp(in[i], "0") == 0)
			break;
		if (na == 0 || strcasecmp(in[i], addr[na - 1]) != 0)
			addr[na++] = in[i];
	}
	*na_out = na;
}

static double
tocc_similar(const struct mw_message *m)
{
	const char *addr[TOCC_MAX], *fqhn[TOCC_MAX];
	size_t na = 0, nf = 0, i, j, hits = 0, comb = 0;

	tocc_addresses(m, addr, &na);
	if (na < TOCC_SIMILAR_COUNT)
		return 0;
	/* hosts of the addresses that have an '@' (Perl's map shifts the others) */
	for (i = 0; i < na; i++) {
		const char *at = strchr(addr[i], '@');

		if (at != NULL)
			fqhn[nf++] = at + 1;
	}
	for (i = 0; i < na; i++)
		for (j = i + 1; j < na; j++) {
			const char *fi = i < nf ? fqhn[i] : "", *fj = j < nf ? fqhn[j] : "";

			/* substr($_, 0, 2) eq: the first two bytes (or fewer) */
			if (strncmp(addr[i], addr[j], TOCC_SIMILAR_LENGTH) == 0)
				hits++;
			if (strncmp(fi, fj, TOCC_SIMILAR_LENGTH) == 0 && strcmp(fi, fj) != 0)
				hits++;
			comb++;
		}
	return (double)hits / (double)comb;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* sorted_recipients(): seven or more recipients, already in sorted order. */
int
mw_eval_sorted_recipients(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const char *addr[TOCC_MAX], *sorted[TOCC_MAX];
	size_t na = 0, i;

	(void)args;
	if (ctx->msg.mime == NULL)
		return -1;
	tocc_addresses(&ctx->msg, addr, &na);
	if (na < TOCC_SORTED_COUNT)
		return 0;
	memcpy(sorted, addr, na * sizeof(addr[0]));
	qsort(sorted, na, sizeof(sorted[0]), cmp_str);
	for (i = 0; i < na; i++)	/* the same strings in the same order */
		if (strcmp(sorted[i], addr[i]) != 0)
			return 0;
	return 1;
}

int
mw_eval_similar_recipients(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	bool umin, umax;
	double min = num_arg(args, 0, &umin), max = num_arg(args, 1, &umax);
	double sim = tocc_similar(&ctx->msg);

	return (umin || sim >= min) && (umax || sim < max);
}

/* check_ratware_name_id(): a Message-Id of 28 capitals, a dot and X, with a From
 * of the form "Name" <X>. */
int
mw_eval_check_ratware_name_id(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	static const char *const idfields[] = {
		"X-Message-Id", "Resent-Message-Id", "X-Original-Message-ID", "Message-Id"
	};
	const struct mw_message *m = &ctx->msg;
	const pcre2_code *re = re_cached("<[A-Z]{28}\\.([^>]+?)>");
	pcre2_match_data *md;
	struct mw_buf ids, from_re;
	char *from;
	size_t i, k;
	int rc = 0;

	(void)args;
	if (re == NULL)
		return -1;
	/* MESSAGEID: those fields' values, non-empty ones, joined with "\n" */
	mw_buf_init(&ids, 1u << 20);
	for (k = 0; k < 4; k++)
		for (i = 0; i < m->nheaders; i++)
			if (strcasecmp(m->headers[i].name, idfields[k]) == 0 &&
			    m->headers[i].value_len > 0 &&
			    ((ids.len > 0 && mw_buf_putc(&ids, '\n') < 0) ||
			    mw_buf_append(&ids, m->headers[i].value, m->headers[i].value_len) < 0))
				rc = -1;
	if (rc < 0 || ids.len == 0 || (md = pcre2_match_data_create(2, NULL)) == NULL) {
		mw_buf_free(&ids);
		return rc;
	}
	if (pcre2_match(re, (PCRE2_SPTR)ids.data, ids.len, 0, 0, md, NULL) >= 2) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		char *x = strndup(ids.data + ov[2], ov[3] - ov[2]);

		mw_buf_init(&from_re, 0);
		from = joined_decoded(m, "From");
		if (x == NULL || mw_buf_puts(&from_re, "\"[^\"]+\"\\s*<") < 0 ||
		    re_quote(&from_re, x) < 0 || mw_buf_putc(&from_re, '>') < 0)
			rc = -1;
		else if (from != NULL)
			rc = re_match_once(from_re.data, from);
		free(x);
		free(from);
		mw_buf_free(&from_re);
	}
	pcre2_match_data_free(md);
	mw_buf_free(&ids);
	return rc;
}

/* check_unresolved_template(): a header line (name, ": ", decoded value) with a
 * mail-merge placeholder like %FIRSTNAME, outside the fields where one is normal. */
int
mw_eval_check_unresolved_template(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	static const char *const skip[] = {
		"X-VMS-To", "X-UIDL", "X-Face", "To", "Cc", "From", "Subject", "References",
		"In-Reply-To", "Message-Id", "X-Message-Id", "Resent-Message-Id",
		"X-Original-Message-Id"
	};
	const struct mw_message *m = &ctx->msg;
	size_t i, k;

	(void)args;
	for (i = 0; i < m->nheaders; i++) {
		const struct mw_header *h = &m->headers[i];
		const char *v = h->value, *p;
		bool skipped = false;

		if (memchr(h->value, '%', h->value_len) == NULL && strstr(h->value, "=?") == NULL &&
		    strchr(h->name, '%') == NULL)
			continue;
		for (k = 0; k < sizeof(skip) / sizeof(skip[0]) && !skipped; k++)
			skipped = strcasecmp(h->name, skip[k]) == 0;
		if (skipped)
			continue;
		if (m->mime != NULL && strstr(h->value, "=?") != NULL) {
			size_t nth = 0, j;
			const char *d;

			for (j = 0; j < i; j++)
				nth += strcasecmp(m->headers[j].name, h->name) == 0;
			if ((d = mw_mime_header_decoded(m, h->name, nth)) != NULL)
				v = d;
		}
		/* %[A-Z][A-Z_-], in the name or the value */
		for (k = 0; k < 2; k++)
			for (p = k == 0 ? h->name : v; (p = strchr(p, '%')) != NULL; p++)
				if (p[1] >= 'A' && p[1] <= 'Z' && ((p[2] >= 'A' && p[2] <= 'Z') ||
				    p[2] == '_' || p[2] == '-'))
					return 1;
	}
	return 0;
}

/* check_header_count_range(field, min, max): the number of distinct (decoded)
 * values of the field is in [min, max]. */
int
mw_eval_check_header_count_range(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	const struct mw_message *m = &ctx->msg;
	const char *vals[256];
	size_t nv = 0, nth, j;
	double min, max;

	if (args->argc < 3 || !perl_num(args->argv[1], &min) || !perl_num(args->argv[2], &max))
		return -1;
	for (nth = 0; ; nth++) {
		const struct mw_header *h = mw_message_header(m, args->argv[0], nth);
		const char *v;
		bool dup = false;

		if (h == NULL)
			break;
		v = m->mime != NULL ? mw_mime_header_decoded(m, args->argv[0], nth) : NULL;
		if (v == NULL)
			v = h->value;
		for (j = 0; j < nv && !dup; j++)
			dup = strcmp(vals[j], v) == 0;
		if (dup)
			continue;
		if (nv == sizeof(vals) / sizeof(vals[0]))
			return (double)nv > max ? 0 : -1;	/* more than we keep */
		vals[nv++] = v;
	}
	return (double)nv >= min && (double)nv <= max;
}

/* --- MIME structure ------------------------------------------------------------------ */

static void
text_part_counts(const struct mw_message *m, size_t *html, size_t *text)
{
	const struct mw_mime_part *p;
	size_t n = 0, i;

	*html = *text = 0;
	if (m->mime == NULL || (p = mw_mime_parts(m, &n)) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (p[i].type == NULL || p[i].is_multipart)
			continue;
		if (strcmp(p[i].type, "text/html") == 0)
			(*html)++;
		else if (strncmp(p[i].type, "text", 4) == 0)
			(*text)++;
	}
}

static bool
top_type_is_html(const struct mw_message *m)
{
	const char *ct = decoded(m, "Content-Type");

	return strncasecmp(ct, "text/html", 9) == 0;
}

int
mw_eval_check_for_mime_html(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	size_t html, text;

	(void)args;
	if (top_type_is_html(&ctx->msg))
		return 1;
	text_part_counts(&ctx->msg, &html, &text);
	return html > 0;
}

int
mw_eval_check_for_mime_html_only(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	size_t html, text;

	(void)args;
	if (top_type_is_html(&ctx->msg))
		return 1;
	text_part_counts(&ctx->msg, &html, &text);
	return html > 0 && text == 0;
}

/* --- HTML ------------------------------------------------------------------------------ */

static const struct mw_html_facts *
html_facts(const struct mw_scan_ctx *ctx)
{
	return ctx->msg.mime != NULL ? mw_mime_html(&ctx->msg) : NULL;
}

/* Only the "html" fact (an HTML part was parsed) is known so far; other names
 * answer -1 (cannot evaluate) rather than a guess. */
int
mw_eval_html_test(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_html_facts *f = html_facts(ctx);

	if (args->argc < 1 || f == NULL)
		return -1;
	if (strcmp(args->argv[0], "html") == 0)
		return f->parts > 0;
	if (strcmp(args->argv[0], "font_low_contrast") == 0)
		return f->sa.font_low_contrast;
	if (strcmp(args->argv[0], "font_invalid_color") == 0)
		return f->sa.font_invalid_color;
	if (strcmp(args->argv[0], "font_face_bad") == 0)
		return f->sa.font_face_bad;
	if (strcmp(args->argv[0], "embeds") == 0)
		return f->sa.embeds;
	if (strcmp(args->argv[0], "form_action_mailto") == 0)
		return f->sa.form_action_mailto;
	return -1;
}

/* An image in HTML of min < length <= max bytes: SpamAssassin's "length" is that
 * of the HTML source (HTML::parse adds length($text) of its input), not of the
 * rendered text.  SpamAssassin looks at each HTML part; the facts are summed over
 * the parts, which is the same for the usual single HTML part. */
int
mw_eval_html_image_only(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_html_facts *f = html_facts(ctx);
	bool umin, umax;
	double min = num_arg(args, 0, &umin), max = num_arg(args, 1, &umax);

	if (f == NULL || f->parts == 0 || f->images == 0)
		return 0;
	return (umin || (double)f->raw_len > min) && (umax || (double)f->raw_len <= max);
}

/* --- HTMLEval: ranges, tag balance, image ratio ----------------------------------------- */

/* The per-part values html_range / html_eval can test; false when the part does
 * not define it (HTML.pm only sets the ratios once there are tags). */
static bool
html_value(const struct mw_html_sa_part *p, const char *name, double *v, bool *known)
{
	*known = true;
	if (strcmp(name, "length") == 0)
		*v = (double)p->length;
	else if (strcmp(name, "max_size") == 0)
		*v = p->max_size;
	else if (strcmp(name, "min_size") == 0)
		*v = p->min_size;
	else if (strcmp(name, "image_area") == 0)
		*v = (double)p->image_area;
	else if (strcmp(name, "non_space_len") == 0)
		*v = (double)p->non_space_len;
	else if (strcmp(name, "bad_tag_ratio") == 0) {
		if (p->elements == 0)
			return false;
		*v = (double)(p->tags - p->elements) / (double)p->tags;
	} else if (strcmp(name, "non_element_ratio") == 0) {
		if (p->elements_seen == 0)
			return false;
		*v = (double)(p->tags_seen - p->elements_seen) / (double)p->tags_seen;
	} else if (strcmp(name, "closed_extra_ratio") == 0) {
		if (p->tags == 0)
			return false;
		*v = (double)p->closed_extra / (double)p->tags;
	} else {
		*known = false;		/* obfuscation_ratio, backhair_count, ...: not kept */
		return false;
	}
	return true;
}

/* The HTML parts SpamAssassin would test; -1 in *n_unseen when some were not kept. */
static const struct mw_html_sa_part *
html_parts(const struct mw_scan_ctx *ctx, size_t *n, bool *all)
{
	const struct mw_html_facts *f = html_facts(ctx);

	*n = 0;
	*all = true;
	if (f == NULL)
		return NULL;
	*n = f->sa_nparts < MW_HTML_SA_PARTS ? f->sa_nparts : MW_HTML_SA_PARTS;
	*all = f->sa_nparts <= MW_HTML_SA_PARTS;
	return f->sa_part;
}

/* A Perl number as the rule files write them ("0.40", ".05", "5"); "inf" = HUGE_VAL. */
static bool
perl_num(const char *s, double *v)
{
	char *end;

	if (strcasecmp(s, "inf") == 0) {
		*v = HUGE_VAL;
		return true;
	}
	*v = strtod(s, &end);
	return end != s;
}

/* html_range(test, min[, max]): some HTML part has min < value <= max (no max,
 * or "inf": value > min). */
int
mw_eval_html_range(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_html_sa_part *p;
	size_t n, i;
	bool all, known = true;
	double min, max = HUGE_VAL, v;

	if (args->argc < 2 || !perl_num(args->argv[1], &min) ||
	    (args->argc > 2 && !perl_num(args->argv[2], &max)))
		return -1;
	p = html_parts(ctx, &n, &all);
	for (i = 0; i < n; i++) {
		if (!html_value(&p[i], args->argv[0], &v, &known)) {
			if (!known)
				return -1;
			continue;
		}
		if (v > min && (max == HUGE_VAL || v <= max))
			return 1;
	}
	return all ? 0 : -1;
}

/* The expressions HTMLEval evaluates in Perl ("!= 0", "< 384"): an operator and a
 * number, nothing else. */
static int
perl_compare(double val, const char *expr)
{
	char op[3] = "";
	size_t k = 0;
	char *end;
	double x;

	if (expr[strspn(expr, "<>=!-+ 0123456789")] != '\0')
		return -1;
	while (*expr == ' ')
		expr++;
	while (k < 2 && strchr("<>=!", *expr) != NULL && *expr != '\0')
		op[k++] = *expr++;
	op[k] = '\0';
	x = strtod(expr, &end);
	if (end == expr || end[strspn(end, " ")] != '\0')
		return -1;
	if (strcmp(op, "==") == 0)
		return val == x;
	if (strcmp(op, "!=") == 0)
		return val != x;
	if (strcmp(op, "<") == 0)
		return val < x;
	if (strcmp(op, "<=") == 0)
		return val <= x;
	if (strcmp(op, ">") == 0)
		return val > x;
	if (strcmp(op, ">=") == 0)
		return val >= x;
	return -1;
}

/* html_eval(test, expr): some HTML part's value satisfies expr. */
int
mw_eval_html_eval(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_html_sa_part *p;
	size_t n, i;
	bool all, known = true;
	double v;

	if (args->argc < 2)
		return -1;
	p = html_parts(ctx, &n, &all);
	for (i = 0; i < n; i++) {
		int r;

		if (!html_value(&p[i], args->argv[0], &v, &known)) {
			if (!known)
				return -1;
			continue;
		}
		if ((r = perl_compare(v, args->argv[1])) != 0)
			return r;
	}
	return all ? 0 : -1;
}

static bool
tag_name_ok(const char *t)
{
	if (*t == '\0')
		return false;
	for (; *t; t++)
		if (!isalnum((unsigned char)*t))
			return false;
	return true;
}

/* html_tag_balance(tag, expr): in some HTML part that has the tag, its start tags
 * minus end tags (never below 0 at any point) satisfy expr. */
int
mw_eval_html_tag_balance(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_html_sa_part *p;
	size_t n, i;
	bool all;

	if (args->argc < 2 || !tag_name_ok(args->argv[0]))
		return 0;
	p = html_parts(ctx, &n, &all);
	for (i = 0; i < n; i++) {
		long in = mw_html_sa_inside(&p[i], args->argv[0]);
		int r;

		if (in < 0) {
			if (p[i].tags_overflow)
				all = false;
			continue;
		}
		if ((r = perl_compare((double)in, args->argv[1])) != 0)
			return r;
	}
	return all ? 0 : -1;
}

/* html_tag_exists(tag): some HTML part has the tag (start or end). */
int
mw_eval_html_tag_exists(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_html_sa_part *p;
	size_t n, i;
	bool all;

	if (args->argc < 1)
		return 0;
	p = html_parts(ctx, &n, &all);
	for (i = 0; i < n; i++) {
		if (mw_html_sa_inside(&p[i], args->argv[0]) >= 0)
			return 1;
		if (p[i].tags_overflow)
			all = false;
	}
	return all ? 0 : -1;
}

/* html_image_ratio(min, max): in some HTML part with image area, min < rendered
 * non-space characters / image area <= max. */
int
mw_eval_html_image_ratio(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_html_sa_part *p;
	size_t n, i;
	bool all;
	double min, max;

	if (args->argc < 2 || !perl_num(args->argv[0], &min) || !perl_num(args->argv[1], &max))
		return -1;
	p = html_parts(ctx, &n, &all);
	for (i = 0; i < n; i++) {
		double r;

		if (p[i].image_area == 0)
			continue;
		r = (double)p[i].non_space_len / (double)p[i].image_area;
		if (r > min && r <= max)
			return 1;
	}
	return all ? 0 : -1;
}

/* html_text_match(text, regexp): some string of HTML.pm's list `text` ("comment",
 * "anchor", "title") matches regexp.  A miss is only sure when no string was cut. */
int
mw_eval_html_text_match(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_html_facts *f = html_facts(ctx);
	const struct mw_html_sa_texts *t;
	size_t i, off = 0;

	if (args->argc < 2 || f == NULL)
		return -1;
	if (strcmp(args->argv[0], "comment") == 0)
		t = &f->sa_comment;
	else if (strcmp(args->argv[0], "anchor") == 0)
		t = &f->sa_anchor;
	else if (strcmp(args->argv[0], "title") == 0)
		t = &f->sa_title;
	else
		return -1;	/* "script", "uri": not kept */
	for (i = 0; i < t->n && off < t->used; i++) {
		/* HTML.pm's strings are characters: '.' is one, not one byte */
		int r = re_match_opt(args->argv[1], PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
		    t->buf + off);

		if (r != 0)
			return r;	/* a hit, or a pattern that does not compile */
		off += strlen(t->buf + off) + 1;
	}
	return t->lost ? -1 : 0;
}

/* Characters of UTF-8 text (bytes that do not continue a sequence). */
static size_t
utf8_chars(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* html_title_subject_ratio(ratio): some HTML title is more than ratio times as
 * long as the Subject (lengths in characters, as SpamAssassin measures them). */
int
mw_eval_html_title_subject_ratio(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	const struct mw_html_facts *f = html_facts(ctx);
	const struct mw_html_sa_texts *t;
	double ratio, max = 0;
	char *subj;
	size_t sl, i, off = 0;

	if (args->argc < 1 || !perl_num(args->argv[0], &ratio) || f == NULL)
		return -1;
	if ((subj = joined_decoded(&ctx->msg, "Subject")) == NULL)
		return 0;	/* no Subject (or ENOMEM, where "" would be the answer too) */
	sl = utf8_chars(subj, strlen(subj));
	free(subj);
	if (sl == 0)
		return 0;
	t = &f->sa_title;
	for (i = 0; i < t->n && off < t->used; i++) {
		size_t n = strlen(t->buf + off), c = utf8_chars(t->buf + off, n);

		/* Perl's truth: "" and "0" are false */
		if (n > 0 && !(n == 1 && t->buf[off] == '0') && (double)c / (double)sl > max)
			max = (double)c / (double)sl;
		off += n + 1;
	}
	if (max > ratio)
		return 1;
	return t->lost ? -1 : 0;
}

/* --- MIMEEval: check_for_mime, check_base64_length, check_msg_parse_flags ---------------- */


/* The lines of a leaf's raw (encoded) content: fn(line, len_without_newline,
 * has_newline).  CRs before the newline are not counted. */
static void
raw_lines(const struct mw_mime_part *p, void (*fn)(void *, const char *, size_t, bool),
    void *arg)
{
	const char *s = p->raw, *e = p->raw + p->raw_size;

	while (s < e) {
		const char *nl = memchr(s, '\n', (size_t)(e - s));
		const char *end = nl ? nl : e;
		size_t n = (size_t)(end - s);

		if (n > 0 && s[n - 1] == '\r' && nl != NULL)
			n--;
		fn(arg, s, n, nl != NULL);
		s = nl ? nl + 1 : e;
	}
}

struct qp_scan {
	bool	 long_line;
	long	 excess;	/* encoded characters that need no encoding */
	size_t	 bytes;
};

static void
qp_line(void *arg, const char *s, size_t n, bool nl)
{
	struct qp_scan *q = arg;
	size_t i, trail = 0, end = n;

	if (n >= 6 && memcmp(s, "SPAM: ", 6) == 0)
		return;
	q->bytes += n + nl;
	if (n + nl > 79)
		q->long_line = true;	/* RFC 5322's 78 characters, not RFC 2045's 76 */
	if (memchr(s, '=', n) == NULL)
		return;
	for (i = 0; i + 2 < n; i++) {
		char a, b;

		if (s[i] != '=')
			continue;
		a = s[i + 1];
		b = s[i + 2];
		if ((a == '0' && b == '9') ||
		    (a == '3' && (isdigit((unsigned char)b) || (b >= 'A' && b <= 'F' && b != 'D'))) ||
		    ((a == '2' || a == '4' || a == '5' || a == '6') &&
		    (isdigit((unsigned char)b) || (b >= 'A' && b <= 'F'))) ||
		    (a == '7' && (isdigit((unsigned char)b) || (b >= 'A' && b <= 'E'))))
			q->excess++;
	}
	/* white space encoded at the end of the line is fine */
	while (end > 0 && isspace((unsigned char)s[end - 1]))
		end--;
	while (end >= 3 && s[end - 3] == '=' && ((s[end - 2] == '0' && s[end - 1] == '9') ||
	    (s[end - 2] == '2' && s[end - 1] == '0'))) {
		trail++;
		end -= 3;
	}
	q->excess -= (long)trail;
}

static bool
ascii_charset(const char *cs)
{
	static const char *const names[] = { "us", "ascii", "ansi_x3.4-1968", "iso-ir-6",
	    "ansi_x3.4-1986", "iso_646.irv:1991", "ibm367", "cp367", NULL };
	char lc[64];
	size_t i;

	if (cs == NULL || cs[0] == '\0')
		return true;
	for (i = 0; cs[i] && i + 1 < sizeof(lc); i++)
		lc[i] = (char)tolower((unsigned char)cs[i]);
	lc[i] = '\0';
	for (i = 0; names[i]; i++)
		if (strstr(lc, names[i]) != NULL)
			return true;
	return false;
}

/* check_for_mime(test): MIMEEval's per-message MIME facts. */
int
mw_eval_check_for_mime(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_mime_part *p;
	const char *t;
	size_t n = 0, i;
	struct qp_scan q = { false, 0, 0 };
	unsigned long qp_parts = 0;
	bool raw_unknown = false;

	if (args->argc < 1 || ctx->msg.mime == NULL)
		return -1;
	t = args->argv[0];
	p = mw_mime_parts(&ctx->msg, &n);
	if (strcmp(t, "mime_base64_count") == 0 || strcmp(t, "mime_attachment") == 0 ||
	    strcmp(t, "mime_base64_encoded_text") == 0 || strcmp(t, "mime_bad_iso_charset") == 0) {
		for (i = 0; i < n; i++) {
			const char *enc = p[i].encoding ? p[i].encoding : "";

			if (strcmp(t, "mime_base64_count") == 0 && strstr(enc, "base64"))
				return 1;
			if (strcmp(t, "mime_attachment") == 0 && p[i].disposition &&
			    strstr(p[i].disposition, "attachment"))
				return 1;
			if (strcmp(t, "mime_base64_encoded_text") == 0 &&
			    strncmp(p[i].type, "text", 4) == 0 && strstr(enc, "base64") &&
			    ascii_charset(p[i].charset) && (p[i].disposition == NULL ||
			    (strncmp(p[i].disposition, "attachment", 10) != 0 &&
			    strncmp(p[i].disposition, "inline", 6) != 0)))
				return 1;
			if (strcmp(t, "mime_bad_iso_charset") == 0 && p[i].charset &&
			    re_match("(?i)iso-\\S+-\\S+\\b", p[i].charset) == 1 &&
			    re_match("(?i)iso-(?:8859-\\d{1,2}|2022-(?:jp|kr))\\b", p[i].charset) != 1)
				return 1;
		}
		return 0;
	}
	if (strcmp(t, "mime_faraway_charset") == 0) {
		const struct mw_eval_sa_conf *c = eval_conf(ctx);

		if (locales_all(c))
			return 0;
		for (i = 0; i < n; i++) {
			const char *cs = p[i].charset;

			if (cs != NULL && cs[strcspn(cs, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ")] != '\0' && !charset_ok(c, cs, strlen(cs)))
				return 1;
		}
		return 0;
	}
	if (strcmp(t, "mime_qp_long_line") != 0 && strcmp(t, "mime_qp_count") != 0)
		return -1;	/* unicode ratios ...: not kept */
	for (i = 0; i < n; i++) {
		if (p[i].is_multipart || p[i].is_message || p[i].encoding == NULL ||
		    strcmp(p[i].encoding, "quoted-printable") != 0)
			continue;
		qp_parts++;
		if (p[i].raw == NULL) {
			raw_unknown = p[i].raw_size > 0;
			continue;
		}
		raw_lines(&p[i], qp_line, &q);
	}
	if (strcmp(t, "mime_qp_long_line") == 0)
		return q.long_line ? 1 : raw_unknown ? -1 : 0;
	/* the count of QP parts, replaced by the excess count once there are QP bytes */
	if (raw_unknown)
		return -1;
	return q.bytes > 0 ? q.excess > 0 : qp_parts > 0;
}

static void
longest_line(void *arg, const char *s, size_t n, bool nl)
{
	size_t *max = arg;

	(void)s;
	if (n + nl > *max)
		*max = n + nl;
}

/* check_base64_length(min[, max]): the longest line of base64 content (newline
 * included) is at least min (and at most max). */
int
mw_eval_check_base64_length(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_mime_part *p;
	size_t n = 0, i, longest = 0;
	bool umin, umax;
	double min = num_arg(args, 0, &umin), max = num_arg(args, 1, &umax);

	if (ctx->msg.mime == NULL || umin)
		return -1;
	p = mw_mime_parts(&ctx->msg, &n);
	for (i = 0; i < n; i++) {
		if (p[i].is_multipart || p[i].is_message || p[i].encoding == NULL ||
		    strcmp(p[i].encoding, "base64") != 0 ||
		    strcmp(p[i].type, "application/ics") == 0)
			continue;
		if (p[i].raw == NULL && p[i].raw_size > 0)
			return -1;
		if (p[i].raw != NULL)
			raw_lines(&p[i], longest_line, &longest);
	}
	if (!umax && (double)longest > max)
		return 0;
	return (double)longest >= min;
}

/* check_msg_parse_flags(flag): what SpamAssassin's parser noticed.  Only the
 * epilogue is known here. */
int
mw_eval_check_msg_parse_flags(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_mime_part *p;
	size_t n = 0, i;

	if (args->argc < 1 || ctx->msg.mime == NULL)
		return -1;
	if (strcmp(args->argv[args->argc - 1], "mime_epilogue_exists") != 0)
		return -1;
	p = mw_mime_parts(&ctx->msg, &n);
	for (i = 0; i < n; i++)
		if (p[i].flags & MW_PART_EPILOGUE)
			return 1;
	return 0;
}

/* --- MIMEEval: check_for_uppercase -------------------------------------------------------- */

/* CHARSETS_LIKELY_TO_FP_AS_CAPS, the whole name: [-_a-z0-9]* around one of the words. */
static bool
caps_charset(const char *cs)
{
	static const char *const words[] = {
		"koi", "jp", "jis", "euc", "gb", "big5", "isoir", "cp1251", "windows-1251",
		"georgianps", "pt154", "tis"
	};
	size_t k, i, n = strlen(cs);

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)cs[i]) && cs[i] != '-' && cs[i] != '_')
			return false;
	for (k = 0; k < sizeof(words) / sizeof(words[0]); k++)
		for (i = 0; i + strlen(words[k]) <= n; i++)
			if (strncasecmp(cs + i, words[k], strlen(words[k])) == 0)
				return true;
	return false;
}

/* MIMEEval's charset from a Content-Type line: charset="x", charset='x' or
 * charset=\S+ (a ';' after it stays part of the name, as there). */
static void
ct_charset(const char *ct, char *out, size_t cap)
{
	const char *p;
	size_t n;

	out[0] = '\0';
	for (p = ct; (p = strcasestr(p, "charset=")) != NULL; p++) {
		const char *v = p + 8;

		if (*v == '"' || *v == '\'') {
			const char *e = strchr(v + 1, *v);

			if (e == NULL || e == v + 1)
				continue;	/* the next form may still match further on */
			n = (size_t)(e - v - 1);
			v++;
		} else {
			n = strcspn(v, " \t\r\n");
			if (n == 0)
				continue;
		}
		if (n >= cap)
			n = cap - 1;
		memcpy(out, v, n);
		out[n] = '\0';
		return;
	}
}

/* body_charset_is_likely_to_fp: the message's Content-Type charset or any part's. */
static bool
body_charset_caps(const struct mw_message *m)
{
	const struct mw_header *h = mw_message_header(m, "Content-Type", 0);
	const struct mw_mime_part *p;
	size_t n = 0, i;
	char cs[128];

	if (h != NULL) {
		ct_charset(h->value, cs, sizeof(cs));
		if (caps_charset(cs))
			return true;
	}
	p = m->mime != NULL ? mw_mime_parts(m, &n) : NULL;
	for (i = 0; p != NULL && i < n; i++)
		if (p[i].charset != NULL && caps_charset(p[i].charset))
			return true;
	return false;
}

/* /^(?:[A-Za-z0-9+\/=]{60,76} ){2}/: a paragraph that starts as base64 lines. */
static bool
base64_paragraph(const char *s, size_t n)
{
	size_t i = 0, w;

	for (w = 0; w < 2; w++) {
		size_t start = i;

		while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '/' ||
		    s[i] == '='))
			i++;
		/* a longer run cannot match: the class must stop at 76 before a space */
		if (i - start < 60 || i - start > 76 || i >= n || s[i] != ' ')
			return false;
		i++;
	}
	return true;
}

/* check_for_uppercase(min, max): among the letters and digits of the body's
 * paragraphs that have two words, the share of capitals (in %) is in (min, max];
 * bodies under 200 characters and charsets known to look like capitals never hit. */
int
mw_eval_check_for_uppercase(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_views *v;
	unsigned long long len = 0, lower = 0, upper = 0;
	double min, max, pct;
	size_t i;

	if (args->argc < 2 || !perl_num(args->argv[0], &min) || !perl_num(args->argv[1], &max))
		return -1;
	if (ctx->msg.mime == NULL || (v = mw_mime_views(&ctx->msg)) == NULL)
		return -1;
	if (body_charset_caps(&ctx->msg))
		return 0;
	for (i = 0; i < v->nbody; i++) {
		const char *s = v->body[i].s, *e = s + v->body[i].len, *p, *js, *je;
		bool two = false;

		/* \S\s+\S */
		for (p = s; p < e && !two; p++)
			if (isspace((unsigned char)*p) && p > s && !isspace((unsigned char)p[-1])) {
				const char *q = p;

				while (q < e && isspace((unsigned char)*q))
					q++;
				two = q < e;
			}
		if (!two || base64_paragraph(s, v->body[i].len))
			continue;
		/* shift-JIS escapes: from the first ESC $ B to the last ESC ( B */
		js = memmem(s, v->body[i].len, "\x1b$B", 3);
		je = NULL;
		if (js != NULL)
			for (p = e - 3; p >= js + 3; p--)
				if (memcmp(p, "\x1b(B", 3) == 0) {
					je = p + 3;
					break;
				}
		for (p = s; p < e; p++) {
			unsigned char c = (unsigned char)*p;

			if (je != NULL && p == js) {
				p = je - 1;
				continue;
			}
			if ((c & 0xc0) != 0x80)
				len++;		/* characters, not bytes */
			if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
				lower++;
			else if (c >= 'A' && c <= 'Z')
				upper++;
		}
	}
	if (len < 200 || upper + lower == 0)
		pct = 0;
	else
		pct = (double)upper / (double)(upper + lower) * 100;
	return pct > min && pct <= max;
}

/* --- BodyEval: multipart_alternative_difference(_count) ------------------------------------ */

/* A multiset of words: open addressing over (pointer, length) keys into the text. */
struct wordset {
	struct word {
		const char *s;
		size_t	 n;
		unsigned long count;
	} *v;
	size_t	 cap, n;
};

static uint64_t
word_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static struct word *
wordset_find(const struct wordset *ws, const char *s, size_t n)
{
	size_t i;

	if (ws->cap == 0)
		return NULL;
	for (i = word_hash(s, n) & (ws->cap - 1); ws->v[i].s != NULL; i = (i + 1) & (ws->cap - 1))
		if (ws->v[i].n == n && memcmp(ws->v[i].s, s, n) == 0)
			return &ws->v[i];
	return &ws->v[i];	/* the empty slot where it would go */
}

static int
wordset_add(struct wordset *ws, const char *s, size_t n)
{
	struct word *w;

	if (2 * (ws->n + 1) > ws->cap) {
		struct wordset g = { NULL, ws->cap ? ws->cap * 2 : 64, 0 };
		size_t i;

		if ((g.v = calloc(g.cap, sizeof(*g.v))) == NULL)
			return -1;
		for (i = 0; i < ws->cap; i++)
			if (ws->v[i].s != NULL) {
				*wordset_find(&g, ws->v[i].s, ws->v[i].n) = ws->v[i];
				g.n++;
			}
		free(ws->v);
		*ws = g;
	}
	w = wordset_find(ws, s, n);
	if (w->s == NULL) {
		w->s = s;
		w->n = n;
		ws->n++;
	}
	w->count++;
	return 0;
}

/* split(/\s+/) and keep the tokens with a word character (bytes past ASCII count
 * as letters). */
static int
wordset_add_text(struct wordset *ws, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t st;
		bool word = false;

		while (i < n && isspace((unsigned char)s[i]))
			i++;
		for (st = i; i < n && !isspace((unsigned char)s[i]); i++)
			if (is_word((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80)
				word = true;
		if (word && wordset_add(ws, s + st, i - st) < 0)
			return -1;
	}
	return 0;
}

struct madiff {
	double	 diff;			/* % of HTML words missing from the text */
	unsigned long html, text;	/* distinct words of the last alternative counted */
};

/* BodyEval's measure over every multipart/alternative: how many of the HTML
 * alternative's distinct words the text alternative lacks (a word counts as there
 * when the text has it at least as often).  -1: cannot evaluate. */
static int
madiff(const struct mw_message *m, struct madiff *r)
{
	const struct mw_html_facts *f;
	const struct mw_mime_part *p;
	size_t n = 0, i, k;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (m->mime == NULL)
		return -1;
	p = mw_mime_parts(m, &n);
	f = mw_mime_html(m);
	/* Exchange meeting requests: alternative of text/html and text/calendar */
	if (n == 3 && strcmp(p[0].type, "multipart/alternative") == 0 &&
	    strcmp(p[1].type, "text/html") == 0 && strcmp(p[2].type, "text/calendar") == 0)
		return 0;
	for (i = 0; i < n && rc == 0; i++) {
		struct wordset html = { 0 }, text = { 0 };
		unsigned long orig, left = 0;
		bool mark = false;	/* an HTML part with an image and no words so far */

		if (!p[i].is_multipart || strcmp(p[i].type, "multipart/alternative") != 0)
			continue;
		for (k = i + 1; k < n && p[k].depth > p[i].depth && rc == 0; k++) {
			const char *t;
			size_t tl;

			if (p[k].is_multipart || p[k].is_message || strncmp(p[k].type, "text", 4) != 0 ||
			    (p[k].type[4] != '\0' && p[k].type[4] != '/'))
				continue;
			if ((t = mw_mime_part_rendered(m, k, &tl)) == NULL) {
				/* empty, or a text type the body view does not render */
				if (p[k].decoded_size > 0 || (p[k].flags & MW_PART_NOT_DECODED) ||
				    (strcmp(p[k].type, "text/plain") != 0 &&
				    strcmp(p[k].type, "text/html") != 0 && p[k].raw_size > 0))
					rc = -1;
				continue;
			}
			if (strcmp(p[k].type, "text/html") == 0) {
				rc = wordset_add_text(&html, t, tl);
				if (rc == 0 && html.n == 0 && !mark && p[k].html_index >= 0) {
					if (p[k].html_index >= MW_HTML_SA_PARTS)
						rc = -1;
					else
						mark = mw_html_sa_inside(&f->sa_part[p[k].html_index],
						    "img") >= 0;
				}
			} else
				rc = wordset_add_text(&text, t, tl);
		}
		orig = html.n + mark;
		left = mark;		/* the image mark is never a text word */
		if (rc == 0 && orig > 0) {
			r->html = orig;
			r->text = text.n;
			for (k = 0; k < html.cap; k++) {
				struct word *tw;

				if (html.v[k].s == NULL)
					continue;
				tw = wordset_find(&text, html.v[k].s, html.v[k].n);
				if (tw == NULL || tw->s == NULL || html.v[k].count > tw->count)
					left++;
			}
			if ((double)left / (double)orig * 100 > r->diff)
				r->diff = (double)left / (double)orig * 100;
		}
		free(html.v);
		free(text.v);
	}
	return rc;
}

/* multipart_alternative_difference(min, max): the largest difference is above min
 * (or min is 0) and at most max ("undef": no bound). */
int
mw_eval_multipart_alternative_difference(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	struct madiff d;
	double min, max = 0;
	bool umax = args->argc < 2 || strcmp(args->argv[1], "undef") == 0;

	if (args->argc < 1 || !perl_num(args->argv[0], &min) ||
	    (!umax && !perl_num(args->argv[1], &max)))
		return -1;
	if (madiff(&ctx->msg, &d) < 0)
		return -1;
	return (min == 0 || d.diff > min) && (umax || d.diff <= max);
}

/* multipart_alternative_difference_count(ratio, minhtml): more than minhtml HTML
 * words, and text words / HTML words above ratio. */
int
mw_eval_multipart_alternative_difference_count(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	struct madiff d;
	double ratio, minhtml;

	if (args->argc < 2 || !perl_num(args->argv[0], &ratio) ||
	    !perl_num(args->argv[1], &minhtml))
		return -1;
	if (madiff(&ctx->msg, &d) < 0)
		return -1;
	if (!((double)d.html > minhtml))
		return 0;
	return (double)d.text / (double)d.html > ratio;
}

/* --- MIMEEval: check_abundant_unicode_ratio ------------------------------------------- */

struct uni_scan {
	unsigned long long normal, unicode;
};

/* One raw line of a text/plain part: "&#xHHHH;" escapes (capital hex) counted and
 * taken out, the rest (newline included) counted as normal characters (bytes). */
static void
uni_line(void *arg, const char *s, size_t n, bool nl)
{
	struct uni_scan *u = arg;
	size_t i = 0, chars = 0;

	while (i < n) {
		size_t k;

		if (s[i] == '&' && i + 8 <= n && s[i + 1] == '#' && s[i + 2] == 'x' &&
		    s[i + 7] == ';') {
			for (k = 3; k < 7; k++)
				if (!isdigit((unsigned char)s[i + k]) &&
				    !(s[i + k] >= 'A' && s[i + k] <= 'F'))
					break;
			if (k == 7) {
				u->unicode++;
				i += 8;
				continue;
			}
		}
		chars++;	/* raw lines: bytes */
		i++;
	}
	u->normal += chars + nl;
}

/* check_abundant_unicode_ratio(ratio): in the raw text of unencoded (7bit, 8bit)
 * text/plain parts, "&#xHHHH;" escapes per remaining character reach ratio. */
int
mw_eval_check_abundant_unicode_ratio(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	const struct mw_mime_part *p;
	struct uni_scan u = { 0, 0 };
	const char *r;
	size_t n = 0, i, dot;
	double ratio;

	if (args->argc < 1)
		return 0;
	/* the plugin only takes \d{0,3}\.\d{1,3} */
	r = args->argv[0];
	dot = strspn(r, "0123456789");
	if (dot > 3 || r[dot] != '.' || strspn(r + dot + 1, "0123456789") < 1 ||
	    strspn(r + dot + 1, "0123456789") > 3 || r[dot + 1 + strspn(r + dot + 1,
	    "0123456789")] != '\0')
		return 0;
	ratio = strtod(r, NULL);
	if (ctx->msg.mime == NULL)
		return -1;
	p = mw_mime_parts(&ctx->msg, &n);
	for (i = 0; i < n; i++) {
		if (p[i].is_multipart || p[i].is_message || strcmp(p[i].type, "text/plain") != 0 ||
		    (p[i].encoding != NULL && strcmp(p[i].encoding, "7bit") != 0 &&
		    strcmp(p[i].encoding, "8bit") != 0))
			continue;
		if (p[i].raw == NULL) {
			if (p[i].raw_size > 0)
				return -1;
			continue;
		}
		raw_lines(&p[i], uni_line, &u);
	}
	return (u.normal > 0 ? (double)u.unicode / (double)u.normal : 0) >= ratio;
}

/* --- BodyEval: tvd_vertical_words ------------------------------------------------------- */

/* tvd_vertical_words(min, max): the highest share of spaces (per cent of the other
 * characters, 100 when spaces are the majority) over the body paragraphs longer
 * than 5 characters is in [min, max); -1 when there is none.  max >= 100 means
 * no bound. */
int
mw_eval_tvd_vertical_words(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_views *v;
	double min, max;
	long best = -1;
	size_t i, j;

	if (args->argc < 2 || !perl_num(args->argv[0], &min) || !perl_num(args->argv[1], &max))
		return -1;
	if (max >= 100)
		max = 101;
	if (ctx->msg.mime == NULL || (v = mw_mime_views(&ctx->msg)) == NULL)
		return -1;
	for (i = 0; i < v->nbody; i++) {
		unsigned long len = 0, spaces = 0, other;
		long pct;

		for (j = 0; j < v->body[i].len; j++) {
			unsigned char c = (unsigned char)v->body[i].s[j];

			if ((c & 0xc0) != 0x80)
				len++;
			spaces += c == ' ';
		}
		if (len <= 5)
			continue;
		other = len - spaces;
		pct = spaces > other || other == 0 ? 100 : (long)(100 * spaces / other);
		if (pct > best)
			best = pct;
	}
	return (double)best >= min && (double)best < max;
}

/* --- MIMEEval: check_ma_non_text, check_mime_multipart_ratio ----------------------------- */

/* check_ma_non_text(): a multipart/alternative has a direct leaf child that is not
 * text/..., application/rtf or multipart/related. */
int
mw_eval_check_ma_non_text(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_mime_part *p;
	size_t n = 0, i, k;

	(void)args;
	if (ctx->msg.mime == NULL)
		return -1;
	p = mw_mime_parts(&ctx->msg, &n);
	for (i = 0; i < n; i++) {
		if (!p[i].is_multipart || strcmp(p[i].type, "multipart/alternative") != 0)
			continue;
		for (k = i + 1; k < n && p[k].depth > p[i].depth; k++)
			if (p[k].depth == p[i].depth + 1 && !p[k].is_multipart &&
			    !p[k].is_message && strcmp(p[k].type, "application/rtf") != 0 &&
			    strncmp(p[k].type, "text/", 5) != 0)
				return 1;
	}
	return 0;
}

static void
count_bytes(void *arg, const char *s, size_t n, bool nl)
{
	(void)s;
	*(unsigned long long *)arg += n + nl;
}

/* check_mime_multipart_ratio(min, max): once a multipart/alternative has been
 * seen, the raw size of the last text/plain part over that of the last text/html
 * part (attachments left out) is in [min, max); 1.0 when there is no such pair. */
int
mw_eval_check_mime_multipart_ratio(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	const struct mw_message *m = &ctx->msg;
	const struct mw_mime_part *p;
	size_t n = 0, i;
	bool alt = false, have_text = false, have_html = false;
	unsigned long long text = 0, html = 0;
	double min, max, ratio = 1.0;

	if (args->argc < 2 || !perl_num(args->argv[0], &min) || !perl_num(args->argv[1], &max))
		return -1;
	if (m->mime == NULL)
		return -1;
	p = mw_mime_parts(m, &n);
	for (i = 0; i < n; i++)
		if (p[i].is_multipart && strcmp(p[i].type, "multipart/alternative") == 0)
			break;
	alt = i < n;
	/* the last plain and HTML parts that are not attachments, after the first
	 * alternative (earlier parts were not counted) */
	for (i = n; alt && i-- > 0 && !(have_text && have_html); ) {
		const char *cd;
		unsigned long long bytes = 0;
		size_t k;
		bool after = false;

		if (p[i].is_multipart || p[i].is_message)
			continue;
		cd = mw_mime_part_header(m, i, "Content-Disposition", false);
		if (cd != NULL && strcasestr(cd, "attachment") != NULL)
			continue;
		if (strcmp(p[i].type, "text/html") != 0 && strcmp(p[i].type, "text/plain") != 0)
			continue;
		for (k = 0; k < i && !after; k++)
			after = p[k].is_multipart && strcmp(p[k].type, "multipart/alternative") == 0;
		if (after && p[i].raw != NULL)
			raw_lines(&p[i], count_bytes, &bytes);
		else if (after && p[i].raw_size > 0)
			return -1;
		if (strcmp(p[i].type, "text/html") == 0 && !have_html) {
			have_html = true;
			html = bytes;
		} else if (strcmp(p[i].type, "text/plain") == 0 && !have_text) {
			have_text = true;
			text = bytes;
		}
	}
	if (have_text && have_html && html > 0)
		ratio = (double)text / (double)html;
	return ratio >= min && ratio < max;
}

/* --- ImageInfo: image_count, pixel_coverage ------------------------------------------- */

/* Counts and pixel areas of the base64 GIF, PNG and JPEG leaves, by type; the last
 * slot is "all".  unknown: some image's size could not be read (pixel areas are
 * then not sure). */
struct img_sum {
	unsigned long count[MW_IMAGE_NTYPES + 1];
	unsigned long long area[MW_IMAGE_NTYPES + 1];
	bool	 unknown[MW_IMAGE_NTYPES + 1];
};

static int
img_type_index(const char *name)
{
	if (strcmp(name, "gif") == 0)
		return MW_IMAGE_GIF;
	if (strcmp(name, "png") == 0)
		return MW_IMAGE_PNG;
	if (strcmp(name, "jpeg") == 0)
		return MW_IMAGE_JPEG;
	if (strcmp(name, "all") == 0)
		return MW_IMAGE_NTYPES;
	return -1;
}

static bool
img_sum(const struct mw_message *m, struct img_sum *sum)
{
	const struct mw_mime_part *p;
	size_t n = 0, i;

	memset(sum, 0, sizeof(*sum));
	if (m->mime == NULL)
		return false;
	p = mw_mime_parts(m, &n);
	for (i = 0; i < n; i++) {
		enum mw_image_type t;
		unsigned long w = 0, h = 0;
		int rc = -1;

		if (p[i].is_multipart || p[i].is_message || p[i].type == NULL ||
		    p[i].encoding == NULL || strcmp(p[i].encoding, "base64") != 0)
			continue;
		if (strcmp(p[i].type, "image/gif") == 0)
			t = MW_IMAGE_GIF;
		else if (strcmp(p[i].type, "image/png") == 0)
			t = MW_IMAGE_PNG;
		else if (strcmp(p[i].type, "image/jpeg") == 0 || strcmp(p[i].type, "image/jpg") == 0)
			t = MW_IMAGE_JPEG;
		else
			continue;
		sum->count[t]++;
		sum->count[MW_IMAGE_NTYPES]++;
		if (p[i].raw != NULL)
			rc = mw_imageinfo_base64(p[i].raw, p[i].raw_size, t, &w, &h);
		else if (p[i].raw_size == 0)
			rc = 0;
		if (rc < 0) {
			sum->unknown[t] = sum->unknown[MW_IMAGE_NTYPES] = true;
			continue;
		}
		if (rc == 1 && w > 0 && h > 0) {
			sum->area[t] += (unsigned long long)w * h;
			sum->area[MW_IMAGE_NTYPES] += (unsigned long long)w * h;
		}
	}
	return true;
}

/* ImageInfo's result_check: min <= value (<= max when max is given). */
static int
img_range(const struct mw_eval_args *args, double value)
{
	double min, max;

	if (!perl_num(args->argv[1], &min))
		return -1;
	if (value < min)
		return 0;
	if (args->argc > 2 && perl_num(args->argv[2], &max) && value > max)
		return 0;
	return 1;
}

/* image_count(type, min[, max]): the number of base64 image/gif, png or jpeg parts
 * of that type ("all": of the three) lies in [min, max]. */
int
mw_eval_image_count(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	struct img_sum sum;
	int t;

	if (args->argc < 2)
		return 0;
	if ((t = img_type_index(args->argv[0])) < 0)
		return 0;	/* no such count: undef never passes */
	if (!img_sum(&ctx->msg, &sum))
		return -1;
	return img_range(args, (double)sum.count[t]);
}

/* pixel_coverage(type, min[, max]): the summed width x height of those images lies
 * in [min, max]. */
int
mw_eval_pixel_coverage(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	struct img_sum sum;
	int t, r;

	if (args->argc < 2)
		return 0;
	if ((t = img_type_index(args->argv[0])) < 0)
		return 0;
	if (!img_sum(&ctx->msg, &sum))
		return -1;
	r = img_range(args, (double)sum.area[t]);
	if (!sum.unknown[t] || r < 0)
		return r;
	/* an image whose size is not known can only add to the sum: sure when it is
	 * already past max, or at least min with no max */
	if (r == 1)
		return args->argc > 2 ? -1 : 1;
	return img_range(&(struct mw_eval_args){ 2, args->argv }, (double)sum.area[t]) == 1 ?
	    0 : -1;
}

/* --- BodyEval: check_body_length ------------------------------------------------------- */

/* check_body_length(max): the body (everything after the header block) has at
 * most max bytes. */
int
mw_eval_check_body_length(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	bool u;
	double max = num_arg(args, 0, &u);

	if (u)
		return -1;
	return (double)ctx->msg.body_len <= max;
}

/* --- HeaderEval: check_for_to_in_subject ------------------------------------------------ */

/* Append s to a PCRE2 pattern as a literal. */
static int
re_quote(struct mw_buf *b, const char *s)
{
	for (; *s; s++) {
		if (!isalnum((unsigned char)*s) && (unsigned char)*s < 0x80 &&
		    mw_buf_putc(b, '\\') < 0)
			return -1;
		if (mw_buf_putc(b, *s) < 0)
			return -1;
	}
	return 0;
}

/* check_for_to_in_subject('address' | 'user'): the first To address, or its
 * local part in one of the forms spammers use ("Re: user", "user, ...", "user!"),
 * in the Subject. */
int
mw_eval_check_for_to_in_subject(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_mime_address *a;
	const char *subj;
	char to[512];
	size_t n = 0;
	struct mw_buf re;
	int rc = -1;

	if (args->argc < 1 || ctx->msg.mime == NULL)
		return -1;
	a = mw_mime_addresses(&ctx->msg, "To", &n);
	if (a == NULL || n == 0 || a[0].addr == NULL || a[0].addr[0] == '\0')
		return 0;
	snprintf(to, sizeof(to), "%s", a[0].addr);
	if ((subj = mw_mime_header_decoded(&ctx->msg, "Subject", 0)) == NULL)
		subj = "";
	if (strcmp(args->argv[0], "user") == 0)
		to[strcspn(to, "@")] = '\0';
	/* every form needs the address (or user) in the Subject, in some case: most
	 * messages stop here, before a pattern is made for them */
	if (to[0] != '\0' && strcasestr(subj, to) == NULL)
		return 0;
	mw_buf_init(&re, 0);
	if (strcmp(args->argv[0], "address") == 0) {
		if (mw_buf_puts(&re, "(?i)\\b") == 0 && re_quote(&re, to) == 0 &&
		    mw_buf_puts(&re, "\\b") == 0)
			rc = re_match_once(re.data, subj);
	} else if (strcmp(args->argv[0], "user") == 0) {
		if (mw_buf_puts(&re, "(?i)^(?:(?:re|fw):\\s*(?:\\w+\\s+)?") == 0 &&
		    re_quote(&re, to) == 0 && mw_buf_puts(&re, "$|(?-i:") == 0 &&
		    re_quote(&re, to) == 0 && mw_buf_puts(&re, ")\\s*[,:;!?-](?:$|\\s)|") == 0 &&
		    re_quote(&re, to) == 0 && mw_buf_puts(&re, "$|,\\s*") == 0 &&
		    re_quote(&re, to) == 0 && mw_buf_puts(&re, "[,:;!?-]$)") == 0)
			rc = re_match_once(re.data, subj);
	} else
		rc = 0;
	mw_buf_free(&re);
	return rc;
}

/* --- FreeMail ---------------------------------------------------------------------------- */

struct strv {
	char   **v;
	size_t	 n, cap;
};

struct mw_eval_sa_conf {
	struct mw_domain_set domains;	/* exact, lower-case: ~3000 in Debian's rules */
	struct strv wild;	/* with '*' (no dot) or '?' (any one char) */
	struct strv welcome;	/* addresses or domains never counted as freemail */
	char	*ok_locales;	/* the last ok_locales line; NULL = "all" */
	/* enlist_addrlist (NAME) patterns: address globs, lower-case */
	struct addrlist {
		char	 name[64];
		struct strv pats;
	} *lists;
	size_t	 nlists;
};

static int
strv_add(struct strv *sv, const char *s, size_t n)
{
	size_t i;
	char *c;

	if (sv->n == sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 64;
		char **v = realloc(sv->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		sv->v = v;
		sv->cap = cap;
	}
	if ((c = malloc(n + 1)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		c[i] = (char)tolower((unsigned char)s[i]);
	c[n] = '\0';
	sv->v[sv->n++] = c;
	return 0;
}

static void
strv_free(struct strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
}

static bool
strv_has(const struct strv *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

/* welcomelist_bounce_relays, under a name no "(NAME)" can spell */
#define BOUNCE_LIST	"(bounce relays)"

/* "enlist_addrlist (NAME) glob glob ...": 1, or -1 on ENOMEM; a line without a
 * "(NAME)" is taken and ignored, as SpamAssassin refuses it. */
static struct addrlist *addrlist_get(struct mw_eval_sa_conf *c, const char *name, size_t n);
static int addrlist_add(struct addrlist *l, const char *p);

static int
addrlist_line(struct mw_eval_sa_conf *c, const char *val)
{
	const char *p = val, *e;
	struct addrlist *l = NULL;
	size_t n;

	while (isspace((unsigned char)*p))
		p++;
	if (*p != '(' || (e = strchr(p, ')')) == NULL || (n = (size_t)(e - p - 1)) == 0 ||
	    n >= sizeof(l->name))
		return 1;
	if ((l = addrlist_get(c, p + 1, n)) == NULL)
		return -1;
	return addrlist_add(l, e + 1);
}

/* The list called name[0..n), made when there is none; NULL on ENOMEM. */
static struct addrlist *
addrlist_get(struct mw_eval_sa_conf *c, const char *name, size_t n)
{
	struct addrlist *v;
	size_t i;

	for (i = 0; i < c->nlists; i++)
		if (strlen(c->lists[i].name) == n && memcmp(c->lists[i].name, name, n) == 0)
			return &c->lists[i];
	if (n >= sizeof(v->name) || (v = realloc(c->lists, (c->nlists + 1) * sizeof(*v))) == NULL)
		return NULL;
	c->lists = v;
	v = &c->lists[c->nlists++];
	memset(v, 0, sizeof(*v));
	memcpy(v->name, name, n);
	return v;
}

/* Add the space-separated globs of p to a list: 1, or -1 on ENOMEM. */
static int
addrlist_add(struct addrlist *l, const char *p)
{
	size_t n;

	while (*p != '\0') {
		while (isspace((unsigned char)*p))
			p++;
		if ((n = strcspn(p, " \t\r\n\f\v")) == 0)
			break;
		if (strv_add(&l->pats, p, n) < 0)	/* lower-cased */
			return -1;
		p += n;
	}
	return 1;
}

int
mw_eval_sa_conf_line(struct mw_eval_sa_conf **confp, const char *key, const char *val)
{
	bool domains = strcmp(key, "freemail_domains") == 0;
	bool locales = strcmp(key, "ok_locales") == 0;
	bool enlist = strcmp(key, "enlist_addrlist") == 0;
	bool bounce = strcmp(key, "welcomelist_bounce_relays") == 0 ||
	    strcmp(key, "whitelist_bounce_relays") == 0;
	struct mw_eval_sa_conf *c = *confp;
	const char *p = val;

	if (!domains && !locales && !enlist && !bounce &&
	    strcmp(key, "freemail_welcomelist") != 0 &&
	    strcmp(key, "freemail_whitelist") != 0)
		return 0;
	if (c == NULL && (c = *confp = calloc(1, sizeof(*c))) == NULL)
		return -1;
	if (enlist)
		return addrlist_line(c, val);
	if (bounce) {		/* VBounce: kept as the list "(bounce relays)" */
		struct addrlist *l = addrlist_get(c, BOUNCE_LIST, strlen(BOUNCE_LIST));

		return l == NULL ? -1 : addrlist_add(l, val);
	}
	if (locales) {		/* a string setting: the last line wins */
		char *v = strdup(val);

		if (v == NULL)
			return -1;
		free(c->ok_locales);
		c->ok_locales = v;
		return 1;
	}
	while (*p != '\0') {
		const char *w;
		size_t n, i;
		bool ok = true, wild = false;

		while (isspace((unsigned char)*p))
			p++;
		for (w = p; *p != '\0' && !isspace((unsigned char)*p); p++)
			;
		if ((n = (size_t)(p - w)) == 0)
			break;
		if (!domains) {
			if (strv_add(&c->welcome, w, n) < 0)
				return -1;
			continue;
		}
		/* SpamAssassin takes only [a-zA-Z0-9.*?-] entries, ignoring the others */
		for (i = 0; i < n; i++) {
			if (w[i] == '*' || w[i] == '?')
				wild = true;
			else if (!isalnum((unsigned char)w[i]) && w[i] != '.' && w[i] != '-')
				ok = false;
		}
		if (ok && wild && strv_add(&c->wild, w, n) < 0)
			return -1;
		if (ok && !wild) {
			char d[256];

			if (n >= sizeof(d))
				continue;	/* longer than any domain name */
			memcpy(d, w, n);
			d[n] = '\0';
			if (mw_domain_set_add(&c->domains, d) < 0)
				return -1;
		}
	}
	return 1;
}

void
mw_eval_sa_conf_free(struct mw_eval_sa_conf *c)
{
	if (c == NULL)
		return;
	mw_domain_set_clear(&c->domains);
	strv_free(&c->wild);
	strv_free(&c->welcome);
	free(c->ok_locales);
	for (size_t i = 0; i < c->nlists; i++)
		strv_free(&c->lists[i].pats);
	free(c->lists);
	free(c);
}

/* FreeMail's wildcards: '*' = [^.]*, '?' = any one character; the whole string. */
static bool
wild_match(const char *pat, const char *s)
{
	if (*pat == '\0')
		return *s == '\0';
	if (*pat == '*') {
		for (;;) {
			if (wild_match(pat + 1, s))
				return true;
			if (*s == '\0' || *s == '.')
				return false;
			s++;
		}
	}
	if (*s == '\0')
		return false;
	if (*pat == '?' || *pat == *s)
		return wild_match(pat + 1, s + 1);
	return false;
}

/* FreeMail's built-in welcomelist of role and bounce addresses:
 * ^(?:abuse|support|sales|info|helpdesk|contact|kontakt|(?:post|host|domain)master|
 *  undisclosed.*|request-[a-f0-9]{16}|bounced?-|[a-f0-9]{8}(?:\.[a-f0-9]{8}|
 *  -[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})|.+=.+=.+)\@  (case-insensitive) */
static bool
xhex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool
role_address(const char *email)
{
	static const char *const words[] = {
		"abuse@", "support@", "sales@", "info@", "helpdesk@", "contact@", "kontakt@",
		"postmaster@", "hostmaster@", "domainmaster@"
	};
	const char *last_at = strrchr(email, '@'), *p;
	size_t k, eq = 0;

	for (k = 0; k < sizeof(words) / sizeof(words[0]); k++)
		if (strncasecmp(email, words[k], strlen(words[k])) == 0)
			return true;
	if (last_at == NULL)
		return false;
	if (strncasecmp(email, "undisclosed", 11) == 0)
		return true;
	if (strncasecmp(email, "request-", 8) == 0 && xhex(email + 8, 16) && email[24] == '@')
		return true;
	if (strncasecmp(email, "bounce-", 7) == 0 || strncasecmp(email, "bounced-", 8) == 0)
		return true;
	if (xhex(email, 8) && ((email[8] == '.' && xhex(email + 9, 8) && email[17] == '@') ||
	    (email[8] == '-' && xhex(email + 9, 4) && email[13] == '-' &&
	    xhex(email + 14, 4) && email[18] == '-' && xhex(email + 19, 4) &&
	    email[23] == '-' && xhex(email + 24, 12) && email[36] == '@')))
		return true;
	/* .+=.+=.+\@ : two '=' with something around them before an '@' */
	for (p = email; p < last_at; p++)
		if (*p == '=' && p > email && p + 1 < last_at) {
			if (++eq == 2)
				return true;
		}
	return false;
}

bool
mw_eval_sa_is_freemail(const struct mw_eval_sa_conf *c, const char *email)
{
	const char *at, *domain;
	size_t i;

	if (c == NULL || email[0] == '\0')
		return false;
	if (strv_has(&c->welcome, email))
		return false;
	at = strrchr(email, '@');
	domain = at != NULL ? at + 1 : email;
	if (strv_has(&c->welcome, domain) || role_address(email))
		return false;
	if (mw_domain_set_has(&c->domains, domain, strlen(domain)))
		return true;
	/* \@(?:wildcards)$ : after any '@' */
	for (at = strchr(email, '@'); at != NULL; at = strchr(at + 1, '@'))
		for (i = 0; i < c->wild.n; i++)
			if (wild_match(c->wild.v[i], at + 1))
				return true;
	return false;
}

static const struct mw_eval_sa_conf *
eval_conf(const struct mw_scan_ctx *ctx)
{
	return ctx->gen != NULL && ctx->gen->rules != NULL ? ctx->gen->rules->eval_conf : NULL;
}

/*
 * Patterns that come from the rule files (check_freemail_header's regex) or are
 * constants here: compiled once, on first use, and kept for the life of the
 * process in a small table shared by all threads.  The set is bounded by the
 * rules; past RE_CACHE_MAX distinct patterns each further one is compiled per call.
 */
#define RE_CACHE_MAX	64

static struct {
	char	*pat;
	uint32_t opt;
	pcre2_code *code;	/* NULL: does not compile */
} re_cache[RE_CACHE_MAX];
static size_t re_cache_n;
static pthread_mutex_t re_cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* JIT only pays for a pattern that is kept. */
static pcre2_code *
re_compile(const char *re, uint32_t opt, bool jit)
{
	pcre2_code *code;
	int err;
	PCRE2_SIZE off;

	code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, opt, &err, &off, NULL);
	if (code != NULL && jit)
		(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	return code;
}

static int
re_run(const pcre2_code *code, const char *s)
{
	pcre2_match_data *md;
	int rc;

	if ((md = pcre2_match_data_create(1, NULL)) == NULL)
		return -1;
	rc = pcre2_match(code, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}

/* Look a pattern up in the table, adding it when there is room.  *kept is false
 * when the table is full (the caller compiles its own copy). */
static const pcre2_code *
re_lookup(const char *re, uint32_t opt, bool *kept)
{
	const pcre2_code *code = NULL;
	size_t i;

	*kept = false;
	if (pthread_mutex_lock(&re_cache_lock) != 0)
		return NULL;
	for (i = 0; i < re_cache_n; i++)
		if (re_cache[i].opt == opt && strcmp(re_cache[i].pat, re) == 0) {
			code = re_cache[i].code;
			*kept = true;
			break;
		}
	if (!*kept && re_cache_n < RE_CACHE_MAX) {
		char *pat = strdup(re);

		if (pat != NULL) {
			re_cache[re_cache_n].pat = pat;
			re_cache[re_cache_n].opt = opt;
			code = re_cache[re_cache_n].code = re_compile(re, opt, true);
			re_cache_n++;
			*kept = true;
		}
	}
	(void)pthread_mutex_unlock(&re_cache_lock);
	return code;
}

/* The compiled code of a constant pattern, kept for the process, or NULL. */
static const pcre2_code *
re_cached(const char *re)
{
	bool kept;

	return re_lookup(re, 0, &kept);
}

/* s =~ /re/ with re compiled once (opt: PCRE2 options); -1 when it does not
 * compile (or ENOMEM).  A cached code is never freed while the process runs, so
 * it is used outside the lock. */
static int
re_match_opt(const char *re, uint32_t opt, const char *s)
{
	pcre2_code *own = NULL;
	const pcre2_code *code;
	bool kept;
	int rc;

	code = re_lookup(re, opt, &kept);
	if (!kept)
		code = own = re_compile(re, opt, false);
	rc = code != NULL ? re_run(code, s) : -1;
	pcre2_code_free(own);
	return rc;
}

static int
re_match(const char *re, const char *s)
{
	return re_match_opt(re, 0, s);
}

/* The same for a pattern made from the message itself (never cached). */
static int
re_match_once(const char *re, const char *s)
{
	pcre2_code *code = re_compile(re, 0, false);
	int rc = code != NULL ? re_run(code, s) : -1;

	pcre2_code_free(code);
	return rc;
}

/* Lower-cased (and, for From addresses, dots squeezed) copy of an address. */
static void
lc_addr(const char *a, char *out, size_t cap, bool squeeze)
{
	size_t n = 0;

	for (; *a != '\0' && n + 1 < cap; a++) {
		if (squeeze && *a == '.' && n > 0 && out[n - 1] == '.')
			continue;
		out[n++] = (char)tolower((unsigned char)*a);
	}
	out[n] = '\0';
}

static bool
model_parses(const char *field)
{
	static const char *const f[] = {
		"From", "To", "Cc", "Bcc", "Reply-To", "Sender", "Resent-From", "Resent-To",
		"Resent-Cc", "Resent-Bcc", "Resent-Sender", "Return-Path", "Errors-To",
		"Disposition-Notification-To", "Delivered-To"
	};
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (strcasecmp(f[i], field) == 0)
			return true;
	return false;
}

/* Test one address; 1 = freemail (and matching the regex if given). */
static int
freemail_one(const struct mw_eval_sa_conf *c, const char *addr, const char *re, bool squeeze)
{
	char e[512];

	lc_addr(addr, e, sizeof(e), squeeze);
	if (!mw_eval_sa_is_freemail(c, e))
		return 0;
	return re == NULL ? 1 : re_match(re, e) == 1;
}

/* Every address of a field: the model's parse when it has one, else plain_addr. */
static int
freemail_field(const struct mw_scan_ctx *ctx, const struct mw_eval_sa_conf *c,
    const char *field, const char *re, bool squeeze)
{
	const struct mw_message *m = &ctx->msg;
	char buf[512];
	size_t n = 0, i;

	if (strcmp(field, "EnvelopeFrom") == 0)
		return freemail_one(c, mw_eval_sa_envelope_from(ctx, buf, sizeof(buf)), re, squeeze);
	if (model_parses(field)) {
		const struct mw_mime_address *a = m->mime != NULL ?
		    mw_mime_addresses(m, field, &n) : NULL;

		for (i = 0; a != NULL && i < n; i++)
			if (a[i].addr != NULL && freemail_one(c, a[i].addr, re, squeeze) == 1)
				return 1;
		return 0;
	}
	return freemail_one(c, plain_addr(m, field, buf, sizeof(buf)), re, squeeze);
}

int
mw_eval_check_freemail_from(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	static const char *const fields[] = {
		"From", "Envelope-Sender", "Resent-Sender", "X-Envelope-From", "EnvelopeFrom"
	};
	const struct mw_eval_sa_conf *c = eval_conf(ctx);
	const char *re = args->argc > 0 ? args->argv[0] : NULL;
	size_t k;

	if (c == NULL || (c->domains.n == 0 && c->wild.n == 0))
		return 0;	/* no freemail_domains: the plugin is off */
	/* SpamAssassin's all_from_addrs: the first Resent-From alone when there is one */
	if (mw_message_header(&ctx->msg, "Resent-From", 0) != NULL) {
		const struct mw_mime_address *a;
		size_t n = 0;

		a = ctx->msg.mime != NULL ? mw_mime_addresses(&ctx->msg, "Resent-From", &n) : NULL;
		return a != NULL && n > 0 && a[0].addr != NULL &&
		    freemail_one(c, a[0].addr, re, false) == 1;
	}
	for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
		if (freemail_field(ctx, c, fields[k], re, true) == 1)
			return 1;
	return 0;
}

int
mw_eval_check_freemail_header(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_eval_sa_conf *c = eval_conf(ctx);
	char field[128];
	size_t n;

	if (c == NULL || (c->domains.n == 0 && c->wild.n == 0) || args->argc < 1)
		return 0;
	/* 'Reply-To:addr' is read as 'Reply-To' (the :addr is implied) */
	n = strcspn(args->argv[0], ":");
	if (n >= sizeof(field))
		return 0;
	memcpy(field, args->argv[0], n);
	field[n] = '\0';
	return freemail_field(ctx, c, field, args->argc > 1 ? args->argv[1] : NULL, false);
}

/* --- check_freemail_replyto ------------------------------------------------------------ */

/* FreeMail's pattern for an address in text: a local part of at most 64 characters
 * not glued to a preceding address character, up to four domain labels and a TLD.
 * SpamAssassin ends it with its list of valid TLDs; any alphabetic label stands in
 * for that here (the domain must be a freemail one anyway to count). */
#define FM_LOCAL	"a-z0-9!#$%&'*+/=?^_`{|}~-"
#define FM_EMAIL	"(?=.{0,64}@)(?<![" FM_LOCAL "])([" FM_LOCAL "]+(?:\\.[" FM_LOCAL \
	"]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,59}[a-z0-9])?\\.){1,4}(?:xn--[a-z0-9-]+|[a-z]{2,63}))"

/* FreeMail's defaults: freemail_max_body_emails 5, freemail_max_body_freemails 3,
 * freemail_skip_when_over_max 1 (Debian's rules do not change them). */
#define FM_MAX_BODY_EMAILS	5
#define FM_MAX_BODY_FREEMAILS	3

/* FreeMail's patterns, compiled once (JIT) for all threads. */
enum fm_rx {
	FM_RX_MAILTO,		/* an address in a mailto: link */
	FM_RX_EMAIL,		/* an address in text */
	FM_RX_STRIP_URL,	/* a URL with an address inside */
	FM_RX_STRIP_QUOTED,	/* <addr>, or "addr wrote:" */
	FM_RX_BULK,		/* a bulk-looking envelope sender */
	FM_RX_COUNT
};

static const struct mw_rxtab_src fm_src[] = {
	{ FM_RX_MAILTO, "^mailto:" FM_EMAIL, PCRE2_CASELESS },
	{ FM_RX_EMAIL, FM_EMAIL, PCRE2_CASELESS },
	{ FM_RX_STRIP_URL, "<?https?://\\S{0,255}(?:@|%40)\\S{0,255}", PCRE2_CASELESS },
	{ FM_RX_STRIP_QUOTED, "<?(?<!mailto:)" FM_EMAIL "(?:>|\\s{1,10}"
	    "(?!(?:fa(?:x|csi)|tel|phone|e?-?mail))[a-z]{2,11}:)", PCRE2_CASELESS },
	{ FM_RX_BULK, "(?:^(?:post|host|domain)master|^double-bounce|"
	    "^(?:sentto|owner|return|(?:gr)?bounced?)-.+|-(?:request|bounces?|admin|owner)|"
	    "\\b(?:do[._-t]?)?no[._-t]?repl(?:y|ies)|.+=.+)@", PCRE2_CASELESS },
};
static pcre2_code *fm_code[FM_RX_COUNT];
static struct mw_rxtab fm_table = MW_RXTAB_INIT(fm_src, fm_code);

static const pcre2_code *
fm_rx(enum fm_rx id)
{
	return mw_rxtab_ready(&fm_table) ? fm_code[id] : NULL;
}

/* Global substitution with " "; returns a malloc'ed string or NULL. */
static char *
fm_strip(const pcre2_code *re, const char *s, size_t n, size_t *outn)
{
	PCRE2_SIZE cap = n + 1;
	PCRE2_UCHAR *out;
	int rc;

	for (;;) {
		if ((out = malloc(cap)) == NULL)
			return NULL;
		rc = pcre2_substitute(re, (PCRE2_SPTR)s, n, 0,
		    PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH, NULL, NULL,
		    (PCRE2_SPTR)" ", 1, out, &cap);
		if (rc >= 0) {
			*outn = cap;
			return (char *)out;
		}
		free(out);
		if (rc != PCRE2_ERROR_NOMEMORY)
			return NULL;
		cap++;	/* cap now holds the length needed */
	}
}

struct fm_body {
	char	 addr[FM_MAX_BODY_EMAILS][256];
	size_t	 n;		/* unique addresses seen */
	bool	 over;		/* the plugin's sanity stop */
};

/* Add one address (lower-cased); false once the plugin would stop looking. */
static bool
fm_body_add(struct fm_body *b, const char *s, size_t n)
{
	char e[256];
	size_t i;

	if (n >= sizeof(e))
		n = sizeof(e) - 1;
	for (i = 0; i < n; i++)
		e[i] = (char)tolower((unsigned char)s[i]);
	e[n] = '\0';
	for (i = 0; i < b->n; i++)
		if (strcmp(b->addr[i], e) == 0)
			return true;
	memcpy(b->addr[b->n++], e, n + 1);
	if (b->n == FM_MAX_BODY_EMAILS) {
		b->over = true;	/* the fifth distinct address */
		return false;
	}
	return true;
}

/*
 * FreeMail's _parse_body: the freemail addresses of the body, from mailto: links
 * of HTML anchors and from the rendered text (after dropping URLs with an address
 * inside, addresses in <...> and ones followed by "word:" as in "... wrote:").
 * Fills fm[] (at most FM_MAX_BODY_FREEMAILS - 1); returns the count, or -1 when
 * the body has too many addresses or freemails (the plugin then skips the body)
 * or on ENOMEM.
 */
static int
fm_body_freemails(const struct mw_scan_ctx *ctx, const struct mw_eval_sa_conf *c,
    char fm[][256])
{
	const struct mw_message *m = &ctx->msg;
	const struct mw_views *v = mw_mime_views(m);
	const struct mw_uri *u;
	const pcre2_code *mailto = fm_rx(FM_RX_MAILTO), *email = fm_rx(FM_RX_EMAIL);
	const pcre2_code *strip_url = fm_rx(FM_RX_STRIP_URL);
	const pcre2_code *strip_quoted = fm_rx(FM_RX_STRIP_QUOTED);
	pcre2_match_data *md = NULL;
	struct fm_body *b;
	size_t nu = 0, i, k;
	int nfm = 0, rc = -1;

	if (mailto == NULL || email == NULL || strip_url == NULL || strip_quoted == NULL)
		return -1;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -1;
	if ((md = pcre2_match_data_create(2, NULL)) == NULL)
		goto out;
	u = mw_mime_uri_details(m, &nu);
	for (i = 0; u != NULL && i < nu && !b->over; i++) {
		PCRE2_SIZE *ov;

		if (!(u[i].flags & MW_URI_FROM_HTML) || (u[i].flags & MW_URI_AS_WRITTEN))
			continue;
		if (u[i].len < 8 || strncasecmp(u[i].uri, "mailto:", 7) != 0 ||
		    pcre2_match(mailto, (PCRE2_SPTR)u[i].uri, u[i].len, 0, 0, md, NULL) < 2)
			continue;
		ov = pcre2_get_ovector_pointer(md);
		fm_body_add(b, u[i].uri + ov[2], ov[3] - ov[2]);
	}
	for (i = 0; v != NULL && i < v->nbody && !b->over; i++) {
		size_t n1, n2, off = 0;
		char *t1, *t2;

		/* every pattern needs an '@': most paragraphs have none */
		if (memchr(v->body[i].s, '@', v->body[i].len) == NULL)
			continue;
		if ((t1 = fm_strip(strip_url, v->body[i].s, v->body[i].len, &n1)) == NULL)
			goto out;
		t2 = fm_strip(strip_quoted, t1, n1, &n2);
		free(t1);
		if (t2 == NULL)
			goto out;
		while (off < n2 && pcre2_match(email, (PCRE2_SPTR)t2, n2, off, 0, md, NULL) >= 2) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);

			if (!fm_body_add(b, t2 + ov[2], ov[3] - ov[2]))
				break;
			off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
		}
		free(t2);
	}
	if (b->over)
		goto out;	/* freemail_skip_when_over_max */
	for (k = 0; k < b->n; k++) {
		if (!mw_eval_sa_is_freemail(c, b->addr[k]))
			continue;
		if (nfm + 1 == FM_MAX_BODY_FREEMAILS)
			goto out;
		memcpy(fm[nfm++], b->addr[k], sizeof(b->addr[k]));
	}
	rc = nfm;
out:
	pcre2_match_data_free(md);
	free(b);
	return rc;
}

/* FreeMail's list of envelope senders that look like bulk mail (no Reply-To check). */
static bool
fm_bulk_envfrom(const char *envfrom)
{
	const pcre2_code *code = fm_rx(FM_RX_BULK);
	pcre2_match_data *md;
	int rc = -1;

	if (code == NULL || strchr(envfrom, '@') == NULL)
		return false;
	if ((md = pcre2_match_data_create(1, NULL)) != NULL) {
		rc = pcre2_match(code, (PCRE2_SPTR)envfrom, strlen(envfrom), 0, 0, md, NULL);
		pcre2_match_data_free(md);
	}
	return rc >= 0;
}

/* The lower-cased addresses of every `field`, at most cap of them. */
static size_t
fm_addrs(const struct mw_message *m, const char *field, char out[][256], size_t cap)
{
	const struct mw_mime_address *a;
	size_t n = 0, i, k = 0;

	a = m->mime != NULL ? mw_mime_addresses(m, field, &n) : NULL;
	for (i = 0; a != NULL && i < n && k < cap; i++)
		if (a[i].addr != NULL && a[i].addr[0] != '\0')
			lc_addr(a[i].addr, out[k++], 256, false);
	return k;
}

/*
 * check_freemail_replyto('replyto' | 'reply'): From and Reply-To are different
 * freemail addresses; or else the reply address (Reply-To, or for 'reply' the
 * From when there is no Reply-To) is freemail and the body names a different
 * freemail address.
 */
int
mw_eval_check_freemail_replyto(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_eval_sa_conf *c = eval_conf(ctx);
	const char *what = args->argc > 0 ? args->argv[0] : "replyto";
	char from[16][256], rt[16][256], body[FM_MAX_BODY_FREEMAILS][256], buf[512];
	size_t nfrom, nrt, i, k;
	bool from_fm = false, rt_fm = false, from_not_in_rt = true;
	char (*reply)[256];
	size_t nreply;
	int nbody;

	if (c == NULL || (c->domains.n == 0 && c->wild.n == 0))
		return 0;
	if (strcmp(what, "replyto") != 0 && strcmp(what, "reply") != 0)
		return 0;
	if (fm_bulk_envfrom(mw_eval_sa_envelope_from(ctx, buf, sizeof(buf))))
		return 0;
	nfrom = fm_addrs(&ctx->msg, "From", from, 16);
	nrt = fm_addrs(&ctx->msg, "Reply-To", rt, 16);
	for (i = 0; i < nfrom; i++)
		from_fm |= mw_eval_sa_is_freemail(c, from[i]);
	for (i = 0; i < nrt; i++)
		rt_fm |= mw_eval_sa_is_freemail(c, rt[i]);
	for (i = 0; i < nfrom; i++)
		for (k = 0; k < nrt; k++)
			if (strcmp(from[i], rt[k]) == 0)
				from_not_in_rt = false;
	if (from_fm && rt_fm && from_not_in_rt)
		return 1;
	if (strcmp(what, "replyto") == 0 ? !rt_fm : (nrt > 0 && !rt_fm) || !from_fm)
		return 0;
	if ((nbody = fm_body_freemails(ctx, c, body)) <= 0)
		return 0;
	if (strcmp(what, "replyto") == 0 || rt_fm)
		reply = rt, nreply = nrt;
	else
		reply = from, nreply = nfrom;
	for (i = 0; i < (size_t)nbody; i++)
		for (k = 0; k < nreply; k++)
			if (strcmp(body[i], reply[k]) != 0)
				return 1;
	return 0;
}

/* --- check_for_ascii_text_illegal ------------------------------------------------------ */

/* A text/plain part declared US-ASCII (or without a charset) whose raw lines hold
 * NUL, CR or 8-bit bytes.  The MIME model does not keep where each part's raw
 * content lies, so only a message that is one text/plain part is looked at; the
 * parts of a multipart message are not (a known gap: fewer hits than SpamAssassin). */
int
mw_eval_check_for_ascii_text_illegal(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	const struct mw_message *m = &ctx->msg;
	const struct mw_mime_part *p;
	size_t n = 0, i;

	(void)args;
	if (m->mime == NULL || (p = mw_mime_parts(m, &n)) == NULL || n != 1 ||
	    p[0].is_multipart || p[0].type == NULL || strcmp(p[0].type, "text/plain") != 0)
		return 0;
	if (p[0].charset != NULL && strcasecmp(p[0].charset, "us-ascii") != 0)
		return 0;
	for (i = 0; i < m->body_len; i++) {
		unsigned char c = (unsigned char)m->body[i];

		if (c == '\r' && m->crlf && i + 1 < m->body_len && m->body[i + 1] == '\n')
			continue;	/* the milter's CRLF line ends are not content */
		if (c == 0 || c == '\r' || c >= 0x80)
			return 1;
	}
	return 0;
}

/* --- check_illegal_chars ---------------------------------------------------------------- */

/* The raw text SpamAssassin's get("Name:raw") gives: every value, folds turned into
 * one space, "\n" after each; "ALL" = the whole header block. */
static char *
raw_text(const struct mw_message *m, const char *field, size_t *len)
{
	struct mw_buf b;
	size_t i, k;
	bool bad = false;
	char *out;

	if (strcasecmp(field, "ALL") == 0) {
		char *s = malloc(m->header_len + 1);

		if (s == NULL)
			return NULL;
		memcpy(s, m->data, m->header_len);
		s[m->header_len] = '\0';
		*len = m->header_len;
		return s;
	}
	mw_buf_init(&b, 1u << 20);
	for (i = 0; i < m->nheaders; i++) {
		const struct mw_header *h = &m->headers[i];
		const char *v = memchr(h->raw, ':', h->raw_len);

		if (strcasecmp(h->name, field) != 0 || v == NULL)
			continue;
		v++;
		while (v < h->raw + h->raw_len && (*v == ' ' || *v == '\t'))
			v++;
		for (k = (size_t)(v - h->raw); k < h->raw_len; k++) {
			char c = h->raw[k];

			if (c == '\r' && k + 1 < h->raw_len && h->raw[k + 1] == '\n')
				continue;
			if (c == '\n') {
				while (k + 1 < h->raw_len && (h->raw[k + 1] == ' ' ||
				    h->raw[k + 1] == '\t'))
					k++;
				bad |= mw_buf_putc(&b, ' ') < 0;
				continue;
			}
			bad |= mw_buf_putc(&b, c) < 0;
		}
		bad |= mw_buf_putc(&b, '\n') < 0;
	}
	*len = b.len;
	if (bad || b.len == 0) {	/* ENOMEM, too long, or no such field */
		mw_buf_free(&b);
		return NULL;
	}
	out = mw_buf_steal(&b);
	mw_buf_free(&b);
	return out;
}

int
mw_eval_check_illegal_chars(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	char field[128];
	double ratio;
	long count;
	size_t n, len = 0, i, illegal = 0, exempt = 0;
	bool non_ascii = false, controls = false, nonspace = false;
	char *s;
	int rc;

	if (args->argc < 3)
		return -1;
	n = strcspn(args->argv[0], ":");	/* "From" or "From:raw" */
	if (n >= sizeof(field))
		return 0;
	memcpy(field, args->argv[0], n);
	field[n] = '\0';
	ratio = strtod(args->argv[1], NULL);
	count = strtol(args->argv[2], NULL, 10);
	if ((s = raw_text(&ctx->msg, field, &len)) == NULL)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isspace(c))
			nonspace = true;
		if (c >= 0x80)
			non_ascii = true;
		if (c <= 0x08 || c == 0x0b || c == 0x0c || (c >= 0x0e && c <= 0x1f))
			controls = true;
		if (c <= 0x08 || c == 0x0b || c == 0x0c || (c >= 0x0e && c <= 0x1f) || c >= 0x7f)
			illegal++;
		if (c == 0xa2 || c == 0xa3 || c == 0xae)
			exempt++;
	}
	/* valid UTF-8 without controls is fine (an SMTPUTF8 message) */
	if (!nonspace || (non_ascii && mw_utf8_valid(s, len) && !controls)) {
		free(s);
		return 0;
	}
	free(s);
	/* one cent, pound or registered sign is allowed in a Subject */
	if (illegal > 0 && strcasecmp(field, "Subject") == 0 && exempt == 1)
		illegal--;
	rc = len > 0 && (double)illegal / (double)len >= ratio && (long)illegal >= count;
	return rc;
}

/* --- ok_locales: the faraway charset tests ------------------------------------------------ */

/* Charsets each locale may use (beyond the Latin ones always allowed), as
 * SpamAssassin's Locales table lists them, names upper-cased without punctuation. */
static const struct { const char *locale, *charsets; } locale_charsets[] = {
	{ "ja", " EUCJP JISX020119760 JISX020819830 JISX020819900 JISX020819970 "
	  "JISX021219900 JISX021320001 JISX021320002 SHIFT_JIS SHIFTJIS ISO2022JP SJIS JIS7 "
	  "JISX0201 JISX0208 JISX0212 " },
	{ "ko", " EUCKR KSC56011987 " },
	{ "ru", " KOI8R KOI8U KOI8T ISOIR111 CP1251 GEORGIANPS PT154 CP866 " },
	{ "ka", " KOI8R KOI8U KOI8T ISOIR111 CP1251 GEORGIANPS PT154 CP866 " },
	{ "tg", " KOI8R KOI8U KOI8T ISOIR111 CP1251 GEORGIANPS PT154 CP866 " },
	{ "be", " KOI8R KOI8U KOI8T ISOIR111 CP1251 GEORGIANPS PT154 CP866 " },
	{ "uk", " KOI8R KOI8U KOI8T ISOIR111 CP1251 GEORGIANPS PT154 CP866 " },
	{ "bg", " KOI8R KOI8U KOI8T ISOIR111 CP1251 GEORGIANPS PT154 CP866 " },
	{ "th", " TIS620 " },
	{ "zh", " GB1988 GB2312 GB231219800 GB18030 GBK BIG5HKSCS BIG5 EUCTW ISO2022CN " },
};

/* ok_locales is "all" (the default, and Debian's): every charset is fine.  The
 * locale SpamAssassin adds from its own environment (LANG...) is not added here. */
static bool
locales_all(const struct mw_eval_sa_conf *c)
{
	const char *p;

	if (c == NULL || c->ok_locales == NULL)
		return true;
	for (p = c->ok_locales; *p != '\0'; ) {
		size_t n;

		while (isspace((unsigned char)*p))
			p++;
		n = strcspn(p, " \t\r\n\f\v");
		if (n == 3 && strncmp(p, "all", 3) == 0)
			return true;
		p += n;
	}
	return false;
}

/* Locales::is_charset_ok_for_locales */
static bool
charset_ok(const struct mw_eval_sa_conf *c, const char *cs, size_t len)
{
	char u[128], key[132];
	size_t n = 0, i, k;
	const char *p;

	for (i = 0; i < len && n + 1 < sizeof(u); i++)
		if (isalnum((unsigned char)cs[i]))
			u[n++] = (char)toupper((unsigned char)cs[i]);
	u[n] = '\0';
	p = u;
	if (strncmp(p, "3D", 2) == 0)	/* "=3D" left by quoted-printable */
		p += 2;
	if (strcmp(p, "USASCII") == 0 || strcmp(p, "ASCII") == 0 ||
	    strncmp(p, "ISO8859", 7) == 0 || strncmp(p, "ISO10646", 8) == 0 ||
	    strncmp(p, "UTF", 3) == 0 || strncmp(p, "UCS", 3) == 0 ||
	    strncmp(p, "CP125", 5) == 0 || strncmp(p, "WINDOWS", 7) == 0 ||
	    strcmp(p, "IBM852") == 0 || strncmp(p, "UNICODE11UTF7", 13) == 0 ||
	    strncmp(p, "UNICODE11UTF8", 13) == 0 || strcmp(p, "XUNKNOWN") == 0 ||
	    strcmp(p, "ISO") == 0)
		return true;
	snprintf(key, sizeof(key), " %s ", p);
	for (p = c->ok_locales; *p != '\0'; ) {
		char loc[3];
		size_t w;

		while (isspace((unsigned char)*p))
			p++;
		if ((w = strcspn(p, " \t\r\n\f\v")) == 0)
			break;
		/* "C" is English; "zh_TW" is "zh" */
		if (w == 1 && *p == 'C')
			snprintf(loc, sizeof(loc), "en");
		else if (w >= 2 && islower((unsigned char)p[0]) && islower((unsigned char)p[1]))
			snprintf(loc, sizeof(loc), "%c%c", p[0], p[1]);
		else
			loc[0] = '\0';
		for (k = 0; loc[0] != '\0' && k < sizeof(locale_charsets) /
		    sizeof(locale_charsets[0]); k++)
			if (strcmp(locale_charsets[k].locale, loc) == 0 && n > 0 &&
			    strstr(locale_charsets[k].charsets, key) != NULL)
				return true;
		p += w;
	}
	return false;
}

/* check_for_faraway_charset_in_headers(): an encoded word in From or Subject names
 * a charset outside ok_locales. */
int
mw_eval_check_for_faraway_charset_in_headers(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	static const char *const fields[] = { "From", "Subject" };
	const struct mw_eval_sa_conf *c = eval_conf(ctx);
	const pcre2_code *re;
	pcre2_match_data *md;
	size_t k;
	int rc = 0;

	(void)args;
	if (locales_all(c))
		return 0;
	if ((re = re_cached("=\\?(.+?)\\?.\\?.*?\\?=")) == NULL ||
	    (md = pcre2_match_data_create(2, NULL)) == NULL)
		return -1;
	for (k = 0; k < 2 && rc == 0; k++) {
		size_t len = 0, off = 0;
		char *raw = raw_text(&ctx->msg, fields[k], &len);

		while (raw != NULL && off < len && pcre2_match(re, (PCRE2_SPTR)raw, len, off, 0, md,
		    NULL) >= 2) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);

			if (!charset_ok(c, raw + ov[2], ov[3] - ov[2])) {
				rc = 1;
				break;
			}
			off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
		}
		free(raw);
	}
	pcre2_match_data_free(md);
	return rc;
}

/* check_for_faraway_charset(): the message's Content-Type charset is outside
 * ok_locales and most of the body's characters are not ASCII. */
int
mw_eval_check_for_faraway_charset(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	const struct mw_eval_sa_conf *c = eval_conf(ctx);
	const struct mw_header *h;
	const struct mw_views *v;
	unsigned long long hi = 0, all = 0;
	char cs[128];
	size_t i, j;

	(void)args;
	if (locales_all(c))
		return 0;
	if ((h = mw_message_header(&ctx->msg, "Content-Type", 0)) == NULL)
		return 0;
	ct_charset(h->value, cs, sizeof(cs));
	if (cs[0] == '\0' || charset_ok(c, cs, strlen(cs)))
		return 0;
	if (ctx->msg.mime == NULL || (v = mw_mime_views(&ctx->msg)) == NULL)
		return -1;
	/* characters of the body paragraphs joined with "\n" */
	for (i = 0; i < v->nbody; i++) {
		all += i > 0;
		for (j = 0; j < v->body[i].len; j++) {
			unsigned char ch = (unsigned char)v->body[i].s[j];

			if ((ch & 0xc0) == 0x80)
				continue;
			all++;
			hi += ch >= 0x80;
		}
	}
	return all - hi <= hi && hi > 3;
}

/* html_charset_faraway(): in some HTML part, the charsets its <meta> tags name are
 * at least as often outside ok_locales as inside. */
int
mw_eval_html_charset_faraway(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct mw_eval_sa_conf *c = eval_conf(ctx);
	const struct mw_html_sa_part *p;
	size_t n, i;
	bool all;

	(void)args;
	if (locales_all(c))
		return 0;
	p = html_parts(ctx, &n, &all);
	for (i = 0; i < n; i++) {
		const char *s = p[i].charsets;
		unsigned ok = 0, bad = 0;

		if (p[i].charsets_cut)
			all = false;
		while (*s != '\0') {
			size_t w;

			while (*s == ' ')
				s++;
			if ((w = strcspn(s, " ")) == 0)
				break;
			if (charset_ok(c, s, w))
				ok++;
			else
				bad++;
			s += w;
		}
		if (bad > 0 && bad >= ok)
			return 1;
	}
	return all ? 0 : -1;
}

/* --- WLBLEval: check_from_in_list, check_replyto_in_list ------------------------------------ */

/* An enlist_addrlist glob against a lower-case address: '*' any run, '?' any one
 * character, NUL, backslash and '(' stand for '_' (as SpamAssassin rewrites them). */
static bool
addr_glob(const char *pat, const char *s)
{
	for (;;) {
		char pc = *pat;

		if (pc == '*') {
			while (*pat == '*')
				pat++;
			if (*pat == '\0')
				return true;
			for (; *s != '\0'; s++)
				if (addr_glob(pat, s))
					return true;
			return false;
		}
		if (pc == '\0')
			return *s == '\0';
		if (*s == '\0')
			return false;
		if (pc == '\\' || pc == '(')
			pc = '_';
		if (pc != '?' && pc != *s)
			return false;
		pat++;
		s++;
	}
}

static const struct addrlist *
addrlist_find(const struct mw_eval_sa_conf *c, const char *name)
{
	size_t i;

	for (i = 0; c != NULL && i < c->nlists; i++)
		if (strcmp(c->lists[i].name, name) == 0)
			return &c->lists[i];
	return NULL;
}

static bool
addrlist_has(const struct addrlist *l, const char *addr)
{
	char lc[512];
	size_t i, n;

	lc_addr(addr, lc, sizeof(lc), false);
	n = strlen(lc);
	for (i = 0; i < l->pats.n; i++) {
		const char *pat = l->pats.v[i], *tail = pat, *w;
		size_t tl;

		/* most globs end in a literal domain: compare that end first */
		for (w = pat; *w != '\0'; w++)
			if (*w == '*' || *w == '?' || *w == '\\' || *w == '(')
				tail = w + 1;
		tl = strlen(tail);
		if (tl > n || memcmp(lc + n - tl, tail, tl) != 0)
			continue;
		if (addr_glob(pat, lc))
			return true;
	}
	return false;
}

/* PerMsgStatus's all_from_addrs: the first Resent-From address when there is one,
 * else the addresses of From, Envelope-Sender, Resent-Sender, X-Envelope-From and
 * the envelope sender, runs of dots squeezed.  fn is called on each until it says
 * true. */
static bool
all_from_addrs(const struct mw_scan_ctx *ctx, bool (*fn)(const void *, const char *),
    const void *arg)
{
	static const char *const fields[] = {
		"From", "Envelope-Sender", "Resent-Sender", "X-Envelope-From"
	};
	const struct mw_message *m = &ctx->msg;
	char buf[512], sq[512];
	size_t k, i, n;

	if (mw_message_header(m, "Resent-From", 0) != NULL) {
		const char *a = first_addr(m, "Resent-From");

		return a[0] != '\0' && fn(arg, a);
	}
	for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
		if (model_parses(fields[k])) {
			const struct mw_mime_address *a = m->mime != NULL ?
			    mw_mime_addresses(m, fields[k], &n) : NULL;

			for (i = 0; a != NULL && i < n; i++)
				if (a[i].addr != NULL && a[i].addr[0] != '\0') {
					lc_addr(a[i].addr, sq, sizeof(sq), true);
					if (fn(arg, sq))
						return true;
				}
			continue;
		}
		plain_addr(m, fields[k], buf, sizeof(buf));
		lc_addr(buf, sq, sizeof(sq), true);
		if (sq[0] != '\0' && fn(arg, sq))
			return true;
	}
	lc_addr(mw_eval_sa_envelope_from(ctx, buf, sizeof(buf)), sq, sizeof(sq), true);
	return sq[0] != '\0' && fn(arg, sq);
}

static bool
in_list_cb(const void *arg, const char *addr)
{
	return addrlist_has(arg, addr);
}

/* check_from_in_list(NAME): a From-ish address matches the enlist_addrlist list
 * NAME (an unknown list never matches). */
int
mw_eval_check_from_in_list(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct addrlist *l;

	if (args->argc < 1 || (l = addrlist_find(eval_conf(ctx), args->argv[0])) == NULL)
		return 0;
	return all_from_addrs(ctx, in_list_cb, l);
}

/* check_replyto_in_list(NAME): the (first) Reply-To address matches the list. */
int
mw_eval_check_replyto_in_list(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct addrlist *l;
	const char *rt;

	if (args->argc < 1 || (l = addrlist_find(eval_conf(ctx), args->argv[0])) == NULL)
		return 0;
	rt = first_addr(&ctx->msg, "Reply-To");
	return rt[0] != '\0' && addrlist_has(l, rt);
}

/* --- VBounce: have_any_bounce_relays, check_welcomelist_bounce_relays ------------------- */

/* have_any_bounce_relays(): welcomelist_bounce_relays names some relay. */
int
mw_eval_have_any_bounce_relays(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args)
{
	const struct addrlist *l = addrlist_find(eval_conf(ctx), BOUNCE_LIST);

	(void)args;
	return l != NULL && l->pats.n > 0;
}

/* Host-like words (a dot inside) between white space in s[0..n), the way Perl's
 * /\s(\S+\.\S+)\s/g steps over them (the space after a match is used up), each
 * checked against the list. */
static bool
bounce_relay_in(const struct addrlist *l, const char *s, size_t n, bool any_space)
{
	size_t i = 0;

	while (i < n) {
		size_t j, k;
		char host[256];

		if (!(any_space ? isspace((unsigned char)s[i]) : s[i] == ' ')) {
			i++;
			continue;
		}
		for (j = i + 1; j < n && !isspace((unsigned char)s[j]); j++)
			;
		if (j >= n || !(any_space ? isspace((unsigned char)s[j]) : s[j] == ' ') ||
		    j - i - 1 < 3 || memchr(s + i + 2, '.', j - i - 3) == NULL) {
			i++;
			continue;
		}
		k = j - i - 1 < sizeof(host) ? j - i - 1 : sizeof(host) - 1;
		memcpy(host, s + i + 1, k);
		host[k] = '\0';
		if (addrlist_has(l, host))
			return true;
		i = j + 1;
	}
	return false;
}

/* [> ]*Received: at the start, any case */
static bool
received_line(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (s[i] == '>' || s[i] == ' '))
		i++;
	return n - i >= 9 && strncasecmp(s + i, "Received:", 9) == 0;
}

/* check_welcomelist_bounce_relays(): a bounce quotes a Received field naming one of
 * our relays, in the rendered body or in the raw body (fields folded together). */
int
mw_eval_check_welcomelist_bounce_relays(const struct mw_scan_ctx *ctx,
    const struct mw_eval_args *args)
{
	const struct addrlist *l = addrlist_find(eval_conf(ctx), BOUNCE_LIST);
	const struct mw_message *m = &ctx->msg;
	const struct mw_views *v;
	const char *s, *e;
	struct mw_buf hdr;
	size_t i;
	bool found = false, rcvd = false;

	(void)args;
	if (l == NULL || l->pats.n == 0)
		return 0;
	if (m->mime == NULL || (v = mw_mime_views(m)) == NULL)
		return -1;
	for (i = 0; i < v->nbody; i++)
		if (received_line(v->body[i].s, v->body[i].len) &&
		    bounce_relay_in(l, v->body[i].s, v->body[i].len, false))
			return 1;
	/* the raw body from its first quoted Received line on, each field's folded
	 * lines joined (without their line breaks, as the plugin joins them) */
	if (m->body == NULL)
		return 0;
	mw_buf_init(&hdr, 1u << 16);
	for (s = m->body, e = m->body + m->body_len; s < e && !found; ) {
		const char *nl = memchr(s, '\n', (size_t)(e - s)), *le = nl != NULL ? nl : e;
		size_t n = (size_t)(le - s), from;

		if (!rcvd)
			rcvd = received_line(s, n);
		if (rcvd) {
			if (n == 0 || !isspace((unsigned char)s[0]))
				mw_buf_reset(&hdr);
			/* what was scanned before gave nothing: look again only from the
			 * last white space of it, where the new line may complete a word */
			for (from = hdr.len; from > 0 && !isspace((unsigned char)hdr.data[from - 1]);
			    from--)
				;
			from = from > 0 ? from - 1 : 0;
			if (mw_buf_append(&hdr, s, n) < 0) {
				mw_buf_reset(&hdr);	/* too long: start again */
			} else if (received_line(hdr.data, hdr.len) &&
			    bounce_relay_in(l, hdr.data + from, hdr.len - from, true))
				found = true;
		}
		s = nl != NULL ? nl + 1 : e;
	}
	mw_buf_free(&hdr);
	return found;
}
