/*
 * rules-scan - score message files with a rule set, the way the spam stage does
 * (header parser, MIME model, rule engine), without the other stages.  Used by
 * the SpamAssassin comparison (compat.py) and the benchmark (bench_rules.py).
 *
 *   rules-scan [-r RULES] [-s SCORESET] [-n] [-l] [-q] [-v] [-a] [-V] FILE... | -
 *
 * (- reads file names from stdin; -v prints every load warning; -a lists __ subrule
 * hits too; -V dumps the body, rawbody and uri views; -t prints the rule table; -P
 * prints the 25 rules that took the most time.)
 *
 * Prints "FILE<TAB>score<TAB>RULE,RULE..." per message; -l prints the lint report
 * instead; -n disables the prefilter (to measure it); -q prints only the summary.
 * The summary on stderr gives the load time and the CPU seconds spent scoring.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "message.h"
#include "mime.h"
#include "rules_eval.h"
#include "rules_load.h"
#include "scan.h"		/* issue 5: native evals read a scan context */
#include "verdict.h"
#include "generation.h"
#include "relays.h"		/* issue 5 */

static double
cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n;

	*len = 0;
	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - *len < 65536) {
			char *nb = realloc(buf, cap + 262144);

			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap += 262144;
		}
		if ((n = fread(buf + *len, 1, cap - *len, f)) == 0)
			break;
		*len += n;
	}
	fclose(f);
	return buf;
}

static bool all_hits, dump_views;
static double *rule_ms;


/* -t: one line per defined rule: name kind test state score deps (for compat.py) */
static void
rule_table(const struct mw_ruleset *rs)
{
	static const char *const tests[] = { "regex", "exists", "eval", "meta" };
	size_t i, k;

	for (i = 0; i < rs->nrules; i++) {
		const struct mw_rule *r = &rs->rules[i];

		if (r->src == NULL)
			continue;
		printf("%s\t%s\t%s\t%s\t%g\t", r->name, mw_rule_kind_names[r->kind],
		    tests[r->test], r->broken ? "broken" : (r->active ? "active" : "idle"),
		    r->score);
		for (k = 0; k < r->nrpn; k++)
			if (r->rpn[k].op == MW_MO_RULE)
				printf("%s%s", k ? "," : "", r->rpn[k].rule == SIZE_MAX ? "?" :
				    rs->rules[r->rpn[k].rule].name);
		if (r->test == MW_RT_REGEX && r->kind == MW_RK_HEADER)
			printf("%s", r->field);
		printf("\n");
	}
}

static void
dump(const char *what, const struct mw_textv *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s[%zu] %.*s\n", what, i, (int)v[i].len, v[i].s);
}

