/*
 * rules_eval - evaluate a ruleset over one message; the literal prefilter.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "rules_eval.h"
#include "mime.h"		/* mimeheader: the parts' fields */
#include "relays.h"		/* issue 5 */
#include "utf8.h"

/* --- per-thread PCRE2 state -------------------------------------------------- */

struct match_state {
	pcre2_match_context *mctx;
	pcre2_match_data *md;
	pcre2_jit_stack *jit;
};

static pthread_key_t state_key;
static pthread_once_t state_once = PTHREAD_ONCE_INIT;
static int state_key_ok;

static void
state_free(void *p)
{
	struct match_state *st = p;

	if (st == NULL)
		return;
	pcre2_match_data_free(st->md);
	pcre2_match_context_free(st->mctx);
	pcre2_jit_stack_free(st->jit);
	free(st);
}

static void
state_key_init(void)
{
	state_key_ok = pthread_key_create(&state_key, state_free) == 0;
}

static struct match_state *
match_state(void)
{
	struct match_state *st;

	if (pthread_once(&state_once, state_key_init) != 0 || !state_key_ok)
		return NULL;
	if ((st = pthread_getspecific(state_key)) != NULL)
		return st;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	st->mctx = pcre2_match_context_create(NULL);
	/* two pairs: the whole match (for --explain); more groups are not needed */
	st->md = pcre2_match_data_create(2, NULL);
	st->jit = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
	if (st->mctx == NULL || st->md == NULL || pthread_setspecific(state_key, st) != 0) {
		state_free(st);
		return NULL;
	}
	pcre2_set_match_limit(st->mctx, MW_RULES_MATCH_LIMIT);
	pcre2_set_depth_limit(st->mctx, MW_RULES_DEPTH_LIMIT);
	pcre2_set_heap_limit(st->mctx, MW_RULES_HEAP_LIMIT_KB);
	if (st->jit != NULL)
		pcre2_jit_stack_assign(st->mctx, NULL, st->jit);
	return st;
}

/* --- the prefilter: Aho-Corasick over ASCII-folded required literals ---------- */

struct mw_acm {
	unsigned char cls[256];	/* byte -> class (0: in no literal) */
	size_t	 nclasses;
	int32_t	*next;		/* nstates * nclasses, complete DFA */
	size_t	 nstates, capstates;
	int32_t	*fail;
	int32_t	*dict;		/* nearest state on the fail chain with output, or -1 */
	int32_t	*out_head;	/* per state: first output index or -1 */
	int32_t	*out_next;
	size_t	*out_rule;
	size_t	 nout, capout;
};

static void
acm_free(struct mw_acm *a)
{
	if (a == NULL)
		return;
	free(a->next);
	free(a->fail);
	free(a->dict);
	free(a->out_head);
	free(a->out_next);
	free(a->out_rule);
	free(a);
}

static int32_t
acm_new_state(struct mw_acm *a)
{
	size_t k;

	if (a->nstates == a->capstates) {
		size_t ncap = a->capstates ? a->capstates * 2 : 256;
		int32_t *nn = realloc(a->next, ncap * a->nclasses * sizeof(*nn));
		int32_t *no;

		if (nn == NULL)
			return -1;
		a->next = nn;
		if ((no = realloc(a->out_head, ncap * sizeof(*no))) == NULL)
			return -1;
		a->out_head = no;
		a->capstates = ncap;
	}
	for (k = 0; k < a->nclasses; k++)
		a->next[a->nstates * a->nclasses + k] = -1;
	a->out_head[a->nstates] = -1;
	return (int32_t)a->nstates++;
}

static int
acm_add(struct mw_acm *a, const char *lit, size_t n, size_t rule)
{
	int32_t s = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned c = a->cls[(unsigned char)lit[i]];
		int32_t t = a->next[(size_t)s * a->nclasses + c];

		if (t < 0) {
			if ((t = acm_new_state(a)) < 0)
				return -1;
			a->next[(size_t)s * a->nclasses + c] = t;
		}
		s = t;
	}
	if (a->nout == a->capout) {
		size_t ncap = a->capout ? a->capout * 2 : 256;
		int32_t *nn = realloc(a->out_next, ncap * sizeof(*nn));
		size_t *nr;

		if (nn == NULL)
			return -1;
		a->out_next = nn;
		if ((nr = realloc(a->out_rule, ncap * sizeof(*nr))) == NULL)
			return -1;
		a->out_rule = nr;
		a->capout = ncap;
	}
	a->out_rule[a->nout] = rule;
	a->out_next[a->nout] = a->out_head[s];
	a->out_head[s] = (int32_t)a->nout++;
	return 0;
}

/* Failure links by BFS, then fill every missing transition (a full DFA). */
static int
acm_finish(struct mw_acm *a)
{
	int32_t *queue;
	size_t qh = 0, qt = 0, c, nc = a->nclasses;

	a->fail = malloc(a->nstates * sizeof(*a->fail));
	a->dict = malloc(a->nstates * sizeof(*a->dict));
	queue = malloc(a->nstates * sizeof(*queue));
	if (a->fail == NULL || a->dict == NULL || queue == NULL) {
		free(queue);
		return -1;
	}
	a->fail[0] = 0;
	a->dict[0] = -1;
	for (c = 0; c < nc; c++) {
		int32_t t = a->next[c];

		if (t < 0)
			a->next[c] = 0;
		else {
			a->fail[t] = 0;
			a->dict[t] = -1;
			queue[qt++] = t;
		}
	}
	while (qh < qt) {
		int32_t s = queue[qh++];

		for (c = 0; c < nc; c++) {
			int32_t t = a->next[(size_t)s * nc + c];
			int32_t f = a->next[(size_t)a->fail[s] * nc + c];

			if (t < 0) {
				a->next[(size_t)s * nc + c] = f;
				continue;
			}
			a->fail[t] = f;
			a->dict[t] = a->out_head[f] >= 0 ? f : a->dict[f];
			queue[qt++] = t;
		}
	}
	free(queue);
	return 0;
}

