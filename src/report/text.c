/*
 * text - the plain-text summary, and the --address listing.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

void
report_correlate(const struct report *r, struct corr *c)
{
	static const unsigned want[NACT] = {
		[ACT_ACCEPT] = PF_SENT, [ACT_TAG] = PF_SENT, [ACT_TEMPFAIL] = PF_TEMPFAIL,
		[ACT_HOLD] = PF_HOLD, [ACT_DISCARD] = PF_DISCARD, [ACT_REJECT] = PF_REJECT,
		[ACT_OTHER] = 0,
	};
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < r->qids.n; i++) {
		const struct pf_state *s = strmap_val(&r->qids, i);
		if (s->flags & PF_SEEN)
			c->pf_qids++;
		if (s->mw_action == 0) {
			c->pf_only_hold += (s->flags & PF_HOLD) != 0;
			c->pf_only_reject += (s->flags & PF_REJECT) != 0;
			c->pf_only_discard += (s->flags & PF_DISCARD) != 0;
			continue;
		}
		int a = s->mw_action - 1;
		c->mw[a]++;
		if (s->flags & PF_SEEN) {
			c->seen[a]++;
			c->agree[a] += (s->flags & want[a]) != 0;
		}
	}
}

const char *
corr_meaning(int a)
{
	switch (a) {
	case ACT_ACCEPT:
	case ACT_TAG:	   return "delivered (status=sent)";
	case ACT_TEMPFAIL: return "milter-reject with 4xx";
	case ACT_HOLD:	   return "milter-hold";
	case ACT_DISCARD:  return "milter-discard";
	case ACT_REJECT:   return "milter-reject with 5xx";
	}
	return "-";
}

static void
pct(char *out, size_t n, uint64_t part, uint64_t whole)
{
	if (whole == 0)
		snprintf(out, n, "-");
	else
		snprintf(out, n, "%.1f%%", 100.0 * (double)part / (double)whole);
}

static void
stamp(int64_t t, char *out, size_t n)
{
	int y, mo, d;
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400, s = t - days * 86400;

	civil_from_days(days, &y, &mo, &d);
	snprintf(out, n, "%04d-%02d-%02d %02d:%02d:%02d", y, mo, d, (int)(s / 3600),
	    (int)(s / 60 % 60), (int)(s % 60));
}

static void
heading(FILE *out, const char *title)
{
	fprintf(out, "\n%s\n", title);
}

static void
count_table(FILE *out, const struct strmap *m, const char *title, const char *col,
    int top, uint64_t of)
{
	size_t *idx, i, lim;
	char p[16];

	heading(out, title);
	if (m->n == 0) {
		fprintf(out, "  (none)\n");
		return;
	}
	if ((idx = sorted_by_count(m)) == NULL)
		return;
	fprintf(out, "  %-40s %10s %8s\n", col, "count", "%");
	lim = top > 0 && (size_t)top < m->n ? (size_t)top : m->n;
	for (i = 0; i < lim; i++) {
		uint64_t v = *(const uint64_t *)strmap_val(m, idx[i]);
		pct(p, sizeof(p), v, of);
		fprintf(out, "  %-40s %10" PRIu64 " %8s\n", strmap_key(m, idx[i]), v, p);
	}
	if (lim < m->n)
		fprintf(out, "  ... %zu more\n", m->n - lim);
	free(idx);
}

static int
by_clear_desc(const void *a, const void *b, const char *ka, const char *kb)
{
	const struct dom_stats *x = a, *y = b;

	(void)ka;
	(void)kb;
	if (x->clear != y->clear)
		return x->clear > y->clear ? -1 : 1;
	return x->total > y->total ? -1 : x->total < y->total;
}

static void
clear_table(FILE *out, const struct strmap *m, const char *title, const char *col, int top)
{
	size_t *idx, i, shown = 0;
	char p[16];

	heading(out, title);
	if ((idx = strmap_sorted(m, by_clear_desc)) == NULL)
		return;
	for (i = 0; i < m->n && shown < (size_t)top; i++) {
		const struct dom_stats *d = strmap_val(m, idx[i]);
		if (d->clear == 0)
			break;
		if (shown++ == 0)
			fprintf(out, "  %-40s %10s %10s %8s\n", col, "clear", "messages", "clear %");
		pct(p, sizeof(p), d->clear, d->total);
		fprintf(out, "  %-40s %10" PRIu64 " %10" PRIu64 " %8s\n", strmap_key(m, idx[i]),
		    d->clear, d->total, p);
	}
	if (shown == 0)
		fprintf(out, "  (none)\n");
	free(idx);
}

void
report_text(const struct report *r, FILE *out)
{
	uint64_t total = 0;
	size_t *idx, i;
	struct corr c;
	char p[16], a[32], b[32];
	int k;

	for (k = 0; k < NACT; k++)
		total += r->actions.n[k];
	fprintf(out, "mailwarden report");
	if (r->have_range) {
		stamp(r->tmin, a, sizeof(a));
		stamp(r->tmax, b, sizeof(b));
		fprintf(out, ": %s .. %s", a, b);
	}
	if (r->customer)
		fprintf(out, " (customer %s)", r->customer);
	fprintf(out, "\n\nInput\n");
	fprintf(out, "  lines read                %12" PRIu64 "\n", r->lines);
	fprintf(out, "  message records           %12" PRIu64 "\n", r->mw_records);
	fprintf(out, "  recipient records         %12" PRIu64 "\n", r->rcpt_records);
	fprintf(out, "  lifecycle records         %12" PRIu64 "\n", r->event_records);
	fprintf(out, "  of them JSON              %12" PRIu64 "\n", r->json_records);
	fprintf(out, "  other mailwarden lines    %12" PRIu64 "\n", r->daemon_messages);
	fprintf(out, "  Postfix lines             %12" PRIu64 "\n", r->postfix_lines);
	fprintf(out, "  other lines (skipped)     %12" PRIu64 "\n", r->foreign);
	fprintf(out, "  truncated records         %12" PRIu64 "\n", r->truncated);
	fprintf(out, "  damaged lines (re-synced) %12" PRIu64 "\n", r->damaged);
	fprintf(out, "  outside --since/--until   %12" PRIu64 "\n", r->outside_time);
	fprintf(out, "  other customers           %12" PRIu64 "\n", r->filtered);

	heading(out, "Messages by action");
	fprintf(out, "  %-12s %10s %8s\n", "action", "messages", "%");
	for (k = 0; k < NACT; k++) {
		if (k == ACT_OTHER && r->actions.n[k] == 0)
			continue;
		pct(p, sizeof(p), r->actions.n[k], total);
		fprintf(out, "  %-12s %10" PRIu64 " %8s\n", act_names[k], r->actions.n[k], p);
	}
	fprintf(out, "  %-12s %10" PRIu64 "\n", "total", total);

	heading(out, "Messages per day");
	if (r->days.n == 0)
		fprintf(out, "  (no time stamps)\n");
	else {
		int64_t *days = malloc(r->days.n * sizeof(*days));
		size_t j, nd = r->days.n;
		if (days != NULL) {
			for (i = 0; i < nd; i++)
				memcpy(&days[i], strmap_key(&r->days, i), sizeof(int64_t));
			for (i = 1; i < nd; i++)	/* few days: insertion sort */
				for (j = i; j > 0 && days[j - 1] > days[j]; j--) {
					int64_t t = days[j]; days[j] = days[j - 1]; days[j - 1] = t;
				}
			fprintf(out, "  %-10s %9s", "day", "total");
			for (k = 0; k < ACT_OTHER; k++)
				fprintf(out, " %9s", act_names[k]);
			fputc('\n', out);
			for (i = 0; i < nd; i++) {
				const struct counts *cn = strmap_find(&r->days,
				    (const char *)&days[i], sizeof(int64_t));
				uint64_t t = 0;
				for (k = 0; k < NACT; k++)
					t += cn->n[k];
				format_day(days[i] * 86400, a, sizeof(a));
				fprintf(out, "  %-10s %9" PRIu64, a, t);
				for (k = 0; k < ACT_OTHER; k++)
					fprintf(out, " %9" PRIu64, cn->n[k]);
				fputc('\n', out);
			}
			free(days);
		}
	}

	heading(out, "Per customer");
	if ((idx = sorted_by_total(&r->customers)) != NULL) {
		fprintf(out, "  %-32s %9s %7s %7s %7s %8s %8s\n", "customer", "messages", "spam %",
		    "viruses", "held", "rejected", "clear %");
		for (i = 0; i < r->customers.n; i++) {
			const struct cust_stats *cs = strmap_val(&r->customers, idx[i]);
			char q[16];
			pct(p, sizeof(p), cs->spam, cs->scanned);
			pct(q, sizeof(q), cs->clear, cs->tls_known);
			fprintf(out, "  %-32s %9" PRIu64 " %7s %7" PRIu64 " %7" PRIu64 " %8" PRIu64
			    " %8s\n", strmap_key(&r->customers, idx[i]), cs->messages, p,
			    cs->viruses, cs->held, cs->rejected, q);
		}
		if (r->customers.n == 0)
			fprintf(out, "  (none)\n");
		else
			fprintf(out, "  (- : no customers entry matched, built-in policy;  * : the "
			    "default entry)\n");
		free(idx);
	}

	clear_table(out, &r->domains, "Sending domains that delivered in clear text",
	    "sender domain", r->top);
	clear_table(out, &r->clients, "Client hosts that delivered in clear text",
	    "client", r->top);
	count_table(out, &r->early, "Earlier hops in clear text (first such hop in the Received "
	    "chain; ours = written by our MTA, claimed = by a sender's)", "host (trust)", r->top,
	    total);
	count_table(out, &r->rules, "Top rules", "rule", r->top, total);
	count_table(out, &r->viruses, "Viruses", "name", r->top, total);
	count_table(out, &r->spf, "SPF results", "result", r->top, total);
	count_table(out, &r->skipped, "Messages not scanned", "reason", r->top, total);

	heading(out, "Scanner and stage errors and warnings");
	if (r->errors.n == 0)
		fprintf(out, "  (none)\n");
	else if ((idx = sorted_by_count(&r->errors)) != NULL) {
		fprintf(out, "  %8s  %-19s  %-19s  %s\n", "count", "first", "last", "error");
		for (i = 0; i < r->errors.n; i++) {
			const struct err_stats *e = strmap_val(&r->errors, idx[i]);
			stamp(e->first, a, sizeof(a));
			stamp(e->last, b, sizeof(b));
			fprintf(out, "  %8" PRIu64 "  %-19s  %-19s  %s\n", e->count,
			    r->have_range ? a : "-", r->have_range ? b : "-",
			    strmap_key(&r->errors, idx[i]));
		}
		free(idx);
	}

	heading(out, "Other mailwarden messages (warnings, errors)");
	if (r->notices.n == 0)
		fprintf(out, "  (none)\n");
	else if ((idx = sorted_by_count(&r->notices)) != NULL) {
		for (i = 0; i < r->notices.n && i < (size_t)r->top; i++)
			fprintf(out, "  %8" PRIu64 "  %s\n",
			    *(const uint64_t *)strmap_val(&r->notices, idx[i]),
			    strmap_key(&r->notices, idx[i]));
		free(idx);
	}

	heading(out, "Lifecycle (start, reloads, engine reloads, stop)");
	if (r->events.n == 0)
		fprintf(out, "  (none)\n");
	else {
		size_t from = r->nevlog > (size_t)r->top ? r->nevlog - (size_t)r->top : 0;
		if ((idx = sorted_by_count(&r->events)) != NULL) {
			for (i = 0; i < r->events.n; i++)
				fprintf(out, "  %-40s %10" PRIu64 "\n", strmap_key(&r->events, idx[i]),
				    *(const uint64_t *)strmap_val(&r->events, idx[i]));
			free(idx);
		}
		fprintf(out, "  last %zu:\n", r->nevlog - from);
		for (i = from; i < r->nevlog; i++) {
			if (r->evlog[i].has_time)
				stamp(r->evlog[i].t, a, sizeof(a));
			fprintf(out, "  %-19s  %s\n", r->evlog[i].has_time ? a : "-",
			    r->evlog[i].text);
		}
	}

	heading(out, "Postfix's view of the same queue ids");
	report_correlate(r, &c);
	if (c.pf_qids == 0)
		fprintf(out, "  (no Postfix lines with queue ids in the input)\n");
	else {
		fprintf(out, "  %-10s %10s %12s %12s  %s\n", "action", "messages", "in Postfix",
		    "confirmed", "Postfix logged");
		for (k = 0; k < ACT_OTHER; k++) {
			if (c.mw[k] == 0)
				continue;
			fprintf(out, "  %-10s %10" PRIu64 " %12" PRIu64 " %12" PRIu64 "  %s\n",
			    act_names[k], c.mw[k], c.seen[k], c.agree[k], corr_meaning(k));
		}
		fprintf(out, "  Postfix milter-hold/-reject/-discard without a mailwarden record: "
		    "%" PRIu64 "/%" PRIu64 "/%" PRIu64 "\n", c.pf_only_hold, c.pf_only_reject,
		    c.pf_only_discard);
	}
}

