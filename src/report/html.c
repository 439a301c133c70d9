/*
 * html - one self-contained page (inline CSS and SVG, no scripts, no external
 * resources) with the summary's tables and three charts.  Written as well-formed
 * XML (every element closed) so that xmllint can check it strictly.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static const char *const act_colour[NACT] = {
	"#4caf50", "#cddc39", "#9c27b0", "#ff9800", "#607d8b", "#e53935", "#9e9e9e"
};

static void
esc(FILE *out, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			/* control bytes are not allowed in XML; log values never carry them */
			if ((unsigned char)*s < 0x20 && *s != '\t')
				fputc('?', out);
			else
				fputc(*s, out);
		}
}

static void
pct(char *out, size_t n, uint64_t part, uint64_t whole)
{
	if (whole == 0)
		snprintf(out, n, "-");
	else
		snprintf(out, n, "%.1f", 100.0 * (double)part / (double)whole);
}

static void
stamp(int64_t t, char *out, size_t n, bool with_time)
{
	int y, mo, d;
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400, s = t - days * 86400;

	civil_from_days(days, &y, &mo, &d);
	if (with_time)
		snprintf(out, n, "%04d-%02d-%02d %02d:%02d", y, mo, d, (int)(s / 3600),
		    (int)(s / 60 % 60));
	else
		snprintf(out, n, "%04d-%02d-%02d", y, mo, d);
}

static const char style[] =
"body{font-family:system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}"
"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}"
".sub{color:#666;margin-bottom:16px}"
".cards{display:flex;flex-wrap:wrap;gap:12px}.card{background:#fff;border:1px solid #ddd;"
"border-radius:6px;padding:10px 16px;min-width:120px}.card b{display:block;font-size:22px}"
".card span{color:#666;font-size:12px}"
"table{border-collapse:collapse;background:#fff;font-size:13px;margin:4px 0}"
"th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}"
"td.t{white-space:nowrap}.note{color:#666;font-size:12px;margin:4px 0 0}"
"td.n,th.n{text-align:right;"
"font-variant-numeric:tabular-nums}th{background:#f0f0f0}"
"svg{background:#fff;border:1px solid #ddd;border-radius:6px}"
".grid{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}"
"svg text{font-family:system-ui,sans-serif;font-size:11px;fill:#333}";

