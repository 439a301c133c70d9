/*
 * parse - one syslog line: the time stamp (BSD "Mon DD HH:MM:SS" or RFC 3339),
 * host, program tag, and for mailwarden the record's fields (key=value or JSON).
 * Everything is in place, no allocation: a million lines must parse in seconds.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

const char *const act_names[NACT] = {
	"accept", "tag", "tempfail", "hold", "discard", "reject", "other"
};

/* Howard Hinnant's days_from_civil: proleptic Gregorian, no time zone. */
int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

void
format_day(int64_t t, char *out, size_t n)
{
	int y, m, d;
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;

	civil_from_days(days, &y, &m, &d);
	snprintf(out, n, "%04d-%02d-%02d", y, m, d);
}

static int
month_of(const char *s)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int i;

	for (i = 0; i < 12; i++)
		if (memcmp(s, names + 3 * i, 3) == 0)
			return i + 1;
	return 0;
}

static bool
digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* "YYYY-MM-DD", "YYYY-MM-DD HH:MM", "YYYY-MM-DDTHH:MM:SS" (naive wall-clock time). */
int
parse_time_arg(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0;
	size_t n = strlen(s);

	if (n < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	if (n > 10) {
		if ((s[10] != ' ' && s[10] != 'T') || n < 16 || !digits(s + 11, 2, &h) ||
		    s[13] != ':' || !digits(s + 14, 2, &mi))
			return -1;
		if (n > 16 && (n != 19 || s[16] != ':' || !digits(s + 17, 2, &se)))
			return -1;
		if (h > 23 || mi > 59 || se > 60)
			return -1;
	}
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}

/* Returns the length of the time stamp and a space, or 0 if there is none. */
static size_t
parse_stamp(const char *s, size_t len, int year_now, int month_now, int64_t *t)
{
	int y, mo, d, h, mi, se;
	size_t p;

	/* BSD: "Nov 28 15:32:39 " (day space-padded) */
	if (len >= 16 && s[3] == ' ' && s[6] == ' ' && s[9] == ':' && s[12] == ':' &&
	    s[15] == ' ' && (mo = month_of(s)) != 0 &&
	    (digits(s + 4, 2, &d) || (s[4] == ' ' && digits(s + 5, 1, &d))) &&
	    digits(s + 7, 2, &h) && digits(s + 10, 2, &mi) && digits(s + 13, 2, &se)) {
		/* syslog leaves out the year: a month after the current one is last year's. */
		y = mo > month_now + 1 ? year_now - 1 : year_now;
		*t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
		return 16;
	}
	/* RFC 3339: "2026-11-28T15:32:39[.frac][Z|+hh:mm] " - the wall time as written. */
	if (len >= 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
	    s[16] == ':' && digits(s, 4, &y) && digits(s + 5, 2, &mo) && digits(s + 8, 2, &d) &&
	    digits(s + 11, 2, &h) && digits(s + 14, 2, &mi) && digits(s + 17, 2, &se) &&
	    mo >= 1 && mo <= 12) {
		for (p = 19; p < len && s[p] != ' '; p++)
			;
		if (p == len)
			return 0;
		*t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
		return p + 1;
	}
	return 0;
}

const struct field *
line_get(const struct line *ln, const char *key)
{
	size_t i, n = strlen(key);

	for (i = 0; i < ln->nf; i++)
		if (ln->f[i].klen == n && memcmp(ln->f[i].k, key, n) == 0)
			return &ln->f[i];
	return NULL;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

size_t
unescape_value(const char *v, size_t vlen, char *out)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < vlen; i++) {
		if (v[i] == '\\' && i + 3 < vlen && v[i + 1] == 'x' &&
		    (hi = hexval(v[i + 2])) >= 0 && (lo = hexval(v[i + 3])) >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			i += 3;
		} else
			out[o++] = v[i];
	}
	out[o] = '\0';
	return o;
}

/* Where a new syslog line starts inside a damaged one (a line whose end was lost
 * and the next one appended), or NULL. */
static const char *
find_resync(const char *s, const char *end, int year_now, int month_now)
{
	int64_t t;

	for (; s + 16 <= end; s++)
		if (s[0] >= 'A' && s[0] <= 'Z' && s[-1] != '\\' &&
		    parse_stamp(s, (size_t)(end - s), year_now, month_now, &t) != 0)
			return s;
	return NULL;
}

static void
add_field(struct line *ln, const char *k, size_t klen, const char *v, size_t vlen)
{
	if (ln->nf == REC_MAXFIELDS) {
		ln->truncated = true;
		return;
	}
	ln->f[ln->nf++] = (struct field){ .k = k, .klen = klen, .v = v, .vlen = vlen };
}