/* Mark every rule whose literal occurs in s. */
/* The bit of text i in a prefilter mask: one per text, the last one shared by all
 * texts from 63 on. */
static uint64_t
text_bit(size_t i)
{
	return (uint64_t)1 << (i < 63 ? i : 63);
}

/* Mark in cand[rule] (bit per text, see text_bit) the rules whose literal occurs. */
static void
acm_scan(const struct mw_acm *a, const char *s, size_t n, uint64_t *cand, uint64_t bit)
{
	int32_t st = 0;
	size_t i, nc = a->nclasses;

	for (i = 0; i < n; i++) {
		int32_t t;

		st = a->next[(size_t)st * nc + a->cls[(unsigned char)s[i]]];
		for (t = st; t > 0; t = a->dict[t]) {
			int32_t o;

			for (o = a->out_head[t]; o >= 0; o = a->out_next[o])
				cand[a->out_rule[o]] |= bit;
			if (a->dict[t] < 0)
				break;
		}
	}
}

static bool
prefilter_kind(enum mw_rule_kind k)
{
	return k == MW_RK_BODY || k == MW_RK_RAWBODY || k == MW_RK_FULL || k == MW_RK_URI;
}

#define MIN_LITERAL	3

int
mw_rules_prefilter_build(struct mw_ruleset *rs)
{
	size_t i, k;

	for (i = 0; i < rs->norder; i++) {
		struct mw_rule *r = &rs->rules[rs->order[i]];
		struct mw_perlre_lits l;

		if (r->broken || r->test != MW_RT_REGEX || !prefilter_kind(r->kind) ||
		    r->negate)
			continue;
		if (mw_perlre_literals(&r->pre, &l, MIN_LITERAL) == 0)
			continue;
		if ((r->lits = malloc(sizeof(*r->lits))) == NULL)
			return -1;
		*r->lits = l;
		rs->stats.prefiltered++;
	}
	for (k = 0; k < MW_RK_COUNT; k++) {
		struct mw_acm *a;
		unsigned char used[256] = { 0 };
		size_t c, nalways = 0;

		if (!prefilter_kind(k))
			continue;
		if ((rs->always[k] = malloc((rs->norder + 1) * sizeof(size_t))) == NULL)
			return -1;
		for (i = 0; i < rs->norder; i++) {
			const struct mw_rule *r = &rs->rules[rs->order[i]];
			size_t j, l;

			if (r->kind != k || r->broken)
				continue;
			if (r->lits == NULL) {
				rs->always[k][nalways++] = rs->order[i];
				continue;
			}
			for (l = 0; l < r->lits->n; l++)
				for (j = 0; j < r->lits->len[l]; j++)
					used[(unsigned char)r->lits->s[l][j]] = 1;
		}
		rs->nalways[k] = nalways;
		if ((a = calloc(1, sizeof(*a))) == NULL)
			return -1;
		rs->acm[k] = a;
		a->nclasses = 1;
		/* one class per distinct folded byte; upper case shares the lower's */
		for (c = 0; c < 256; c++)
			if (used[c] && a->nclasses < 255 && (unsigned)tolower((int)c) == c)
				a->cls[c] = (unsigned char)a->nclasses++;
		for (c = 0; c < 256; c++)
			if ((unsigned)tolower((int)c) != c && used[tolower((int)c)])
				a->cls[c] = a->cls[tolower((int)c)];
		if (acm_new_state(a) < 0)
			return -1;
		for (i = 0; i < rs->norder; i++) {
			const struct mw_rule *r = &rs->rules[rs->order[i]];
			size_t l;

			if (r->kind != k || r->broken || r->lits == NULL)
				continue;
			for (l = 0; l < r->lits->n; l++)
				if (acm_add(a, r->lits->s[l], r->lits->len[l], rs->order[i]) < 0)
					return -1;
		}
		if (acm_finish(a) < 0)
			return -1;
	}
	return 0;
}

void
mw_rules_prefilter_free(struct mw_ruleset *rs)
{
	size_t k;

	for (k = 0; k < MW_RK_COUNT; k++) {
		acm_free(rs->acm[k]);
		rs->acm[k] = NULL;
		free(rs->always[k]);
		rs->always[k] = NULL;
	}
}

/* --- one message --------------------------------------------------------------- */

