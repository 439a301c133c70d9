/*
 * perlre - Perl match operators to PCRE2.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
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

/* p at '[': just past the class's closing ']' (POSIX [:name:] inside understood). */
static const char *
skip_class(const char *p, const char *end)
{
	p++;
	if (p < end && *p == '^')
		p++;
	if (p < end && *p == ']')
		p++;
	while (p < end && *p != ']') {
		if (*p == '\\' && p + 1 < end)
			p++;
		else if (*p == '[' && p + 1 < end && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
			const char *q = p + 2;

			while (q + 1 < end && !(q[0] == p[1] && q[1] == ']'))
				q++;
			if (q + 1 < end)
				p = q + 1;
		}
		p++;
	}
	return p < end ? p + 1 : end;
}

/* p at '(': just past the matching ')'. */
static const char *
skip_group(const char *p, const char *end)
{
	int depth = 0;

	while (p < end) {
		if (*p == '\\' && p + 1 < end) {
			p += 2;
			continue;
		}
		if (*p == '[') {
			p = skip_class(p, end);
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
		p++;
	}
	return end;
}

/* Does the quantifier at p allow zero repetitions of what precedes it? */
static bool
optional_quantifier(const char *p, const char *end)
{
	return p < end && (*p == '?' || *p == '*' ||
	    (*p == '{' && quantifier_len(p, end) > 0 && p[1] == '0'));
}

/*
 * The longest run of literal bytes at the top level of [p, end) (a sequence without
 * top-level alternation); groups and classes end a run, a quantifier allowing zero
 * repetitions drops the byte before it.
 */
static size_t
span_literal(const char *p, const char *end, char *best, size_t cap)
{
	char cur[MW_PERLRE_LIT_MAX];
	size_t ncur = 0, nbest = 0;

#define END_RUN() do {							\
		if (ncur > nbest) { memcpy(best, cur, ncur); nbest = ncur; } \
		ncur = 0;						\
	} while (0)
	(void)cap;
	while (p < end) {
		int c = -1;
		size_t used = 1;

		if (*p == '(') {
			END_RUN();
			p = skip_group(p, end);
			continue;
		}
		if (*p == '[') {
			END_RUN();
			p = skip_class(p, end);
			continue;
		}
		if (*p == '{' && (used = quantifier_len(p, end)) > 0) {
			END_RUN();
			p += used;
			continue;
		}
		used = 1;
		if (*p == '\\')
			c = escape_literal(p, end, &used);
		else if (strchr(".^$)|*+?{", *p) == NULL)
			c = (unsigned char)*p;
		if (c < 0) {
			END_RUN();
			p += used;
			continue;
		}
		p += used;
		if (optional_quantifier(p, end)) {
			END_RUN();
			continue;
		}
		if (ncur < sizeof(cur))
			cur[ncur++] = (char)tolower(c);
		if (p < end && (*p == '+' || *p == '{'))
			END_RUN();	/* repeated: the run cannot continue past it */
	}
	END_RUN();
#undef END_RUN
	return nbest;
}

/* Where a group's content starts (after "(?:", "(?<name>", "(?i-s:" ...), or NULL for
 * groups that prove nothing (negative look-around, comments, conditionals, "(?i)"). */
static const char *
group_content(const char *p, const char *gend)
{
	const char *q = p + 1;

	if (q >= gend || *q != '?')
		return q;
	q++;
	if (q >= gend)
		return NULL;
	if (*q == ':' || *q == '>' || *q == '=' || *q == '|')
		return q + 1;
	if (*q == '<' && q + 1 < gend && q[1] == '=')
		return q + 2;
	if (*q == '<' && q + 1 < gend && q[1] != '!') {	/* (?<name>...) */
		const char *e = memchr(q, '>', (size_t)(gend - q));

		return e != NULL ? e + 1 : NULL;
	}
	if (*q == 'P' && q + 1 < gend && q[1] == '<') {
		const char *e = memchr(q, '>', (size_t)(gend - q));

		return e != NULL ? e + 1 : NULL;
	}
	if (*q == '\'') {
		const char *e = memchr(q + 1, '\'', (size_t)(gend - q - 1));

		return e != NULL ? e + 1 : NULL;
	}
	/* (?flags:...) */
	while (q < gend && (isalpha((unsigned char)*q) || *q == '-' || *q == '^'))
		q++;
	return q < gend && *q == ':' ? q + 1 : NULL;
}

