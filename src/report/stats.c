/*
 * stats - fold parsed lines into the report's aggregates, one pass, no second read.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "report.h"

#define EVLOG_MAX	100000	/* lifecycle lines kept for the listing */

int
report_init(struct report *r)
{
	memset(r, 0, sizeof(*r));
	r->top = 20;
	strmap_init(&r->days, sizeof(struct counts));
	strmap_init(&r->hours, sizeof(struct counts));
	strmap_init(&r->customers, sizeof(struct cust_stats));
	strmap_init(&r->domains, sizeof(struct dom_stats));
	strmap_init(&r->clients, sizeof(struct dom_stats));
	strmap_init(&r->rules, sizeof(uint64_t));
	strmap_init(&r->viruses, sizeof(uint64_t));
	strmap_init(&r->spf, sizeof(uint64_t));
	strmap_init(&r->errors, sizeof(struct err_stats));
	strmap_init(&r->events, sizeof(uint64_t));
	strmap_init(&r->skipped, sizeof(uint64_t));
	strmap_init(&r->notices, sizeof(uint64_t));
	strmap_init(&r->early, sizeof(uint64_t));
	strmap_init(&r->qids, sizeof(struct pf_state));
	strmap_init(&r->mainrec, sizeof(char *));
	return 0;
}

void
report_free(struct report *r)
{
	size_t i;

	for (i = 0; i < r->mainrec.n; i++)
		free(*(char **)strmap_val(&r->mainrec, i));
	for (i = 0; i < r->nevlog; i++)
		free(r->evlog[i].text);
	free(r->evlog);
	for (i = 0; i < r->nmatches; i++) {
		free(r->matches[i].qid);
		free(r->matches[i].text);
	}
	free(r->matches);
	strmap_free(&r->days);
	strmap_free(&r->hours);
	strmap_free(&r->customers);
	strmap_free(&r->domains);
	strmap_free(&r->clients);
	strmap_free(&r->rules);
	strmap_free(&r->viruses);
	strmap_free(&r->spf);
	strmap_free(&r->errors);
	strmap_free(&r->events);
	strmap_free(&r->skipped);
	strmap_free(&r->notices);
	strmap_free(&r->early);
	strmap_free(&r->qids);
	strmap_free(&r->mainrec);
}

static bool
feq(const struct field *f, const char *s)
{
	size_t n = strlen(s);

	return f != NULL && f->vlen == n && memcmp(f->v, s, n) == 0;
}

static bool
fprefix(const struct field *f, const char *s)
{
	size_t n = strlen(s);

	return f != NULL && f->vlen >= n && memcmp(f->v, s, n) == 0;
}

static int
action_index(const struct field *f)
{
	int i;

	if (f == NULL)
		return ACT_OTHER;
	for (i = 0; i < ACT_OTHER; i++)
		if (feq(f, act_names[i]))
			return i;
	return ACT_OTHER;
}

static void
count(struct strmap *m, const char *k, size_t n)
{
	uint64_t *c = strmap_get(m, k, n);

	if (c != NULL)
		(*c)++;
}

static bool
list_contains(const struct field *f, const char *want)
{
	const char *p, *end, *c;
	size_t n = strlen(want);

	if (f == NULL)
		return false;
	for (p = f->v, end = f->v + f->vlen; p < end; p = c + 1) {
		c = memchr(p, ',', (size_t)(end - p));
		if (c == NULL)
			c = end;
		if ((size_t)(c - p) == n && memcmp(p, want, n) == 0)
			return true;
	}
	return false;
}

static bool
lower_eq(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i;

	if (an != bn)
		return false;
	for (i = 0; i < an; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return false;
	}
	return true;
}

bool
report_address_matches(const struct report *r, const char *tok, size_t n)
{
	char buf[1024];
	const char *at, *qat;
	size_t len, qlen;

	if (r->address == NULL || n >= sizeof(buf))
		return false;
	len = unescape_value(tok, n, buf);
	at = memchr(buf, '@', len) ? strrchr(buf, '@') : NULL;
	qlen = strlen(r->address);
	if (r->address_is_domain)	/* "@example.com": any address at that domain */
		return at != NULL && lower_eq(at, len - (size_t)(at - buf), r->address, qlen);
	if (lower_eq(buf, len, r->address, qlen))
		return true;
	if (r->address_hash[0] != '\0' && len > 2 && memcmp(buf, "h:", 2) == 0) {
		size_t hl = strlen(r->address_hash);
		qat = strrchr(r->address, '@');
		if (len >= hl && memcmp(buf, r->address_hash, hl) == 0)
			/* the domain after the hash must agree too */
			return (at == NULL && len == hl) ||
			    (at != NULL && qat != NULL && lower_eq(at, len - (size_t)(at - buf),
			    qat, strlen(qat)));
	}
	return false;
}