struct run {
	const struct mw_ruleset *rs;
	const struct mw_rules_input *in;
	struct match_state *st;
	double	*val;			/* per rule: hit count / meta value */
	char   **match;			/* per rule: matched text (keep_matches) */
	uint64_t *cand;			/* per rule: the texts where its literal occurs
					 * (text_bit); 0 = it cannot match */
	unsigned char *skipped;		/* per rule: not run (time budget) */
	struct sbuf *hval;		/* per header key: the value, built on first use */
	unsigned char *hbuilt;
	struct mw_textv full;		/* the message for full rules, LF line ends */
	char	*full_copy;		/* owned when the input had CRLF */
	char	*raw_text;		/* rawbody lines joined with "\n" */
	struct mw_textv *raw;		/* ... cut into SpamAssassin's rawbody chunks */
	size_t	 nraw;
	struct mw_rules_result *out;
	bool	 oom;
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

#define MATCH_SHOW	60

static void
keep_match(struct run *run, size_t ri, const char *s, size_t len)
{
	PCRE2_SIZE *ov;
	size_t a, b, n;
	char *m;

	if (!run->in->keep_matches || run->match[ri] != NULL || s == NULL)
		return;
	ov = pcre2_get_ovector_pointer(run->st->md);
	a = ov[0];
	b = ov[1];
	if (a > len || b > len || b < a)
		return;
	n = b - a > MATCH_SHOW ? MATCH_SHOW : b - a;
	if ((m = malloc(n + 4)) == NULL)
		return;
	memcpy(m, s + a, n);
	if (b - a > MATCH_SHOW)
		memcpy(m + n, "...", 3), n += 3;
	m[n] = '\0';
	run->match[ri] = m;
}

/*
 * Count matches of r in s (at most `max`, 0 = one).  JIT when the text is safe
 * for it; a JIT stack or other JIT failure is retried by the interpreter.
 */
static unsigned
count_matches(struct run *run, size_t ri, const char *s, size_t len, unsigned max)
{
	const struct mw_rule *r = &run->rs->rules[ri];
	uint32_t opts = 0;
	PCRE2_SIZE start = 0;
	unsigned n = 0;

	if (r->utf && mw_utf8_valid(s, len))
		opts |= PCRE2_NO_UTF_CHECK;	/* validated: the JIT may skip the check */
	for (;;) {
		int rc = pcre2_match(r->re, (PCRE2_SPTR)s, len, start, opts, run->st->md,
		    run->st->mctx);
		PCRE2_SIZE *ov;

		if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
			rc = pcre2_match(r->re, (PCRE2_SPTR)s, len, start, opts | PCRE2_NO_JIT,
			    run->st->md, run->st->mctx);
		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0) {
			run->out->match_errors++;
			break;
		}
		if (n == 0)
			keep_match(run, ri, s, len);
		n++;
		if (max == 0 || n >= max)
			break;
		ov = pcre2_get_ovector_pointer(run->st->md);
		start = ov[1] > ov[0] ? ov[1] : ov[1] + 1;	/* empty match: step on */
		if (start > len)
			break;
	}
	return n;
}

static unsigned
hit_limit(const struct mw_rule *r)
{
	if (!(r->tflags & MW_TF_MULTIPLE))
		return 0;
	return r->maxhits ? r->maxhits : UINT32_MAX;
}

/* --- header values ------------------------------------------------------------ */

struct sbuf {
	char	*s;
	size_t	 len, cap;
	bool	 set;		/* some value was found (undef otherwise) */
	bool	 oom;
};