static void
table_counts(FILE *out, const struct strmap *m, const char *id, const char *col, int top,
    uint64_t of)
{
	size_t *idx, i, lim;
	char p[16];

	fprintf(out, "<table id=\"%s\"><tr><th>%s</th><th class=\"n\">count</th>", id, col);
	if (of > 0 || m->n == 0)
		fputs("<th class=\"n\">% of messages</th>", out);
	fputs("</tr>\n", out);
	if ((idx = sorted_by_count(m)) != NULL) {
		lim = (size_t)top < m->n ? (size_t)top : m->n;
		for (i = 0; i < lim; i++) {
			uint64_t v = *(const uint64_t *)strmap_val(m, idx[i]);
			pct(p, sizeof(p), v, of);
			fputs("<tr><td>", out);
			esc(out, strmap_key(m, idx[i]));
			fprintf(out, "</td><td class=\"n\">%" PRIu64 "</td>", v);
			if (of > 0)
				fprintf(out, "<td class=\"n\">%s</td>", p);
			fputs("</tr>\n", out);
		}
		free(idx);
	}
	if (m->n == 0)
		fputs("<tr><td colspan=\"3\">none</td></tr>\n", out);
	fputs("</table>\n", out);
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
table_clear(FILE *out, const struct strmap *m, const char *id, const char *col, int top)
{
	size_t *idx, i, shown = 0;
	char p[16];

	fprintf(out, "<table id=\"%s\"><tr><th>%s</th><th class=\"n\">clear-text</th>"
	    "<th class=\"n\">messages</th><th class=\"n\">clear %%</th></tr>\n", id, col);
	if ((idx = strmap_sorted(m, by_clear_desc)) != NULL) {
		for (i = 0; i < m->n && shown < (size_t)top; i++) {
			const struct dom_stats *d = strmap_val(m, idx[i]);
			if (d->clear == 0)
				break;
			shown++;
			pct(p, sizeof(p), d->clear, d->total);
			fputs("<tr><td>", out);
			esc(out, strmap_key(m, idx[i]));
			fprintf(out, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64
			    "</td><td class=\"n\">%s</td></tr>\n", d->clear, d->total, p);
		}
		free(idx);
	}
	if (shown == 0)
		fputs("<tr><td colspan=\"4\">none</td></tr>\n", out);
	fputs("</table>\n", out);
}

/* Messages per hour (per day over long periods), stacked by action. */
static void
chart_hours(FILE *out, const struct report *r)
{
	const int W = 960, H = 280, L = 56, R = 12, T = 16, B = 56;
	int64_t first, last, nb, i, step;
	uint64_t maxv = 1, (*tot)[NACT];
	bool daily;
	char lab[32];
	int k;

	if (!r->have_range || r->hours.n == 0) {
		fputs("<p>No time stamps in the input.</p>\n", out);
		return;
	}
	first = r->tmin / 3600;
	last = r->tmax / 3600;
	daily = last - first + 1 > 24 * 62;
	step = daily ? 24 : 1;
	first = daily ? (r->tmin / 86400) * 24 : first;
	nb = (last - first) / step + 1;
	if ((tot = calloc((size_t)nb, sizeof(*tot))) == NULL)
		return;
	for (i = 0; i < (int64_t)r->hours.n; i++) {
		int64_t h;
		const struct counts *c = strmap_val(&r->hours, (size_t)i);
		memcpy(&h, strmap_key(&r->hours, (size_t)i), sizeof(h));
		if (h < first || h > last)
			continue;
		for (k = 0; k < NACT; k++)
			tot[(h - first) / step][k] += c->n[k];
	}
	for (i = 0; i < nb; i++) {
		uint64_t s = 0;
		for (k = 0; k < NACT; k++)
			s += tot[i][k];
		if (s > maxv)
			maxv = s;
	}
	double bw = (double)(W - L - R) / (double)nb, ph = H - T - B;
	fprintf(out, "<svg id=\"chart-hours\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\"><title>Messages per %s by "
	    "action</title>\n", W, H, W, H, daily ? "day" : "hour");
	for (k = 0; k <= 4; k++) {
		double y = T + ph - ph * k / 4.0;
		fprintf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>"
		    "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>\n", L, y, W - R, y,
		    L - 6, y + 4, (double)maxv * k / 4.0);
	}
	for (i = 0; i < nb; i++) {
		double y = T + ph, x = L + bw * (double)i;
		for (k = 0; k < NACT; k++) {
			double h;
			if (tot[i][k] == 0)
				continue;
			h = ph * (double)tot[i][k] / (double)maxv;
			y -= h;
			stamp((first + i * step) * 3600, lab, sizeof(lab), !daily);
			fprintf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
			    "fill=\"%s\"><title>%s %s: %" PRIu64 "</title></rect>\n", x, y,
			    bw > 2 ? bw - 1 : bw, h, act_colour[k], lab, act_names[k], tot[i][k]);
		}
	}
	/* at most seven labels on the time axis, each under a tick */
	int64_t every = (nb + 6) / 7;
	for (i = 0; i < nb; i += every) {
		double x = L + bw * (double)i;
		stamp((first + i * step) * 3600, lab, sizeof(lab), !daily);
		fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>"
		    "<text x=\"%.1f\" y=\"%d\">%s</text>\n", x, T + ph, x, T + ph + 5, x,
		    H - B + 16, daily ? lab : lab + 5);	/* hourly: "MM-DD HH:MM" */
	}
	for (k = 0; k < NACT; k++) {
		int x = L + k * 110;
		fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
		    "<text x=\"%d\" y=\"%d\">%s</text>\n", x, H - 22, act_colour[k], x + 16, H - 12,
		    act_names[k]);
	}
	fputs("</svg>\n", out);
	free(tot);
}

