/*
 * perlre - Perl match operators to PCRE2.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perlre.h"

/* Escapes PCRE2 gives a meaning to (letters and digits); any other letter after a
 * backslash is a literal in Perl ("Unrecognized escape passed through"). */
static const char pcre2_escapes[] = "aAbBcdDeEfgGhHkKnNoprRsStvVwWxXzZpPQ0123456789";

static char
closing_delim(char open)
{
	switch (open) {
	case '{': return '}';
	case '(': return ')';
	case '[': return ']';
	case '<': return '>';
	default: return open;
	}
}

static int
set_err(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
	return -1;
}

int
mw_perlre_parse(const char *s, const char **endp, struct mw_perlre *out, char *err,
    size_t errlen)
{
	char open, close;
	const char *p, *body, *bend, *flags_end;
	size_t depth = 0, n;
	char *o;
	uint32_t opts = 0;
	int xcount = 0;

	memset(out, 0, sizeof(*out));
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == 'm' && s[1] != '\0' && !isalnum((unsigned char)s[1]) &&
	    !isspace((unsigned char)s[1]))
		s++;
	else if (*s != '/')
		return set_err(err, errlen, "regex must start with / or m<delimiter>");
	open = *s;
	close = closing_delim(open);
	body = p = s + 1;
	for (;; p++) {
		if (*p == '\0')
			return set_err(err, errlen, "unterminated regex");
		if (*p == '\\') {
			if (p[1] == '\0')
				return set_err(err, errlen, "unterminated regex");
			p++;
			continue;
		}
		if (open != close && *p == open)
			depth++;
		else if (*p == close) {
			if (depth == 0)
				break;
			depth--;
		}
	}
	bend = p++;
	for (; isalpha((unsigned char)*p); p++) {
		switch (*p) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		case 'x': xcount++; break;
		case 'n': opts |= PCRE2_NO_AUTO_CAPTURE; break;
		/* match-time or charset flags with no effect on one boolean match */
		case 'o': case 'g': case 'a': case 'u': case 'l': case 'd': case 'p':
		case 'c':
			break;
		default:
			return set_err(err, errlen, "unknown regex flag");
		}
	}
	flags_end = p;
	if (xcount == 1)
		opts |= PCRE2_EXTENDED;
	else if (xcount > 1)
		opts |= PCRE2_EXTENDED_MORE;

	n = (size_t)(bend - body);
	if ((out->pattern = malloc(n + 1)) == NULL)
		return set_err(err, errlen, "out of memory");
	o = out->pattern;
	for (p = body; p < bend; p++) {
		if (*p != '\\') {
			*o++ = *p;
			continue;
		}
		/* p[1] exists: the scan above never ends on a lone backslash */
		if (p[1] == 'Q') {
			/* \Q...\E is copied verbatim: PCRE2 quotes the same way */
			const char *e = p + 2;

			while (e < bend && !(e[0] == '\\' && e + 1 < bend && e[1] == 'E'))
				e++;
			if (e < bend)
				e += 2;
			memcpy(o, p, (size_t)(e - p));
			o += e - p;
			p = e - 1;
			continue;
		}
		if (strchr("lLuU", p[1]) != NULL) {
			mw_perlre_free(out);
			return set_err(err, errlen, "Perl case-modification escape not supported");
		}
		if (isalnum((unsigned char)p[1]) && strchr(pcre2_escapes, p[1]) == NULL) {
			*o++ = p[1];	/* Perl: unknown escape is the letter itself */
			p++;
			continue;
		}
		*o++ = *p++;
		*o++ = *p;
	}
	*o = '\0';
	out->len = (size_t)(o - out->pattern);
	out->options = opts;
	if (endp != NULL)
		*endp = flags_end;
	return 0;
}

void
mw_perlre_free(struct mw_perlre *re)
{
	if (re == NULL)
		return;
	free(re->pattern);
	re->pattern = NULL;
	re->len = 0;
}