/* A record for people: key=value with the values' escapes decoded (control bytes
 * as '?'); for the lifecycle listing. */
static char *
record_plain(const struct line *ln)
{
	size_t i, n = 0, o = 0, j, vl;
	char *s;

	for (i = 0; i < ln->nf; i++)
		n += ln->f[i].klen + ln->f[i].vlen + 2;
	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < ln->nf; i++) {
		if (i)
			s[o++] = ' ';
		memcpy(s + o, ln->f[i].k, ln->f[i].klen);
		o += ln->f[i].klen;
		s[o++] = '=';
		vl = unescape_value(ln->f[i].v, ln->f[i].vlen, s + o);
		for (j = 0; j < vl; j++)
			if ((unsigned char)s[o + j] < 0x20 || s[o + j] == 0x7f)
				s[o + j] = '?';
		o += vl;
	}
	s[o] = '\0';
	return s;
}

/* The record again as key=value text (also for JSON input), for --address listings. */
static char *
record_text(const struct line *ln)
{
	size_t i, n = 0, o = 0;
	char *s;

	for (i = 0; i < ln->nf; i++)
		n += ln->f[i].klen + ln->f[i].vlen + 2;
	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < ln->nf; i++) {
		if (i)
			s[o++] = ' ';
		memcpy(s + o, ln->f[i].k, ln->f[i].klen);
		o += ln->f[i].klen;
		s[o++] = '=';
		memcpy(s + o, ln->f[i].v, ln->f[i].vlen);
		o += ln->f[i].vlen;
	}
	s[o] = '\0';
	return s;
}

static void
add_match(struct report *r, const struct line *ln, const struct field *qid)
{
	struct match *m;

	if (r->nmatches == r->matches_cap) {
		size_t nc = r->matches_cap ? r->matches_cap * 2 : 16;
		struct match *nm = realloc(r->matches, nc * sizeof(*nm));
		if (nm == NULL)
			return;
		r->matches = nm;
		r->matches_cap = nc;
	}
	m = &r->matches[r->nmatches];
	m->qid = qid ? strndup(qid->v, qid->vlen) : strdup("-");
	m->text = record_text(ln);
	m->t = ln->t;
	m->has_time = ln->has_time;
	if (m->qid == NULL || m->text == NULL) {
		free(m->qid);
		free(m->text);
		return;
	}
	r->nmatches++;
}

static void
evlog_add(struct report *r, const struct line *ln)
{
	struct event_line *e;

	if (r->nevlog == EVLOG_MAX)
		return;
	if (r->nevlog == r->evlog_cap) {
		size_t nc = r->evlog_cap ? r->evlog_cap * 2 : 32;
		struct event_line *ne = realloc(r->evlog, nc * sizeof(*ne));
		if (ne == NULL)
			return;
		r->evlog = ne;
		r->evlog_cap = nc;
	}
	e = &r->evlog[r->nevlog];
	e->t = ln->t;
	e->has_time = ln->has_time;
	e->seq = r->nevlog;	/* equal times keep the input order */
	if ((e->text = record_plain(ln)) != NULL)
		r->nevlog++;
}

static void
add_error(struct report *r, const struct line *ln, const char *stage, size_t slen,
    const char *text, size_t tlen)
{
	char key[600], plain[401];
	struct err_stats *e;
	size_t i, pn;
	int n;

	/* shown to people: decode the \xHH escapes, but no control bytes */
	if (tlen > 400)
		tlen = 400;
	pn = unescape_value(text, tlen, plain);
	for (i = 0; i < pn; i++)
		if ((unsigned char)plain[i] < 0x20 || plain[i] == 0x7f)
			plain[i] = '?';
	n = snprintf(key, sizeof(key), "%.*s: %s", (int)slen, stage, plain);
	if (n < 0)
		return;
	if ((e = strmap_get(&r->errors, key, strlen(key))) == NULL)
		return;
	if (e->count == 0 || ln->t < e->first)
		e->first = ln->t;
	if (e->count == 0 || ln->t > e->last)
		e->last = ln->t;
	e->count++;
}