/* Spam % and clear-text % side by side for the busiest customers. */
static void
chart_customers(FILE *out, const struct report *r, int top)
{
	const int W = 960, L = 240, BW = 600, ROW = 34;
	size_t *idx, i, n = r->customers.n < (size_t)top ? r->customers.n : (size_t)top;
	int H = 40 + (int)n * ROW + 30;

	if (n == 0) {
		fputs("<p>No customers in the input.</p>\n", out);
		return;
	}
	if ((idx = sorted_by_total(&r->customers)) == NULL)
		return;
	fprintf(out, "<svg id=\"chart-customers\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\"><title>Spam and "
	    "clear-text rate per customer</title>\n", W, H, W, H);
	for (i = 0; i <= 4; i++) {
		int x = L + BW * (int)i / 4;
		fprintf(out, "<line x1=\"%d\" y1=\"24\" x2=\"%d\" y2=\"%d\" stroke=\"#e5e5e5\"/>"
		    "<text x=\"%d\" y=\"18\" text-anchor=\"middle\">%d%%</text>\n", x, x, H - 30, x,
		    (int)i * 25);
	}
	for (i = 0; i < n; i++) {
		const struct cust_stats *c = strmap_val(&r->customers, idx[i]);
		double spam = c->scanned ? (double)c->spam / (double)c->scanned : 0;
		double clear = c->tls_known ? (double)c->clear / (double)c->tls_known : 0;
		int y = 30 + (int)i * ROW;
		char name[48];

		snprintf(name, sizeof(name), "%s", strmap_key(&r->customers, idx[i]));
		if (strlen(strmap_key(&r->customers, idx[i])) > 34)
			strcpy(name + 31, "...");
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", L - 8, y + 17);
		esc(out, name);
		fprintf(out, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"12\" "
		    "fill=\"#e53935\"><title>spam %.1f%% of %" PRIu64 " scanned</title></rect>"
		    "<text x=\"%.1f\" y=\"%d\">%s%.1f%%</text>\n", L, y + 2, BW * spam, 100 * spam,
		    c->scanned, L + BW * spam + 4, y + 12, c->scanned ? "" : "n/a ",
		    100 * spam);
		fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"12\" "
		    "fill=\"#1e88e5\"><title>clear text %.1f%% of %" PRIu64 "</title></rect>"
		    "<text x=\"%.1f\" y=\"%d\">%.1f%%</text>\n", L, y + 16, BW * clear, 100 * clear,
		    c->tls_known, L + BW * clear + 4, y + 26, 100 * clear);
	}
	fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"#e53935\"/>"
	    "<text x=\"%d\" y=\"%d\">spam %% (of scanned)</text><rect x=\"%d\" y=\"%d\" "
	    "width=\"12\" height=\"12\" fill=\"#1e88e5\"/><text x=\"%d\" y=\"%d\">clear-text "
	    "%% (this hop)</text>\n</svg>\n", L, H - 20, L + 16, H - 10, L + 200, H - 20, L + 216,
	    H - 10);
	free(idx);
}

static void
chart_rules(FILE *out, const struct report *r, int top)
{
	const int W = 960, L = 300, BW = 560, ROW = 20;
	size_t *idx, i, n = r->rules.n < (size_t)top ? r->rules.n : (size_t)top;
	int H = 20 + (int)n * ROW + 10;
	uint64_t maxv;

	if (n == 0) {
		fputs("<p>No rule hits in the input.</p>\n", out);
		return;
	}
	if ((idx = sorted_by_count(&r->rules)) == NULL)
		return;
	maxv = *(const uint64_t *)strmap_val(&r->rules, idx[0]);
	fprintf(out, "<svg id=\"chart-rules\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\"><title>Top rules by hits</title>\n",
	    W, H, W, H);
	for (i = 0; i < n; i++) {
		uint64_t v = *(const uint64_t *)strmap_val(&r->rules, idx[i]);
		double w = (double)BW * (double)v / (double)maxv;
		int y = 14 + (int)i * ROW;
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", L - 8, y + 11);
		esc(out, strmap_key(&r->rules, idx[i]));
		fprintf(out, "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"14\" "
		    "fill=\"#fb8c00\"/><text x=\"%.1f\" y=\"%d\">%" PRIu64 "</text>\n", L, y, w,
		    L + w + 4, y + 11, v);
	}
	fputs("</svg>\n", out);
	free(idx);
}