/* key=value record.  A token without '=' means the line is damaged. */
static void
parse_kv(struct line *ln, const char *s, const char *end, int year_now, int month_now)
{
	const char *p = s, *tok, *eq;

	while (p < end) {
		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		tok = p;
		while (p < end && *p != ' ')
			p++;
		eq = memchr(tok, '=', (size_t)(p - tok));
		if (eq == NULL || eq == tok) {
			ln->truncated = true;
			ln->resync = find_resync(tok, end, year_now, month_now);
			return;
		}
		add_field(ln, tok, (size_t)(eq - tok), eq + 1, (size_t)(p - eq - 1));
	}
}

/*
 * JSON record (log_format = json): a flat object of strings, numbers, null and
 * arrays of strings.  Values are re-encoded in place into the key=value form
 * (arrays joined with ',', null -> "-", non-printable bytes as \xHH) so the rest of
 * the program sees one format.  Only the escapes our writer produces are decoded
 * fully; \uXXXX above U+007F is kept as '?' (it never comes from mailwarden).
 */
static void
parse_json(struct line *ln, char *s, char *end)
{
	char *p = s + 1, *w, *k, *v;
	size_t klen;

#define SKIPWS() while (p < end && (*p == ' ' || *p == '\t')) p++
	for (;;) {
		SKIPWS();
		if (p < end && *p == '}')
			return;
		if (p >= end || *p != '"')
			goto cut;
		k = ++p;
		while (p < end && *p != '"' && *p != '\\')
			p++;
		if (p >= end || *p != '"')
			goto cut;
		klen = (size_t)(p - k);
		p++;
		SKIPWS();
		if (p >= end || *p != ':')
			goto cut;
		p++;
		SKIPWS();
		v = w = p;
		if (p < end && (*p == '"' || *p == '[')) {
			bool array = *p == '[';
			bool first = true;
			if (array)
				p++;
			for (;;) {
				if (array) {
					SKIPWS();
					if (p < end && *p == ']') {
						p++;
						break;
					}
					if (!first) {
						if (p >= end || *p != ',')
							goto cut;
						p++;
						SKIPWS();
						*w++ = ',';
					}
				}
				if (p >= end || *p != '"')
					goto cut;
				p++;
				while (p < end && *p != '"') {
					char c = *p++;
					if (c == '\\') {
						if (p >= end)
							goto cut;
						c = *p++;
						switch (c) {
						case 'n': c = '\n'; break;
						case 'r': c = '\r'; break;
						case 't': c = '\t'; break;
						case 'u':
							if (end - p < 4)
								goto cut;
							c = (hexval(p[0]) == 0 && hexval(p[1]) == 0 &&
							    hexval(p[2]) >= 0 && hexval(p[3]) >= 0) ?
							    (char)(hexval(p[2]) << 4 | hexval(p[3])) : '?';
							p += 4;
							break;
						default: break;	/* \" \\ \/ */
						}
					}
					/* Written back at most as long as read: w never passes p. */
					if ((unsigned char)c <= 0x20 || c == '\\' || c == '=' ||
					    c == '"' || c == 0x7f || (array && c == ',')) {
						static const char hx[] = "0123456789ABCDEF";
						if (w + 4 > p - 1) {	/* no room: keep a stand-in */
							*w++ = '?';
							continue;
						}
						*w++ = '\\';
						*w++ = 'x';
						*w++ = hx[(unsigned char)c >> 4];
						*w++ = hx[(unsigned char)c & 15];
					} else
						*w++ = c;
				}
				if (p >= end)
					goto cut;
				p++;
				first = false;
				if (!array)
					break;
			}
			if (array && first && w == v)
				*w++ = '-';
		} else {
			while (p < end && *p != ',' && *p != '}' && *p != ' ')
				p++;
			w = p;
			if (p - v == 4 && memcmp(v, "null", 4) == 0) {
				v[0] = '-';
				w = v + 1;
			}
		}
		add_field(ln, k, klen, v, (size_t)(w - v));
		SKIPWS();
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}')
			return;
		goto cut;
	}
cut:
	/* a number that runs to the end of the line may have lost digits */
	if (ln->nf > 0 && ln->f[ln->nf - 1].v + ln->f[ln->nf - 1].vlen == end)
		ln->nf--;
	ln->truncated = true;
#undef SKIPWS
}

static bool
starts(const char *p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - p) >= n && memcmp(p, prefix, n) == 0;
}

/* "queue_id=Q spool failure: ..." - an error about one message, not its record. */
static bool
queue_error(struct line *ln, const char *p, const char *end)
{
	const char *sp = memchr(p, ' ', (size_t)(end - p)), *next;

	if (sp == NULL)
		return false;
	next = memchr(sp + 1, ' ', (size_t)(end - sp - 1));
	if (next == NULL)
		next = end;
	if (memchr(sp + 1, '=', (size_t)(next - sp - 1)) != NULL ||
	    memmem(sp + 1, (size_t)(end - sp - 1), ": ", 2) == NULL)
		return false;	/* a record, perhaps damaged */
	add_field(ln, "event", 5, "message_error", 13);
	add_field(ln, p, 8, p + 9, (size_t)(sp - p - 9));
	add_field(ln, "error", 5, sp + 1, (size_t)(end - sp - 1));
	return true;
}