static void
time_buckets(struct report *r, const struct line *ln, int a)
{
	int64_t day, hour;
	struct counts *c;

	if (!ln->has_time)
		return;
	day = ln->t >= 0 ? ln->t / 86400 : (ln->t - 86399) / 86400;
	hour = ln->t >= 0 ? ln->t / 3600 : (ln->t - 3599) / 3600;
	if ((c = strmap_get(&r->days, (const char *)&day, sizeof(day))) != NULL)
		c->n[a]++;
	if ((c = strmap_get(&r->hours, (const char *)&hour, sizeof(hour))) != NULL)
		c->n[a]++;
}

/* tls=none or a protocol version; not "skipped:why", "error:why" or absent */
static bool
tls_known(const struct field *tls)
{
	return tls != NULL && tls->vlen > 0 && !feq(tls, "-") && !fprefix(tls, "skipped") &&
	    !fprefix(tls, "error") && !fprefix(tls, "not_run");
}

static void
customer_stats(struct report *r, const char *key, size_t klen, int a, const struct field *spam,
    const struct field *virus, const struct field *tls)
{
	struct cust_stats *c = strmap_get(&r->customers, key, klen);

	if (c == NULL)
		return;
	c->messages++;
	if (feq(spam, "yes") || feq(spam, "no")) {
		c->scanned++;
		c->spam += feq(spam, "yes");
	}
	c->viruses += fprefix(virus, "infected:");
	c->held += a == ACT_HOLD;
	c->rejected += a == ACT_REJECT;
	if (tls_known(tls)) {
		c->tls_known++;
		c->clear += feq(tls, "none");
	}
}