static int
scan_one(const struct mw_ruleset *rs, const char *path, bool no_prefilter, bool quiet,
    double *rules_ms, size_t *skipped, size_t *run)
{
	struct mw_message m;
	struct mw_limits lim = { .max_header_count = 1000, .max_header_size = 65536 };
	struct mw_mime_limits mlim;
	struct mw_rules_input in = { 0 };
	struct mw_rules_result res;
	struct mw_scan_ctx ctx;		/* --- eval tests (issue 5) --- */
	struct mw_verdict v;
	struct mw_generation g;
	struct mw_relays relays;	/* issue 5 */
	struct mw_relay_conf rconf;
	size_t len, i;
	char *data = read_file(path, &len);
	const char *p = data;

	if (data == NULL) {
		fprintf(stderr, "rules-scan: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* an mbox "From " separator is not part of the message */
	if (len > 5 && memcmp(p, "From ", 5) == 0) {
		const char *nl = memchr(p, '\n', len);

		if (nl != NULL) {
			len -= (size_t)(nl + 1 - p);
			p = nl + 1;
		}
	}
	mw_message_init(&m);
	mw_mime_limits_default(&mlim);
	if (mw_message_parse(&m, p, len, &lim) < 0 || mw_mime_build(&m, &mlim) < 0) {
		fprintf(stderr, "rules-scan: %s: out of memory\n", path);
		mw_message_free(&m);
		free(data);
		return -1;
	}
	in.msg = &m;
	in.views = mw_mime_views(&m);
	in.decoded = mw_mime_header_decoded;
	in.no_prefilter = no_prefilter;
	in.all_hits = all_hits;
	in.rule_ms = rule_ms;
	/* --- eval tests (issue 5): native evals see the message (no SPF stage ran:
	 * its evals read a verdict that is not done, so they do not hit) --- */
	memset(&ctx, 0, sizeof(ctx));
	memset(&v, 0, sizeof(v));
	ctx.msg = m;		/* a shallow copy: freed through m below */
	ctx.v = &v;
	memset(&g, 0, sizeof(g));
	g.rules = (struct mw_ruleset *)rs;	/* the eval settings (freemail lists) */
	ctx.gen = &g;
	in.ctx = &ctx;
	/* issue 5: the relay analysis, as the spam stage does it (no MTA here) */
	mw_relay_conf_init(&rconf);
	if (mw_relays_build(&relays, &m, rs->relay_conf != NULL ? rs->relay_conf : &rconf,
	    NULL) < 0) {
		fprintf(stderr, "rules-scan: %s: out of memory\n", path);
		mw_mime_free(&m);
		mw_message_free(&m);
		free(data);
		return -1;
	}
	ctx.relays = &relays;
	in.relays = &relays;
	if (dump_views && in.views != NULL) {
		dump("body", in.views->body, in.views->nbody);
		dump("rawbody", in.views->rawbody, in.views->nrawbody);
		dump("uri", in.views->uri, in.views->nuri);
	}
	if (mw_rules_run(rs, &in, &res) < 0) {
		fprintf(stderr, "rules-scan: %s: out of memory\n", path);
	} else {
		*rules_ms += res.elapsed_ms;
		*skipped += res.prefilter_skipped;
		*run += res.regex_run;
		if (!quiet) {
			printf("%s\t%.3f\t", path, res.score);
			for (i = 0; i < res.nhits; i++)
				printf("%s%s", i ? "," : "", rs->rules[res.hits[i].rule].name);
			printf("\n");
		}
	}
	mw_rules_result_free(&res);
	mw_relays_free(&relays);
	mw_mime_free(&m);
	mw_message_free(&m);
	free(data);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *rules = MW_SA_RULES_DIR;
	int score_set = 0, i, opt;
	bool no_prefilter = false, lint = false, table = false, profile = false, quiet = false, errors = false;
	struct mw_diag diag;
	struct mw_ruleset *rs;
	double c0, c1, rules_ms = 0;
	size_t nmsg = 0, skipped = 0, run = 0, k;

	while ((opt = getopt(argc, argv, "r:s:nlqvaVtP")) != -1) {
		switch (opt) {
		case 'r': rules = optarg; break;
		case 's': score_set = atoi(optarg); break;
		case 'n': no_prefilter = true; break;
		case 'l': lint = true; break;
		case 'q': quiet = true; break;
		case 'v': errors = true; break;
		case 'a': all_hits = true; break;
		case 't': table = true; break;
		case 'P': profile = true; break;
		case 'V': dump_views = true; break;
		default:
			fprintf(stderr, "usage: rules-scan [-r RULES] [-s SET] [-n] [-l] [-q] [-v] "
			    "FILE... | -\n");
			return 2;
		}
	}
	mw_diag_init(&diag);
	c0 = cpu_seconds();
	rs = mw_rules_load_list(rules, score_set, &diag);
	c1 = cpu_seconds();
	for (k = 0; k < diag.n; k++)
		if (errors || diag.v[k].level == MW_DIAG_ERROR)
			fprintf(stderr, "%s\n", diag.v[k].text);
	if (rs == NULL || diag.nerrors > 0) {
		fprintf(stderr, "rules-scan: rules did not load (%zu errors)\n", diag.nerrors);
		mw_rules_free(rs);
		mw_diag_free(&diag);
		return 1;
	}
	fprintf(stderr, "rules-scan: loaded in %.3f s CPU (%zu warnings)\n", c1 - c0,
	    diag.nwarnings);
	mw_diag_free(&diag);
	if (lint || table) {
		if (lint)
			mw_rules_lint_report(rs, stdout);
		else
			rule_table(rs);
		mw_rules_free(rs);
		return 0;
	}
	if (profile && (rule_ms = calloc(rs->nrules + 1, sizeof(*rule_ms))) == NULL) {
		mw_rules_free(rs);
		return 1;
	}
	c0 = cpu_seconds();
	if (optind < argc && strcmp(argv[optind], "-") == 0) {
		char line[4096];

		while (fgets(line, sizeof(line), stdin) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			if (line[0] != '\0' && scan_one(rs, line, no_prefilter, quiet, &rules_ms,
			    &skipped, &run) == 0)
				nmsg++;
		}
	} else {
		for (i = optind; i < argc; i++)
			if (scan_one(rs, argv[i], no_prefilter, quiet, &rules_ms, &skipped,
			    &run) == 0)
				nmsg++;
	}
	c1 = cpu_seconds();
	fprintf(stderr, "rules-scan: %zu messages, %.3f s CPU (%.3f ms/message), rule matching "
	    "%.3f ms/message, regex rules run %.1f/message, skipped by prefilter %.1f/message\n",
	    nmsg, c1 - c0, nmsg ? (c1 - c0) * 1000 / (double)nmsg : 0,
	    nmsg ? rules_ms / (double)nmsg : 0, nmsg ? (double)run / (double)nmsg : 0,
	    nmsg ? (double)skipped / (double)nmsg : 0);
	if (rule_ms != NULL) {
		/* the 25 slowest rules (selection: fine for a debugging aid) */
		for (k = 0; k < 25; k++) {
			size_t j, best = SIZE_MAX;

			for (j = 0; j < rs->nrules; j++)
				if (rule_ms[j] > 0 && (best == SIZE_MAX || rule_ms[j] > rule_ms[best]))
					best = j;
			if (best == SIZE_MAX)
				break;
			fprintf(stderr, "%10.3f ms %-8s %s%s\n", rule_ms[best],
			    mw_rule_kind_names[rs->rules[best].kind], rs->rules[best].name,
			    rs->rules[best].lits ? " (prefiltered)" : "");
			rule_ms[best] = -1;
		}
		free(rule_ms);
	}
	fflush(stdout);
	mw_rules_free(rs);
	return 0;
}