static void
sb_put(struct sbuf *b, const char *p, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t ncap = (b->len + n + 1) * 2 + 64;
		char *ns = realloc(b->s, ncap);

		if (ns == NULL) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = ncap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* The raw value after "Name:" with folds made single spaces (SpamAssassin's raw). */
static void
raw_value(struct sbuf *b, const struct mw_header *h, bool unfold_trim)
{
	const char *p = h->raw, *end = h->raw + h->raw_len;

	p = memchr(p, ':', h->raw_len);
	p = p == NULL ? end : p + 1;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (unfold_trim)
		while (p < end && (*p == '\r' || *p == '\n' || *p == ' ' || *p == '\t'))
			p++;
	while (p < end) {
		const char *q = p;

		while (q < end && *q != '\r' && *q != '\n')
			q++;
		if (q > p)
			sb_put(b, p, (size_t)(q - p));	/* a whole line at once */
		p = q;
		if (p < end) {
			while (q < end && (*q == '\r' || *q == '\n'))
				q++;
			if (q < end && (*q == ' ' || *q == '\t')) {
				while (q < end && (*q == ' ' || *q == '\t'))
					q++;
				sb_put(b, " ", 1);
			}
			p = q;
		}
	}
	if (unfold_trim)
		while (b->len > 0 && isspace((unsigned char)b->s[b->len - 1]))
			b->s[--b->len] = '\0';
}

/* One header occurrence, as SpamAssassin's get_header (decoded unless raw). */
static void
header_value(struct run *run, struct sbuf *b, const struct mw_header *h, size_t nth,
    bool raw)
{
	const struct mw_rules_input *in = run->in;

	if (!raw && in->decoded != NULL && memmem(h->value, h->value_len, "=?", 2) != NULL) {
		const char *d = in->decoded(in->msg, h->name, nth);

		if (d != NULL) {
			sb_put(b, d, strlen(d));
			return;
		}
	}
	raw_value(b, h, !raw);
}

/* Addresses or display names of an address-list value (a forgiving parser). */
static void
addr_parts(struct sbuf *out, const char *v, size_t n, bool want_name, bool *first)
{
	size_t i = 0;

	while (i < n) {
		size_t start = i, lt = SIZE_MAX, gt = SIZE_MAX, depth = 0;
		bool inq = false;
		char item[1024];
		size_t il = 0, j;

		for (; i < n; i++) {
			char c = v[i];

			if (inq) {
				if (c == '\\' && i + 1 < n)
					i++;
				else if (c == '"')
					inq = false;
				continue;
			}
			if (c == '"')
				inq = true;
			else if (c == '(')
				depth++;
			else if (c == ')' && depth > 0)
				depth--;
			else if (depth == 0 && c == '<' && lt == SIZE_MAX)
				lt = i;
			else if (depth == 0 && c == '>' && lt != SIZE_MAX && gt == SIZE_MAX)
				gt = i;
			else if (depth == 0 && (c == ',' || c == ';') && (lt == SIZE_MAX ||
			    gt != SIZE_MAX))
				break;
		}
		/* [start, i) is one mailbox */
		if (want_name) {
			size_t e = lt != SIZE_MAX ? lt : i;
			bool sp = false;

			for (j = start; j < e && il < sizeof(item) - 1; j++) {
				char c = v[j];

				if (c == '"')
					continue;
				if (c == '\\' && j + 1 < e)
					c = v[++j];
				if (isspace((unsigned char)c)) {
					sp = il > 0;
					continue;
				}
				if (sp && il < sizeof(item) - 1)
					item[il++] = ' ';
				sp = false;
				item[il++] = c;
			}
			if (lt == SIZE_MAX)
				il = 0;	/* a bare address has no display name */
			if (il >= 2 && item[0] == '\'' && item[il - 1] == '\'') {
				memmove(item, item + 1, il - 2);
				il -= 2;
			}
		} else {
			size_t s = lt != SIZE_MAX ? lt + 1 : start;
			size_t e = lt != SIZE_MAX ? (gt != SIZE_MAX ? gt : i) : i;
			int d = 0;

			for (j = s; j < e && il < sizeof(item) - 1; j++) {
				char c = v[j];

				if (c == '(') { d++; continue; }
				if (c == ')' && d > 0) { d--; continue; }
				if (d > 0 || isspace((unsigned char)c) || c == '"')
					continue;
				item[il++] = c;
			}
			/* a group name "undisclosed-recipients:" is not an address */
			if (il > 0 && item[il - 1] == ':')
				il = 0;
			if (il > 0 && memchr(item, ':', il) != NULL && lt == SIZE_MAX) {
				char *c = memchr(item, ':', il);

				il -= (size_t)(c + 1 - item);
				memmove(item, c + 1, il);
			}
		}
		if (il > 0) {
			if (!*first)
				sb_put(out, "\n", 1);
			sb_put(out, item, il);
			*first = false;
			out->set = true;
		}
		if (i < n)
			i++;
	}
}

static void
add_field(struct run *run, struct sbuf *b, const char *name, bool raw)
{
	const struct mw_message *m = run->in->msg;
	size_t i, nth = 0;

	for (i = 0; i < m->nheaders; i++) {
		const struct mw_header *h = &m->headers[i];

		if (strcasecmp(h->name, name) != 0)
			continue;
		header_value(run, b, h, nth++, raw);
		sb_put(b, "\n", 1);
		b->set = true;
	}
}

/* One field as the ALL pseudo-header lists it: "Name: decoded value", or as written
 * (:raw); one per line. */
static void
all_line(struct run *run, struct sbuf *b, const struct mw_header *h, bool raw)
{
	if (raw) {
		sb_put(b, h->raw, h->raw_len);
	} else {
		sb_put(b, h->name, strlen(h->name));
		sb_put(b, ": ", 2);
		header_value(run, b, h, h->index - 1, false);
	}
	sb_put(b, "\n", 1);
	b->set = true;
}

/* issue 5: ALL-TRUSTED and friends: the header fields written by the trusted (or
 * internal) relays - those above and including the Received field just below the
 * last trusted one - or the rest of them (ALL-UNTRUSTED, ALL-EXTERNAL). */
static void
all_in_range(struct run *run, const struct mw_rule *r, struct sbuf *b, bool raw)
{
	const struct mw_message *m = run->in->msg;
	const struct mw_relays *rl = run->in->relays;
	bool upper = r->source == MW_HS_ALL_TRUSTED || r->source == MW_HS_ALL_INTERNAL;
	long boundary, idx = -1;
	size_t i;

	if (rl == NULL)
		return;
	boundary = 1L + (r->source == MW_HS_ALL_TRUSTED || r->source == MW_HS_ALL_UNTRUSTED ?
	    rl->last_trusted_relay_index : rl->last_internal_relay_index);
	if (rl->synthetic_top)
		boundary--;	/* that field is not in the message */
	if (upper && boundary < 0)
		return;
	for (i = 0; i < m->nheaders; i++) {
		const struct mw_header *h = &m->headers[i];
		bool is_rcvd = strcasecmp(h->name, "Received") == 0;

		if (is_rcvd)
			idx++;
		if (upper ? idx > boundary : idx < boundary)
			continue;
		all_line(run, b, h, raw);
		if (upper && is_rcvd && idx == boundary)
			break;
	}
}

/* Collect the value a header rule matches against; b->set false = undef. */
static void
build_header(struct run *run, const struct mw_rule *r, struct sbuf *b)
{
	const struct mw_message *m = run->in->msg;
	bool raw = (r->hmods & MW_HM_RAW) != 0;
	size_t i;

	switch (r->source) {
	case MW_HS_ALL:
		for (i = 0; i < m->nheaders; i++)
			all_line(run, b, &m->headers[i], raw);
		return;
	case MW_HS_ENVFROM: {
		const char *ef = run->in->envelope_from;
		const struct mw_header *h;

		if (ef == NULL && (h = mw_message_header(m, "Return-Path", 0)) != NULL) {
			struct sbuf t = { 0 };
			size_t s = 0, e;

			raw_value(&t, h, true);
			if (t.s != NULL) {
				e = t.len;
				while (s < e && (t.s[s] == '<' || isspace((unsigned char)t.s[s])))
					s++;
				while (e > s && (t.s[e - 1] == '>' || isspace((unsigned char)t.s[e - 1])))
					e--;
				if (e > s) {
					sb_put(b, t.s + s, e - s);
					b->set = true;
				}
			}
			free(t.s);
			return;
		}
		if (ef != NULL && *ef != '\0') {
			sb_put(b, ef, strlen(ef));
			b->set = true;
		}
		return;
	}
	case MW_HS_TOCC:
		if (!(r->hmods & (MW_HM_ADDR | MW_HM_NAME))) {
			add_field(run, b, "To", raw);
			add_field(run, b, "Cc", raw);
			return;
		}
		break;
	case MW_HS_MESSAGEID:
		add_field(run, b, "X-Message-Id", raw);
		add_field(run, b, "Resent-Message-Id", raw);
		add_field(run, b, "X-Original-Message-ID", raw);
		add_field(run, b, "Message-Id", raw);
		return;
	case MW_HS_RELAYS_TRUSTED:
	case MW_HS_RELAYS_UNTRUSTED:
	case MW_HS_RELAYS_INTERNAL:
	case MW_HS_RELAYS_EXTERNAL: {
		/* issue 5: "" when the list is empty, but defined (SpamAssassin) */
		const char *v;

		if (run->in->relays == NULL)
			return;
		v = run->in->relays->str[r->source - MW_HS_RELAYS_TRUSTED];
		if (v != NULL)
			sb_put(b, v, strlen(v));
		b->set = true;
		return;
	}
	case MW_HS_ALL_TRUSTED:
	case MW_HS_ALL_UNTRUSTED:
	case MW_HS_ALL_INTERNAL:
	case MW_HS_ALL_EXTERNAL:
		all_in_range(run, r, b, raw);
		return;
	case MW_HS_FIELD:
		break;
	}

	if (r->hmods & (MW_HM_ADDR | MW_HM_NAME | MW_HM_FIRST | MW_HM_LAST)) {
		/* per-occurrence values, then :first/:last, then address parsing */
		const char *names[2] = { r->field, NULL };
		const struct mw_header *occ[64];
		size_t nocc = 0, k, lo, hi;
		bool first = true;

		if (r->source == MW_HS_TOCC) {
			names[0] = "To";
			names[1] = "Cc";
		}
		for (k = 0; k < 2 && names[k] != NULL; k++)
			for (i = 0; i < m->nheaders && nocc < 64; i++)
				if (strcasecmp(m->headers[i].name, names[k]) == 0)
					occ[nocc++] = &m->headers[i];
		if (nocc == 0)
			return;
		lo = 0;
		hi = nocc;
		if (r->hmods & MW_HM_FIRST)
			hi = 1;
		else if (r->hmods & MW_HM_LAST)
			lo = nocc - 1;
		for (k = lo; k < hi; k++) {
			struct sbuf t = { 0 };

			if (r->hmods & (MW_HM_ADDR | MW_HM_NAME)) {
				/* addresses from the raw value; a display name decoded
				 * (RFC 2047) unless :raw, as SpamAssassin does */
				if ((r->hmods & MW_HM_NAME) && !raw)
					header_value(run, &t, occ[k], occ[k]->index - 1, false);
				else
					raw_value(&t, occ[k], true);
				if (t.s != NULL) {
					struct sbuf parts = { 0 };
					bool f2 = true;

					addr_parts(&parts, t.s, t.len, (r->hmods & MW_HM_NAME) != 0, &f2);
					if (parts.set) {
						if (!first)
							sb_put(b, "\n", 1);
						sb_put(b, parts.s, parts.len);
						first = false;
						b->set = true;
					}
					free(parts.s);
				}
			} else {
				header_value(run, &t, occ[k], occ[k]->index - 1, raw);
				sb_put(&t, "\n", 1);
				if (t.s != NULL)
					sb_put(b, t.s, t.len);
				b->set = true;
			}
			free(t.s);
		}
		return;
	}
	add_field(run, b, r->field, raw);
}

/* --- the rules ---------------------------------------------------------------- */

static void
run_header(struct run *run, size_t ri)
{
	const struct mw_rule *r = &run->rs->rules[ri];
	struct sbuf *b = &run->hval[r->hkey];
	const char *s;
	size_t len;
	unsigned n;

	/* exists: and =~ rules on the same field share the value (exists: with
	 * hmods 0, the only modifier-less form, so the value is the same) */
	if (!run->hbuilt[r->hkey]) {
		build_header(run, r, b);
		run->hbuilt[r->hkey] = 1;
	}
	if (b->oom) {
		run->oom = true;
		return;
	}
	if (r->test == MW_RT_EXISTS) {
		/* SpamAssassin: defined(get(Field)), so pseudo-headers work too */
		run->val[ri] = b->set;
		return;
	}
	if (b->set) {
		s = b->s != NULL ? b->s : "";
		len = b->len;
	} else if (r->if_unset != NULL) {
		s = r->if_unset;
		len = strlen(s);
	} else {
		s = "";		/* Perl: undef matches as the empty string */
		len = 0;
	}
	run->out->regex_run++;
	n = count_matches(run, ri, s, len, r->negate ? 0 : hit_limit(r));
	if (r->negate)
		run->val[ri] = n == 0;
	else
		run->val[ri] = n;
}

/*
 * mimeheader (SpamAssassin's MIMEHeader plugin): the field of every MIME part, the
 * message's own header block being part 1; =~ hits when the value of any part
 * matches, !~ when none does (an absent field is the rule's if-unset text, or empty).
 */
static void
run_mimeheader(struct run *run, size_t ri)
{
	const struct mw_rule *r = &run->rs->rules[ri];
	const struct mw_message *m = run->in->msg;
	size_t n = 0, i;

	(void)mw_mime_parts(m, &n);
	run->out->regex_run++;
	for (i = 0; i < n; i++) {
		const char *v = mw_mime_part_header(m, i, r->field, (r->hmods & MW_HM_RAW) != 0);
		unsigned hits;

		if (v == NULL)
			v = r->if_unset != NULL ? r->if_unset : "";
		hits = count_matches(run, ri, v, strlen(v), r->negate ? 1 : hit_limit(r));
		if (hits > 0) {
			run->val[ri] = r->negate ? 0 : hits;
			return;
		}
	}
	run->val[ri] = r->negate;	/* !~ : no part matched */
}

/* mask: the texts worth matching (text_bit), all of them when the rule has no literal */
static void
run_texts(struct run *run, size_t ri, const struct mw_textv *v, size_t nv, size_t skip,
    uint64_t mask)
{
	const struct mw_rule *r = &run->rs->rules[ri];
	unsigned max = hit_limit(r), total = 0;
	size_t i;

	run->out->regex_run++;
	for (i = skip; i < nv; i++) {
		unsigned left = max == 0 ? 0 : max - total;

		/* every match contains one of the rule's literals, and a match lies
		 * within one text: a text without the literal cannot match */
		if (!(mask & text_bit(i)))
			continue;

		total += count_matches(run, ri, v[i].s, v[i].len, left);
		if (total > 0 && (max == 0 || total >= max))
			break;
	}
	run->val[ri] = total;
}

static void
run_rule(struct run *run, size_t ri)
{
	const struct mw_rule *r = &run->rs->rules[ri];
	const struct mw_views *vw = run->in->views;
	uint64_t mask = ~(uint64_t)0;	/* texts worth matching: all, unless prefiltered */

	if (r->broken)
		return;
	if (r->test == MW_RT_EVAL) {
		if (r->native != NULL && run->in->ctx != NULL) {
			struct mw_eval_args a = {
				.argc = r->eval_argc,
				.argv = (const char *const *)r->eval_argv,
			};

			run->val[ri] = r->native(run->in->ctx, &a) == 1;
		}
		return;
	}
	if (prefilter_kind(r->kind) && r->lits != NULL && !run->in->no_prefilter) {
		if (!run->cand[ri]) {
			run->out->prefilter_skipped++;
			return;
		}
		mask = run->cand[ri];
	}
	switch (r->kind) {
	case MW_RK_HEADER:
		run_header(run, ri);
		break;
	case MW_RK_MIMEHEADER:
		run_mimeheader(run, ri);
		break;
	case MW_RK_BODY:
		if (vw != NULL)
			run_texts(run, ri, vw->body, vw->nbody,
			    (r->tflags & MW_TF_NOSUBJECT) ? 1 : 0, mask);
		break;
	case MW_RK_RAWBODY:
		run_texts(run, ri, run->raw, run->nraw, 0, mask);
		break;
	case MW_RK_URI:
		if (vw != NULL)
			run_texts(run, ri, vw->uri, vw->nuri, 0, mask);
		break;
	case MW_RK_FULL:
		run_texts(run, ri, &run->full, 1, 0, mask);
		break;
	default:
		break;
	}
}

static bool
truthy(double v)
{
	return v != 0 && !isnan(v);
}

static double
eval_meta(const struct run *run, const struct mw_rule *r)
{
	double st[64];
	size_t sp = 0, k;

	for (k = 0; k < r->nrpn; k++) {
		const struct mw_meta_tok *t = &r->rpn[k];
		double a, b, c;

		if (t->op == MW_MO_NUM || t->op == MW_MO_RULE) {
			if (sp == 64)
				return 0;
			st[sp++] = t->op == MW_MO_NUM ? t->num :
			    (t->rule == SIZE_MAX ? 0 : run->val[t->rule]);
			continue;
		}
		if (t->op == MW_MO_NOT || t->op == MW_MO_NEG) {
			if (sp < 1)
				return 0;
			st[sp - 1] = t->op == MW_MO_NOT ? !truthy(st[sp - 1]) : -st[sp - 1];
			continue;
		}
		if (t->op == MW_MO_COND) {
			if (sp < 3)
				return 0;
			c = st[--sp];
			b = st[--sp];
			a = st[sp - 1];
			st[sp - 1] = truthy(a) ? b : c;
			continue;
		}
		if (sp < 2)
			return 0;
		b = st[--sp];
		a = st[sp - 1];
		switch (t->op) {
		case MW_MO_MUL: a = a * b; break;
		case MW_MO_DIV: a = b == 0 ? 0 : a / b; break;
		case MW_MO_ADD: a = a + b; break;
		case MW_MO_SUB: a = a - b; break;
		case MW_MO_LT: a = a < b; break;
		case MW_MO_GT: a = a > b; break;
		case MW_MO_LE: a = a <= b; break;
		case MW_MO_GE: a = a >= b; break;
		case MW_MO_EQ: a = a == b; break;
		case MW_MO_NE: a = a != b; break;
		case MW_MO_XOR: a = (double)((long long)a ^ (long long)b); break;
		case MW_MO_AND: a = truthy(a) ? b : a; break;	/* Perl returns an operand */
		case MW_MO_OR: a = truthy(a) ? a : b; break;
		default: break;
		}
		st[sp - 1] = a;
	}
	return sp == 1 ? st[0] : 0;
}

static void
prefilter_scan(struct run *run)
{
	const struct mw_ruleset *rs = run->rs;
	const struct mw_views *vw = run->in->views;
	size_t i;

	if (rs->acm[MW_RK_FULL] != NULL && rs->acm[MW_RK_FULL]->nout > 0)
		acm_scan(rs->acm[MW_RK_FULL], run->full.s, run->full.len, run->cand, text_bit(0));
	if (vw == NULL)
		return;
	if (rs->acm[MW_RK_BODY] != NULL && rs->acm[MW_RK_BODY]->nout > 0)
		for (i = 0; i < vw->nbody; i++)
			acm_scan(rs->acm[MW_RK_BODY], vw->body[i].s, vw->body[i].len, run->cand,
			    text_bit(i));
	if (rs->acm[MW_RK_RAWBODY] != NULL && rs->acm[MW_RK_RAWBODY]->nout > 0)
		for (i = 0; i < run->nraw; i++)
			acm_scan(rs->acm[MW_RK_RAWBODY], run->raw[i].s, run->raw[i].len, run->cand,
			    text_bit(i));
	if (rs->acm[MW_RK_URI] != NULL && rs->acm[MW_RK_URI]->nout > 0)
		for (i = 0; i < vw->nuri; i++)
			acm_scan(rs->acm[MW_RK_URI], vw->uri[i].s, vw->uri[i].len, run->cand,
			    text_bit(i));
}

static bool
is_subrule(const struct mw_rule *r)
{
	return r->name[0] == '_' && r->name[1] == '_';
}

/* Did every rule this meta reads run (metas before it in order were decided)? */
static bool
meta_complete(const struct run *run, const struct mw_rule *r, size_t pos)
{
	size_t k;

	(void)pos;
	for (k = 0; k < r->nrpn; k++)
		if (r->rpn[k].op == MW_MO_RULE && r->rpn[k].rule != SIZE_MAX &&
		    run->skipped[r->rpn[k].rule])
			return false;
	return true;
}

#define SA_MAX_BODY_LINE	2048

/*
 * SpamAssassin matches rawbody rules on a text part's decoded text with its line
 * breaks, cut into pieces of 1-2 x 2048 bytes at a newline, a '>' or a space
 * (split_into_array_of_short_paragraphs).  The model gives lines: join them again
 * and cut the same way, so multi-line rawbody rules see what they would in
 * SpamAssassin.  (Part boundaries are not kept: the text of consecutive parts is
 * one run here.)
 */
static int
build_rawbody(struct run *run, const struct mw_views *vw)
{
	size_t i, total = 0, ofs, len, cap;
	char *t;

	if (vw == NULL || vw->nrawbody == 0)
		return 0;
	for (i = 0; i < vw->nrawbody; i++)
		total += vw->rawbody[i].len + 1;
	if ((t = run->raw_text = malloc(total + 1)) == NULL)
		return -1;
	for (i = 0, len = 0; i < vw->nrawbody; i++) {
		memcpy(t + len, vw->rawbody[i].s, vw->rawbody[i].len);
		len += vw->rawbody[i].len;
		t[len++] = '\n';
	}
	t[len] = '\0';
	cap = len / SA_MAX_BODY_LINE + 2;
	if ((run->raw = calloc(cap, sizeof(*run->raw))) == NULL)
		return -1;
	if (len <= SA_MAX_BODY_LINE) {
		run->raw[0].s = t;
		run->raw[0].len = len;
		run->nraw = 1;
		return 0;
	}
	for (ofs = 0; len - ofs > 2 * SA_MAX_BODY_LINE && run->nraw < cap - 1;) {
		static const char seps[] = "\n> ";
		size_t j = SIZE_MAX, k;

		for (k = 0; k < 3 && j == SIZE_MAX; k++) {
			const char *f = memchr(t + ofs + SA_MAX_BODY_LINE, seps[k],
			    len - ofs - SA_MAX_BODY_LINE);

			if (f != NULL && (size_t)(f - (t + ofs)) + 1 <= 2 * SA_MAX_BODY_LINE)
				j = (size_t)(f - t);
		}
		if (j == SIZE_MAX)
			j = ofs + SA_MAX_BODY_LINE;
		run->raw[run->nraw].s = t + ofs;
		run->raw[run->nraw].len = j - ofs + 1;
		run->nraw++;
		ofs = j + 1;
	}
	if (ofs < len) {
		run->raw[run->nraw].s = t + ofs;
		run->raw[run->nraw].len = len - ofs;
		run->nraw++;
	}
	return 0;
}

/*
 * full rules see the message as SpamAssassin gets it from spamc or a content filter:
 * LF line ends.  The milter's copy has CRLF (message.h: crlf), so strip the CRs
 * before LFs then; otherwise the message is used as it is.
 */
static int
build_full(struct run *run)
{
	const struct mw_message *m = run->in->msg;
	size_t i, n = 0;
	char *c;

	run->full.s = m->data;
	run->full.len = m->len;
	if (!m->crlf || run->rs->stats.by_kind[MW_RK_FULL] == 0 || m->len == 0)
		return 0;
	if ((c = run->full_copy = malloc(m->len)) == NULL)
		return -1;
	for (i = 0; i < m->len; i++)
		if (!(m->data[i] == '\r' && i + 1 < m->len && m->data[i + 1] == '\n'))
			c[n++] = m->data[i];
	run->full.s = c;
	run->full.len = n;
	return 0;
}

int
mw_rules_run(const struct mw_ruleset *rs, const struct mw_rules_input *in,
    struct mw_rules_result *out)
{
	struct run run = { .rs = rs, .in = in, .out = out };
	double t0 = now_ms();
	size_t i, nh = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if ((run.st = match_state()) == NULL)
		return -1;
	run.val = calloc(rs->nrules + 1, sizeof(*run.val));
	run.cand = calloc(rs->nrules + 1, sizeof(*run.cand));
	run.skipped = calloc(rs->nrules + 1, 1);
	run.hval = calloc(rs->nhkeys + 1, sizeof(*run.hval));
	run.hbuilt = calloc(rs->nhkeys + 1, 1);
	if (in->keep_matches)
		run.match = calloc(rs->nrules + 1, sizeof(*run.match));
	if (run.val == NULL || run.cand == NULL || run.skipped == NULL || run.hval == NULL ||
	    run.hbuilt == NULL ||
	    (in->keep_matches && run.match == NULL)) {
		rc = -1;
		goto done;
	}
	if (build_full(&run) < 0 ||
	    (rs->stats.by_kind[MW_RK_RAWBODY] > 0 && build_rawbody(&run, in->views) < 0)) {
		rc = -1;
		goto done;
	}
	if (!in->no_prefilter)
		prefilter_scan(&run);
	for (i = 0; i < rs->first_meta; i++) {
		if (in->budget_ms > 0 && (i & 15) == 0 && now_ms() - t0 > in->budget_ms) {
			out->budget_exceeded = true;
			for (; i < rs->first_meta; i++)
				run.skipped[rs->order[i]] = 1;
			break;
		}
		if (in->rule_ms != NULL) {
			double t = now_ms();

			run_rule(&run, rs->order[i]);
			in->rule_ms[rs->order[i]] += now_ms() - t;
		} else
			run_rule(&run, rs->order[i]);
		if (run.oom) {
			rc = -1;
			goto done;
		}
	}
	for (i = rs->first_meta; i < rs->norder; i++) {
		const struct mw_rule *r = &rs->rules[rs->order[i]];
		double v;

		if (r->broken)
			continue;
		/* past the budget, a meta over rules that never ran would read their
		 * absence as "no hit" (and !__HAS_FROM would fire): skip those metas */
		if (out->budget_exceeded && !meta_complete(&run, r, i)) {
			run.skipped[rs->order[i]] = 1;
			continue;
		}
		v = eval_meta(&run, r);
		if (truthy(v))
			run.val[rs->order[i]] = v > 0 ? v : 1;
	}
	/* the hits, in evaluation order; subrules (__) never score */
	for (i = 0; i < rs->norder; i++)
		if (run.val[rs->order[i]] > 0 && (in->all_hits ||
		    !is_subrule(&rs->rules[rs->order[i]])))
			nh++;
	if (nh > 0 && (out->hits = calloc(nh, sizeof(*out->hits))) == NULL) {
		rc = -1;
		goto done;
	}
	for (i = 0; i < rs->norder; i++) {
		size_t ri = rs->order[i];
		const struct mw_rule *r = &rs->rules[ri];
		struct mw_rule_hit *h;
		unsigned cnt;

		if (run.val[ri] <= 0 || (is_subrule(r) && !in->all_hits))
			continue;
		h = &out->hits[out->nhits++];
		/* a meta scores once; a multiple rule once per match */
		cnt = r->test == MW_RT_META ? 1 : (unsigned)run.val[ri];
		h->rule = ri;
		h->count = cnt;
		h->score = is_subrule(r) ? 0 : r->score * cnt;
		if (run.match != NULL) {
			h->match = run.match[ri];
			run.match[ri] = NULL;
		}
		out->score += h->score;
	}
done:
	if (run.match != NULL) {
		for (i = 0; i < rs->nrules; i++)
			free(run.match[i]);
		free(run.match);
	}
	free(run.val);
	free(run.cand);
	free(run.skipped);
	free(run.raw);
	free(run.raw_text);
	free(run.full_copy);
	if (run.hval != NULL)
		for (i = 0; i < rs->nhkeys; i++)
			free(run.hval[i].s);
	free(run.hval);
	free(run.hbuilt);
	out->elapsed_ms = now_ms() - t0;
	return rc;
}

void
mw_rules_result_free(struct mw_rules_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->nhits; i++)
		free(res->hits[i].match);
	free(res->hits);
	res->hits = NULL;
	res->nhits = 0;
}