static void
main_record(struct report *r, struct line *ln)
{
	const struct field *qid = line_get(ln, "queue_id"), *from = line_get(ln, "from");
	const struct field *cust = line_get(ln, "customer"), *custs = line_get(ln, "customers");
	const struct field *spam = line_get(ln, "spam"), *virus = line_get(ln, "virus");
	const struct field *tls = line_get(ln, "tls"), *client = line_get(ln, "client");
	const struct field *keys = custs ? custs : cust;
	bool clear = feq(tls, "none");
	struct dom_stats *d;
	struct pf_state *ps;
	size_t i;
	int a;

	if (r->customer != NULL && !feq(cust, r->customer) && !list_contains(custs, r->customer)) {
		r->filtered++;
		return;
	}
	if (r->address != NULL) {
		char **slot;
		if (qid != NULL && !feq(qid, "-") &&
		    (slot = strmap_get(&r->mainrec, qid->v, qid->vlen)) != NULL && *slot == NULL)
			*slot = record_text(ln);
		const struct field *to = line_get(ln, "to");
		if ((from != NULL && report_address_matches(r, from->v, from->vlen)) ||
		    (to != NULL && report_address_matches(r, to->v, to->vlen)))
			add_match(r, ln, qid);
		if (fprefix(from, "h:") || fprefix(to, "h:"))
			r->hashed_seen++;
		return;
	}
	r->mw_records++;
	if (feq(spam, "yes") || feq(spam, "no")) {
		r->spam_scanned++;
		r->spam_yes += feq(spam, "yes");
	}
	if (tls_known(tls)) {
		r->tls_known++;
		r->tls_clear += clear;
	}
	a = action_index(line_get(ln, "action"));
	r->actions.n[a]++;
	time_buckets(r, ln, a);

	/* per customer: the message counts once for every customer key it went to */
	if (keys != NULL) {
		const char *p = keys->v, *end = keys->v + keys->vlen, *c;
		for (; p < end; p = c + 1) {
			c = memchr(p, ',', (size_t)(end - p));
			if (c == NULL)
				c = end;
			customer_stats(r, p, (size_t)(c - p), a, spam, virus, tls);
		}
	} else
		customer_stats(r, "-", 1, a, spam, virus, tls);

	if (from != NULL) {
		const char *dom = "<>";
		size_t dl = 2;
		if (!feq(from, "<>")) {
			const char *at = NULL, *p;
			for (p = from->v; p < from->v + from->vlen; p++)
				if (*p == '@')
					at = p;
			dom = at ? at + 1 : "-";
			dl = at ? (size_t)(from->v + from->vlen - at - 1) : 1;
		}
		if ((d = strmap_get(&r->domains, dom, dl)) != NULL) {
			d->total++;
			d->clear += clear;
		}
	}
	if (client != NULL && (d = strmap_get(&r->clients, client->v, client->vlen)) != NULL) {
		d->total++;
		d->clear += clear;
	}
	for (i = 0; i < ln->nf; i++) {
		const struct field *f = &ln->f[i];
		if (f->klen == 5 && memcmp(f->k, "rules", 5) == 0 && !feq(f, "-")) {
			const char *p = f->v, *end = f->v + f->vlen, *c;
			for (; p < end; p = c + 1) {
				c = memchr(p, ',', (size_t)(end - p));
				if (c == NULL)
					c = end;
				if (c > p)
					count(&r->rules, p, (size_t)(c - p));
			}
		} else if (fprefix(f, "error")) {
			const char *text = f->vlen > 6 ? f->v + 6 : "-";
			add_error(r, ln, f->k, f->klen, text, f->vlen > 6 ? f->vlen - 6 : 1);
		}
	}
	if (fprefix(virus, "infected:"))
		count(&r->viruses, virus->v + 9, virus->vlen - 9);
	if (line_get(ln, "spf") != NULL) {
		const struct field *spf = line_get(ln, "spf");
		/* "skipped:reason" and "error:text" are grouped by their first word */
		const char *colon = memchr(spf->v, ':', spf->vlen);
		count(&r->spf, spf->v, colon ? (size_t)(colon - spf->v) : spf->vlen);
	}
	/* Earlier hops (Received chain, issue 9): where mail crossed the net in clear
	 * text before it reached us; "ours" when our own MTA wrote that Received field. */
	{
		const struct field *eh = line_get(ln, "earlier_cleartext_hops");
		const struct field *fh = line_get(ln, "first_cleartext_hop");
		const struct field *tr = line_get(ln, "first_cleartext_hop_trust");
		if (eh != NULL && !feq(eh, "0") && eh->v[0] != '-') {
			char key[320];
			int n = snprintf(key, sizeof(key), "%.*s (%.*s)",
			    fh ? (int)(fh->vlen > 256 ? 256 : fh->vlen) : 1, fh ? fh->v : "-",
			    tr ? (int)(tr->vlen > 16 ? 16 : tr->vlen) : 1, tr ? tr->v : "-");
			r->early_clear++;
			if (n > 0)
				count(&r->early, key, strlen(key));
		}
	}
	if (line_get(ln, "skipped") != NULL) {
		const struct field *sk = line_get(ln, "skipped");
		count(&r->skipped, sk->v, sk->vlen);
	}
	if (qid != NULL && !feq(qid, "-") &&
	    (ps = strmap_get(&r->qids, qid->v, qid->vlen)) != NULL)
		ps->mw_action = (uint8_t)(a + 1);
}

static void
rcpt_record(struct report *r, struct line *ln)
{
	const struct field *rcpt = line_get(ln, "rcpt"), *cust = line_get(ln, "customer");

	if (r->customer != NULL && !feq(cust, r->customer)) {
		r->filtered++;
		return;
	}
	if (r->address != NULL) {
		if (rcpt != NULL && report_address_matches(r, rcpt->v, rcpt->vlen))
			add_match(r, ln, line_get(ln, "queue_id"));
		if (fprefix(rcpt, "h:"))
			r->hashed_seen++;
		return;
	}
	r->rcpt_records++;
	r->rcpt_actions[action_index(line_get(ln, "action"))]++;
}

static void
event_record(struct report *r, struct line *ln)
{
	const struct field *ev = line_get(ln, "event");
	const struct field *why;

	if (r->address != NULL || r->customer != NULL)
		return;
	if (feq(ev, "message")) {	/* the daemon's other warnings and errors */
		const struct field *text = line_get(ln, "text");
		r->daemon_messages++;
		if (text != NULL)
			count(&r->notices, text->v, text->vlen > 160 ? 160 : text->vlen);
		return;
	}
	r->event_records++;
	count(&r->events, ev->v, ev->vlen);
	evlog_add(r, ln);
	if ((ev->vlen > 8 && memcmp(ev->v + ev->vlen - 8, "_warning", 8) == 0) ||
	    (ev->vlen > 6 && memcmp(ev->v + ev->vlen - 6, "_error", 6) == 0) ||
	    (ev->vlen > 7 && memcmp(ev->v + ev->vlen - 7, "_failed", 7) == 0) ||
	    (ev->vlen > 8 && memcmp(ev->v + ev->vlen - 8, "_refused", 8) == 0)) {
		why = line_get(ln, "reason");
		if (why == NULL)
			why = line_get(ln, "error");
		if (why == NULL)
			why = line_get(ln, "detail");
		add_error(r, ln, ev->v, ev->vlen, why ? why->v : "-", why ? why->vlen : 1);
	}
}