static void
pf_flags(FILE *out, unsigned f)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ PF_HOLD, "milter-hold" }, { PF_REJECT, "milter-reject" },
		{ PF_TEMPFAIL, "milter-reject(4xx)" }, { PF_DISCARD, "milter-discard" },
		{ PF_SENT, "sent" }, { PF_DEFERRED, "deferred" }, { PF_BOUNCED, "bounced" },
		{ PF_REMOVED, "removed" },
	};
	size_t i;
	bool any = false;

	if (!(f & PF_SEEN)) {
		fprintf(out, "not in the Postfix lines read");
		return;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & names[i].bit) {
			fprintf(out, "%s%s", any ? ", " : "", names[i].name);
			any = true;
		}
	if (!any)
		fprintf(out, "seen");
}

void
report_matches(const struct report *r, FILE *out)
{
	size_t i;
	char a[32];

	fprintf(out, "Mail from or to %s: %zu record%s\n", r->address, r->nmatches,
	    r->nmatches == 1 ? "" : "s");
	for (i = 0; i < r->nmatches; i++) {
		const struct match *m = &r->matches[i];
		const struct pf_state *ps = NULL;
		char *const *main_rec = NULL;
		bool is_rcpt = strstr(m->text, " rcpt=") != NULL;

		if (strcmp(m->qid, "-") != 0) {
			ps = strmap_find(&r->qids, m->qid, strlen(m->qid));
			main_rec = strmap_find(&r->mainrec, m->qid, strlen(m->qid));
		}
		if (m->has_time)
			stamp(m->t, a, sizeof(a));
		fprintf(out, "\n%s  %s\n", m->has_time ? a : "-", m->qid);
		if (is_rcpt) {
			fprintf(out, "  recipient: %s\n", m->text);
			fprintf(out, "  message:   %s\n", main_rec && *main_rec ? *main_rec :
			    "(no message record in the input)");
		} else
			fprintf(out, "  message:   %s\n", m->text);
		fprintf(out, "  postfix:   ");
		pf_flags(out, ps ? ps->flags : 0);
		fputc('\n', out);
	}
}