/*
 * The daemon's own lines (daemon.c): "started: k=v ...", "reload: now serving
 * generation N (was M), config=...", "reload refused: ...", "stopping: signal N",
 * "stopped"; anything else is a warning or error worth counting.  They become
 * event records like those written by mw_output_event().
 */
static void
daemon_line(struct line *ln, const char *p, const char *end, int year_now, int month_now)
{
	const char *q;

	if (starts(p, end, "started: ")) {
		add_field(ln, "event", 5, "start", 5);
		parse_kv(ln, p + 9, end, year_now, month_now);
		ln->truncated = false;	/* "config=..." values are free text */
		ln->resync = NULL;
	} else if (starts(p, end, "reload: now serving generation ")) {
		add_field(ln, "event", 5, "reload", 6);
		p += 31;
		for (q = p; q < end && *q >= '0' && *q <= '9'; q++)
			;
		add_field(ln, "generation", 10, p, (size_t)(q - p));
	} else if (starts(p, end, "reload refused: ")) {
		add_field(ln, "event", 5, "reload_refused", 14);
		add_field(ln, "reason", 6, p + 16, (size_t)(end - p - 16));
	} else if (starts(p, end, "stopping: ")) {
		add_field(ln, "event", 5, "stopping", 8);
		add_field(ln, "reason", 6, p + 10, (size_t)(end - p - 10));
	} else if ((size_t)(end - p) == 7 && memcmp(p, "stopped", 7) == 0)
		add_field(ln, "event", 5, "stopped", 7);
	else {
		add_field(ln, "event", 5, "message", 7);
		add_field(ln, "text", 4, p, (size_t)(end - p));
	}
}

/*
 * Every message record ends with elapsed_ms, every recipient record with checks: a
 * record that ends otherwise was cut, and its last value may be cut mid-way, so it
 * is not used.
 */
static void
check_complete(struct line *ln)
{
	const struct field *last;
	bool rcpt = line_get(ln, "rcpt") != NULL;

	if (ln->nf == 0 || line_get(ln, "event") != NULL) {
		ln->truncated |= ln->nf == 0;
		return;
	}
	last = &ln->f[ln->nf - 1];
	if ((!rcpt && last->klen == 10 && memcmp(last->k, "elapsed_ms", 10) == 0) ||
	    (rcpt && last->klen == 6 && memcmp(last->k, "checks", 6) == 0))
		return;
	if (!ln->truncated)	/* cut at the end of the line, not at a stray word */
		ln->nf--;
	ln->truncated = true;
}

void
line_parse(char *s, size_t len, int year_now, int month_now, struct line *ln)
{
	char *end = s + len, *p, *tag, *colon;
	size_t n;

	memset(ln, 0, offsetof(struct line, f));	/* the fields need no clearing */
	ln->nf = 0;
	ln->truncated = false;
	ln->resync = NULL;
	ln->kind = LINE_FOREIGN;
	while (end > s && (end[-1] == '\r' || end[-1] == ' '))
		end--;
	p = s;
	if ((n = parse_stamp(p, (size_t)(end - p), year_now, month_now, &ln->t)) != 0) {
		ln->has_time = true;
		p += n;
		/* host */
		while (p < end && *p != ' ')
			p++;
		if (p < end)
			p++;
		tag = p;
		while (p < end && *p != ' ' && *p != '[' && *p != ':')
			p++;
		ln->prog = tag;
		ln->proglen = (size_t)(p - tag);
		if (p < end && *p == '[')
			while (p < end && *p != ']')
				p++;
		if (p < end && *p == ']')
			p++;
		if (p + 1 >= end || p[0] != ':' || p[1] != ' ')
			return;
		p += 2;
		colon = tag;
	} else {
		/* A bare record, e.g. piped from `mailwarden --scan`. */
		colon = NULL;
		ln->prog = "mailwarden";
		ln->proglen = 10;
	}
	ln->msg = p;
	ln->msglen = (size_t)(end - p);
	if (ln->proglen == 10 && memcmp(ln->prog, "mailwarden", 10) == 0) {
		if (end - p >= 9 && memcmp(p, "queue_id=", 9) == 0) {
			ln->kind = LINE_MW;
			if (!queue_error(ln, p, end))
				parse_kv(ln, p, end, year_now, month_now);
		} else if (end - p >= 6 && memcmp(p, "event=", 6) == 0) {
			ln->kind = LINE_MW;
			parse_kv(ln, p, end, year_now, month_now);
		} else if (p < end && *p == '{') {
			ln->kind = LINE_MW;
			parse_json(ln, p, end);
		} else if (colon != NULL) {
			ln->kind = LINE_MW;
			daemon_line(ln, p, end, year_now, month_now);
			return;
		}
		if (ln->kind == LINE_MW)
			check_complete(ln);
		return;
	}
	if (colon != NULL && ln->proglen >= 7 && memcmp(ln->prog, "postfix", 7) == 0)
		ln->kind = LINE_POSTFIX;
}