static void
card(FILE *out, const char *id, const char *value, const char *label)
{
	fprintf(out, "<div class=\"card\" id=\"%s\"><b>%s</b><span>%s</span></div>\n", id, value,
	    label);
}

int
report_html(const struct report *r, FILE *out)
{
	uint64_t total = 0, spam = 0, scanned = 0, viruses = 0, clear = 0, known = 0;
	size_t *idx, i;
	struct corr c;
	char a[32], b[32], v[32], p[16], q[16];
	int k;

	for (k = 0; k < NACT; k++)
		total += r->actions.n[k];
	/* whole-log rates come from the records, not from summing customers (a message
	 * for two customers counts once here) */
	for (i = 0; i < r->viruses.n; i++)
		viruses += *(const uint64_t *)strmap_val(&r->viruses, i);
	spam = r->spam_yes;
	scanned = r->spam_scanned;
	clear = r->tls_clear;
	known = r->tls_known;

	fputs("<!DOCTYPE html>\n<html lang=\"en\" xmlns=\"http://www.w3.org/1999/xhtml\">"
	    "<head><meta charset=\"utf-8\"/><title>mailwarden report</title>"
	    "<meta name=\"viewport\" content=\"width=device-width\"/><style>", out);
	fputs(style, out);
	fputs("</style></head>\n<body>\n<h1>mailwarden report</h1>\n<div class=\"sub\">", out);
	if (r->have_range) {
		stamp(r->tmin, a, sizeof(a), true);
		stamp(r->tmax, b, sizeof(b), true);
		fprintf(out, "%s to %s", a, b);
	} else
		fputs("no time stamps", out);
	if (r->customer) {
		fputs(" &#8212; customer ", out);
		esc(out, r->customer);
	}
	fprintf(out, " &#8212; %" PRIu64 " lines read</div>\n<div class=\"cards\">\n", r->lines);
	snprintf(v, sizeof(v), "%" PRIu64, total);
	card(out, "card-messages", v, "messages");
	pct(p, sizeof(p), spam, scanned);
	snprintf(v, sizeof(v), "%s%s", p, scanned ? "%" : "");
	card(out, "card-spam", v, "spam (of scanned)");
	snprintf(v, sizeof(v), "%" PRIu64, viruses);
	card(out, "card-viruses", v, "viruses");
	snprintf(v, sizeof(v), "%" PRIu64, r->actions.n[ACT_HOLD]);
	card(out, "card-held", v, "held");
	snprintf(v, sizeof(v), "%" PRIu64, r->actions.n[ACT_REJECT]);
	card(out, "card-rejected", v, "rejected");
	pct(p, sizeof(p), clear, known);
	snprintf(v, sizeof(v), "%s%s", p, known ? "%" : "");
	card(out, "card-clear", v, "clear text (this hop)");
	snprintf(v, sizeof(v), "%zu", r->errors.n);
	card(out, "card-errors", v, "kinds of errors");
	fputs("</div>\n", out);

	fputs("<h2>Messages per hour by action</h2>\n", out);
	chart_hours(out, r);

	fputs("<h2>Messages by action</h2>\n<table id=\"actions\"><tr><th>action</th>"
	    "<th class=\"n\">messages</th><th class=\"n\">%</th></tr>\n", out);
	for (k = 0; k < NACT; k++) {
		if (k == ACT_OTHER && r->actions.n[k] == 0)
			continue;
		pct(p, sizeof(p), r->actions.n[k], total);
		fprintf(out, "<tr><td>%s</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%s"
		    "</td></tr>\n", act_names[k], r->actions.n[k], p);
	}
	fprintf(out, "<tr><th>total</th><th class=\"n\">%" PRIu64 "</th><th></th></tr>\n"
	    "</table>\n", total);

	fputs("<h2>Messages per day</h2>\n<table id=\"days\"><tr><th>day</th>"
	    "<th class=\"n\">total</th>", out);
	for (k = 0; k < ACT_OTHER; k++)
		fprintf(out, "<th class=\"n\">%s</th>", act_names[k]);
	fputs("</tr>\n", out);
	{
		int64_t d0 = r->tmin / 86400, d1 = r->tmax / 86400, d;
		for (d = d0; r->have_range && d <= d1; d++) {
			const struct counts *cn = strmap_find(&r->days, (const char *)&d, sizeof(d));
			uint64_t t = 0;
			if (cn == NULL)
				continue;
			for (k = 0; k < NACT; k++)
				t += cn->n[k];
			format_day(d * 86400, a, sizeof(a));
			fprintf(out, "<tr><td>%s</td><td class=\"n\">%" PRIu64 "</td>", a, t);
			for (k = 0; k < ACT_OTHER; k++)
				fprintf(out, "<td class=\"n\">%" PRIu64 "</td>", cn->n[k]);
			fputs("</tr>\n", out);
		}
	}
	fputs("</table>\n", out);

	fputs("<h2>Customers</h2>\n<div class=\"grid\">\n", out);
	chart_customers(out, r, r->top);
	fputs("</div>\n<table id=\"customers\"><tr><th>customer</th><th class=\"n\">messages</th>"
	    "<th class=\"n\">spam %</th><th class=\"n\">viruses</th><th class=\"n\">held</th>"
	    "<th class=\"n\">rejected</th><th class=\"n\">clear-text %</th></tr>\n", out);
	if ((idx = sorted_by_total(&r->customers)) != NULL) {
		for (i = 0; i < r->customers.n; i++) {
			const struct cust_stats *cs = strmap_val(&r->customers, idx[i]);
			pct(p, sizeof(p), cs->spam, cs->scanned);
			pct(q, sizeof(q), cs->clear, cs->tls_known);
			fputs("<tr><td>", out);
			esc(out, strmap_key(&r->customers, idx[i]));
			fprintf(out, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%s</td>"
			    "<td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td>"
			    "<td class=\"n\">%" PRIu64 "</td><td class=\"n\">%s</td></tr>\n",
			    cs->messages, p, cs->viruses, cs->held, cs->rejected, q);
		}
		free(idx);
	}
	fputs("</table>\n<p class=\"note\">customer - : no customers entry matched (built-in "
	    "policy); * : the default entry.  Spam % is of the messages scanned for spam; "
	    "clear-text % of those whose TLS state is known.</p>\n", out);

	fputs("<h2>Delivered in clear text</h2>\n<p>Senders to ask for TLS, or to require it "
	    "from.</p>\n<div class=\"grid\">\n<div><h3>sending domains</h3>\n", out);
	table_clear(out, &r->domains, "clear-domains", "sender domain", r->top);
	fputs("</div>\n<div><h3>client hosts</h3>\n", out);
	table_clear(out, &r->clients, "clear-clients", "client", r->top);
	fputs("</div>\n</div>\n", out);
	fputs("<h3>earlier hops in clear text</h3>\n<p class=\"note\">The first hop before ours "
	    "that was not encrypted, from the Received chain: ours = written by our own MTA, "
	    "claimed = written by a sender's.</p>\n", out);
	table_counts(out, &r->early, "clear-early", "host (trust)", r->top, total);

	fputs("<h2>Top rules</h2>\n", out);
	chart_rules(out, r, r->top);
	table_counts(out, &r->rules, "rules", "rule", r->top, total);
	fputs("<div class=\"grid\">\n<div><h2>Viruses</h2>\n", out);
	table_counts(out, &r->viruses, "viruses", "name", r->top, total);
	fputs("</div>\n<div><h2>SPF results</h2>\n", out);
	table_counts(out, &r->spf, "spf", "result", r->top, total);
	fputs("</div>\n<div><h2>Not scanned</h2>\n", out);
	table_counts(out, &r->skipped, "skipped", "reason", r->top, total);
	fputs("</div>\n</div>\n", out);

	fputs("<h2>Scanner and stage errors</h2>\n<table id=\"errors\"><tr><th class=\"n\">"
	    "count</th><th>first</th><th>last</th><th>error</th></tr>\n", out);
	if ((idx = sorted_by_count(&r->errors)) != NULL) {
		for (i = 0; i < r->errors.n; i++) {
			const struct err_stats *e = strmap_val(&r->errors, idx[i]);
			stamp(e->first, a, sizeof(a), true);
			stamp(e->last, b, sizeof(b), true);
			fprintf(out, "<tr><td class=\"n\">%" PRIu64 "</td><td class=\"t\">%s</td>"
			    "<td class=\"t\">%s</td><td>",
			    e->count, r->have_range ? a : "-", r->have_range ? b : "-");
			esc(out, strmap_key(&r->errors, idx[i]));
			fputs("</td></tr>\n", out);
		}
		free(idx);
	}
	if (r->errors.n == 0)
		fputs("<tr><td colspan=\"4\">none</td></tr>\n", out);
	fputs("</table>\n", out);

	fputs("<h2>Other mailwarden messages</h2>\n", out);
	table_counts(out, &r->notices, "notices", "warning or error", r->top, 0);
	fputs("<h2>Lifecycle</h2>\n", out);
	table_counts(out, &r->events, "events", "event", 100, 0);
	if (r->nevlog > 0) {
		size_t from = r->nevlog > (size_t)r->top ? r->nevlog - (size_t)r->top : 0;
		fputs("<table id=\"eventlog\"><tr><th>time</th><th>record</th></tr>\n", out);
		for (i = from; i < r->nevlog; i++) {
			stamp(r->evlog[i].t, a, sizeof(a), true);
			fprintf(out, "<tr><td class=\"t\">%s</td><td>", r->evlog[i].has_time ? a : "-");
			esc(out, r->evlog[i].text);
			fputs("</td></tr>\n", out);
		}
		fputs("</table>\n", out);
	}

	fputs("<h2>Postfix's view of the same queue ids</h2>\n", out);
	report_correlate(r, &c);
	fputs("<table id=\"postfix\"><tr><th>mailwarden action</th><th class=\"n\">messages</th>"
	    "<th class=\"n\">in Postfix's lines</th><th class=\"n\">confirmed</th>"
	    "<th>Postfix logged</th></tr>\n", out);
	for (k = 0; k < ACT_OTHER; k++) {
		if (c.mw[k] == 0)
			continue;
		fprintf(out, "<tr><td>%s</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%"
		    PRIu64 "</td><td class=\"n\">%" PRIu64 "</td><td>%s</td></tr>\n", act_names[k],
		    c.mw[k], c.seen[k], c.agree[k], corr_meaning(k));
	}
	fputs("</table>\n", out);
	if (c.pf_qids == 0)
		fputs("<p>No Postfix lines with queue ids in the input.</p>\n", out);
	else
		fprintf(out, "<p class=\"note\">Postfix milter-hold / milter-reject / "
		    "milter-discard without a mailwarden record: %" PRIu64 " / %" PRIu64 " / %"
		    PRIu64 "</p>\n", c.pf_only_hold, c.pf_only_reject, c.pf_only_discard);

	fprintf(out, "<h2>Input</h2>\n<table id=\"input\">"
	    "<tr><td>lines read</td><td class=\"n\">%" PRIu64 "</td></tr>"
	    "<tr><td>message records</td><td class=\"n\">%" PRIu64 "</td></tr>"
	    "<tr><td>recipient records</td><td class=\"n\">%" PRIu64 "</td></tr>"
	    "<tr><td>lifecycle records</td><td class=\"n\">%" PRIu64 "</td></tr>"
	    "<tr><td>Postfix lines</td><td class=\"n\">%" PRIu64 "</td></tr>"
	    "<tr><td>other lines</td><td class=\"n\">%" PRIu64 "</td></tr>"
	    "<tr><td>truncated records</td><td class=\"n\">%" PRIu64 "</td></tr>"
	    "<tr><td>damaged lines</td><td class=\"n\">%" PRIu64 "</td></tr>"
	    "</table>\n</body>\n</html>\n", r->lines, r->mw_records, r->rcpt_records,
	    r->event_records, r->postfix_lines, r->foreign, r->truncated, r->damaged);
	return ferror(out) ? -1 : 0;
}