/* "postfix/cleanup[1]: 4F3A2C1B9: milter-hold: END-OF-MESSAGE from ...". */
static void
postfix_line(struct report *r, const struct line *ln)
{
	const char *m = ln->msg, *end = ln->msg + ln->msglen, *p, *q;
	struct pf_state *ps;
	size_t qlen;

	r->postfix_lines++;
	for (p = m; p < end && ((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
	    (*p >= 'a' && *p <= 'z')); p++)
		;
	qlen = (size_t)(p - m);
	if (qlen < 5 || end - p < 2 || p[0] != ':' || p[1] != ' ')
		return;		/* NOQUEUE, connect/disconnect, warnings */
	if ((ps = strmap_get(&r->qids, m, qlen)) == NULL)
		return;
	ps->flags |= PF_SEEN;
	p += 2;
	if (end - p >= 14 && memcmp(p, "milter-hold: ", 13) == 0)
		ps->flags |= PF_HOLD;
	else if (end - p >= 16 && memcmp(p, "milter-discard: ", 16) == 0)
		ps->flags |= PF_DISCARD;
	else if (end - p >= 15 && memcmp(p, "milter-reject: ", 15) == 0) {
		/* "...from host[addr]: 5.7.1 text; from=<...>": the class tells reject from
		 * tempfail */
		for (q = p + 15; q + 3 < end; q++)
			if (q[0] == ']' && q[1] == ':' && q[2] == ' ')
				break;
		if (q + 3 < end && q[3] == '4')
			ps->flags |= PF_TEMPFAIL;
		else
			ps->flags |= PF_REJECT;
	} else if ((size_t)(end - p) == 7 && memcmp(p, "removed", 7) == 0)
		ps->flags |= PF_REMOVED;
	else {
		for (q = p; q + 7 <= end; q++)
			if (memcmp(q, "status=", 7) == 0)
				break;
		if (q + 7 > end)
			return;
		q += 7;
		if (end - q >= 4 && memcmp(q, "sent", 4) == 0)
			ps->flags |= PF_SENT;
		else if (end - q >= 7 && memcmp(q, "bounced", 7) == 0)
			ps->flags |= PF_BOUNCED;
		else if (end - q >= 8 && memcmp(q, "deferred", 8) == 0)
			ps->flags |= PF_DEFERRED;
	}
}

void
report_line(struct report *r, struct line *ln)
{
	if (ln->kind == LINE_FOREIGN) {
		r->foreign++;
		return;
	}
	if (ln->has_time) {
		if ((r->have_since && ln->t < r->since) || (r->have_until && ln->t >= r->until)) {
			r->outside_time++;
			return;
		}
		if (!r->have_range) {
			r->tmin = r->tmax = ln->t;
			r->have_range = true;
		}
		if (ln->t < r->tmin)
			r->tmin = ln->t;
		if (ln->t > r->tmax)
			r->tmax = ln->t;
	} else {
		r->untimed++;
		if (r->have_since || r->have_until) {
			r->outside_time++;
			return;
		}
	}
	if (ln->kind == LINE_POSTFIX) {
		postfix_line(r, ln);
		return;
	}
	if (ln->truncated)
		r->truncated++;
	if (ln->resync)
		r->damaged++;
	if (ln->msglen > 0 && ln->msg[0] == '{')
		r->json_records++;
	if (line_get(ln, "event") != NULL)
		event_record(r, ln);
	else if (line_get(ln, "rcpt") != NULL)
		rcpt_record(r, ln);
	else if (line_get(ln, "queue_id") != NULL)
		main_record(r, ln);
}

static int
by_time(const void *a, const void *b)
{
	const struct event_line *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
report_finish(struct report *r)
{
	/* several files may come in any order: list lifecycle lines by time */
	if (r->nevlog > 1)
		qsort(r->evlog, r->nevlog, sizeof(*r->evlog), by_time);
}