static bool
lits_add(struct mw_perlre_lits *out, const char *s, size_t n)
{
	if (out->n == MW_PERLRE_MAX_LITS)
		return false;
	memcpy(out->s[out->n], s, n);
	out->len[out->n++] = n;
	return true;
}

/*
 * A set of literals at least one of which every match of [p, end) contains:
 * for an alternation, one per alternative (each must have one); for a sequence,
 * its best top-level run, else the set of its first required group.
 */
static bool
span_literals(const char *p, const char *end, struct mw_perlre_lits *out, size_t min_len,
    int depth)
{
	const char *alt[MW_PERLRE_MAX_LITS + 1], *q;
	size_t nalt = 0, i;
	char buf[MW_PERLRE_LIT_MAX];
	size_t n;

	if (depth > 8)
		return false;
	alt[nalt++] = p;
	for (q = p; q < end;) {
		if (*q == '\\' && q + 1 < end) { q += 2; continue; }
		if (*q == '[') { q = skip_class(q, end); continue; }
		if (*q == '(') { q = skip_group(q, end); continue; }
		if (*q == '|') {
			if (nalt == MW_PERLRE_MAX_LITS)
				return false;
			alt[nalt++] = q + 1;
		}
		q++;
	}
	if (nalt > 1) {
		for (i = 0; i < nalt; i++) {
			const char *ae = i + 1 < nalt ? alt[i + 1] - 1 : end;

			if (!span_literals(alt[i], ae, out, min_len, depth + 1))
				return false;
		}
		return true;
	}
	if ((n = span_literal(p, end, buf, sizeof(buf))) >= min_len)
		return lits_add(out, buf, n);
	/* no run long enough: the first required group that proves a set */
	for (q = p; q < end;) {
		const char *gend, *content;

		if (*q == '\\' && q + 1 < end) { q += 2; continue; }
		if (*q == '[') { q = skip_class(q, end); continue; }
		if (*q != '(') { q++; continue; }
		gend = skip_group(q, end);
		content = group_content(q, gend);
		if (content != NULL && gend > content && !optional_quantifier(gend, end)) {
			struct mw_perlre_lits sub = { 0 };

			if (span_literals(content, gend - 1, &sub, min_len, depth + 1)) {
				for (i = 0; i < sub.n; i++)
					if (!lits_add(out, sub.s[i], sub.len[i]))
						return false;
				return true;
			}
		}
		q = gend;
	}
	return false;
}

size_t
mw_perlre_literals(const struct mw_perlre *re, struct mw_perlre_lits *out, size_t min_len)
{
	size_t i, k;
	bool fold = (re->options & PCRE2_CASELESS) != 0;

	memset(out, 0, sizeof(*out));
	/* quoting, comments and extended syntax: give up rather than guess */
	if (re->options & (PCRE2_EXTENDED | PCRE2_EXTENDED_MORE) ||
	    memmem(re->pattern, re->len, "\\Q", 2) != NULL ||
	    memmem(re->pattern, re->len, "(?#", 3) != NULL ||
	    memmem(re->pattern, re->len, "(?x", 3) != NULL)
		return 0;
	for (i = 0; i + 2 < re->len && !fold; i++)	/* inline (?i) anywhere */
		if (re->pattern[i] == '(' && re->pattern[i + 1] == '?')
			for (k = i + 2; k < re->len && (isalpha((unsigned char)re->pattern[k]) ||
			    re->pattern[k] == '-' || re->pattern[k] == '^'); k++)
				if (re->pattern[k] == 'i')
					fold = true;
	if (!span_literals(re->pattern, re->pattern + re->len, out, min_len, 0)) {
		out->n = 0;
		return 0;
	}
	/* case-insensitive UTF matching folds beyond ASCII: the ASCII-folding
	 * prefilter could miss those, so only pure-ASCII literals then */
	for (i = 0; fold && i < out->n; i++)
		for (k = 0; k < out->len[i]; k++)
			if ((unsigned char)out->s[i][k] >= 0x80) {
				out->n = 0;
				return 0;
			}
	return out->n;
}

size_t
mw_perlre_required_literal(const struct mw_perlre *re, char *buf, size_t cap,
    size_t min_len)
{
	struct mw_perlre_lits l;

	if (mw_perlre_literals(re, &l, min_len) != 1 || l.len[0] > cap)
		return 0;
	memcpy(buf, l.s[0], l.len[0]);
	return l.len[0];
}