pcre2_code *
mw_perlre_compile(const struct mw_perlre *re, int *utf, char *err, size_t errlen)
{
	pcre2_code *code;
	int ec;
	PCRE2_SIZE eo;

	*utf = 0;
	code = pcre2_compile((PCRE2_SPTR)re->pattern, re->len, re->options, &ec, &eo, NULL);
	if (code == NULL && (ec == PCRE2_ERROR_CODE_POINT_TOO_BIG ||
	    ec == PCRE2_ERROR_UTF_IS_DISABLED)) {
		/* \x{100} and beyond only exist as code points: match UTF-8 text */
		code = pcre2_compile((PCRE2_SPTR)re->pattern, re->len,
		    re->options | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &eo, NULL);
		if (code != NULL)
			*utf = 1;
	}
	if (code == NULL) {
		PCRE2_UCHAR msg[160];

		if (pcre2_get_error_message(ec, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", ec);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "at offset %zu: %s", (size_t)eo, (char *)msg);
		return NULL;
	}
	/* JIT failure (no JIT support, pattern too large) leaves the interpreter */
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	return code;
}

/* Value of a single-character escape usable as a literal, or -1. */
static int
escape_literal(const char *p, const char *end, size_t *used)
{
	*used = 2;
	if (p + 1 >= end)
		return -1;
	switch (p[1]) {
	case 't': return '\t';
	case 'n': return '\n';
	case 'r': return '\r';
	case 'f': return '\f';
	case 'e': return 0x1b;
	case 'a': return 0x07;
	case 'x': {
		int v = 0, k;

		if (p + 2 < end && p[2] == '{')
			return -1;
		for (k = 2; k < 4 && p + k < end && isxdigit((unsigned char)p[k]); k++)
			v = v * 16 + (isdigit((unsigned char)p[k]) ? p[k] - '0' :
			    (tolower((unsigned char)p[k]) - 'a' + 10));
		if (k == 2)
			return -1;
		*used = (size_t)k;
		return v;
	}
	default:
		if (!isalnum((unsigned char)p[1]))
			return (unsigned char)p[1];
		return -1;
	}
}

/* Length of a {n}, {n,} or {n,m} quantifier at p, or 0 when it is a literal brace. */
static size_t
quantifier_len(const char *p, const char *end)
{
	const char *q = p + 1;

	if (q >= end || !isdigit((unsigned char)*q))
		return 0;
	while (q < end && isdigit((unsigned char)*q))
		q++;
	if (q < end && *q == ',')
		for (q++; q < end && isdigit((unsigned char)*q); q++)
			;
	if (q >= end || *q != '}')
		return 0;
	return (size_t)(q + 1 - p);
}

/*
 * Walk the top level of the pattern keeping the longest run of literal bytes that
 * must appear in every match.  Anything not understood ends the current run; a
 * top-level alternation or extended syntax gives up entirely.  Conservative: a
 * missed literal only costs speed, a wrong one would lose matches.
 */
size_t
mw_perlre_required_literal(const struct mw_perlre *re, char *buf, size_t cap,
    size_t min_len)
{
	const char *p = re->pattern, *end = re->pattern + re->len;
	char cur[256], best[256];
	size_t ncur = 0, nbest = 0;
	int depth = 0;

	if (re->options & (PCRE2_EXTENDED | PCRE2_EXTENDED_MORE))
		return 0;
	/* a top-level | anywhere means no single required string */
	{
		const char *q;
		int d = 0, incls = 0;

		for (q = p; q < end; q++) {
			if (*q == '\\') { q++; continue; }
			if (incls) { if (*q == ']') incls = 0; continue; }
			if (*q == '[') { incls = 1; if (q + 1 < end && q[1] == ']') q++; continue; }
			if (*q == '(') d++;
			else if (*q == ')') d--;
			else if (*q == '|' && d == 0)
				return 0;
		}
	}
#define END_RUN() do {							\
		if (ncur > nbest) { memcpy(best, cur, ncur); nbest = ncur; } \
		ncur = 0;						\
	} while (0)
	while (p < end) {
		int c = -1;
		size_t used = 1;

		if (depth > 0) {
			/* inside a group: skip to its end, nothing is proven there */
			if (*p == '\\') { p += 2; continue; }
			if (*p == '[') {
				p++;
				if (p < end && *p == '^') p++;
				if (p < end && *p == ']') p++;
				while (p < end && *p != ']') { if (*p == '\\') p++; p++; }
				p++;
				continue;
			}
			if (*p == '(') depth++;
			else if (*p == ')') depth--;
			p++;
			continue;
		}
		if (*p == '{' && (used = quantifier_len(p, end)) > 0) {
			END_RUN();
			p += used;
			continue;
		}
		used = 1;
		if (*p == '\\') {
			if (p + 1 < end && (p[1] == 'Q' || p[1] == 'E'))
				return 0;	/* quoting: give up rather than guess */
			c = escape_literal(p, end, &used);
		} else if (*p == '(') {
			END_RUN();
			depth = 1;
			p++;
			/* a quantifier after the group is handled when the group ends */
			continue;
		} else if (*p == '[') {
			END_RUN();
			p++;
			if (p < end && *p == '^') p++;
			if (p < end && *p == ']') p++;
			while (p < end && *p != ']') { if (*p == '\\') p++; p++; }
			p++;
			continue;
		} else if (strchr(".^$)*+?{", *p) == NULL)
			c = (unsigned char)*p;
		if (c < 0) {
			END_RUN();
			p += used;
			continue;
		}
		p += used;
		/* a quantifier that allows zero repetitions drops this byte; any
		 * other quantifier keeps it but ends the run */
		if (p < end && (*p == '?' || *p == '*' || (*p == '{' && p + 1 < end &&
		    p[1] == '0'))) {
			END_RUN();
			continue;
		}
		if (p < end && (*p == '+' || *p == '{')) {
			if (ncur < sizeof(cur))
				cur[ncur++] = (char)tolower(c);
			END_RUN();
			continue;
		}
		if (ncur < sizeof(cur))
			cur[ncur++] = (char)tolower(c);
	}
	END_RUN();
#undef END_RUN
	if (nbest < min_len || nbest > cap)
		return 0;
	/* case-insensitive UTF matching folds beyond ASCII: the ASCII-folding
	 * prefilter could miss those, so only pure-ASCII literals then */
	if (re->options & PCRE2_CASELESS) {
		size_t i;

		for (i = 0; i < nbest; i++)
			if ((unsigned char)best[i] >= 0x80)
				return 0;
	}
	memcpy(buf, best, nbest);
	return nbest;
}
