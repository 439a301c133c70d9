/*
 * main - command line: the milter daemon, --scan, --lint, --list-options.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "conf.h"
#include "daemon.h"
#include "diag.h"
#include "generation.h"
#include "mime.h"
#include "rules_load.h"
#include "scan.h"
#include "scanfile.h"
#include "spam.h"

enum {
	OPT_SCAN = 256, OPT_JSON, OPT_FROM, OPT_RCPT, OPT_CLIENT_IP, OPT_CLIENT_NAME, OPT_HELO,
	OPT_TLS_VERSION, OPT_TLS_CIPHER, OPT_TLS_BITS, OPT_AUTH, OPT_QUEUE_ID, OPT_LINT,
	OPT_LIST_OPTIONS, OPT_SAMPLE_CONFIG, OPT_MAN_OPTIONS, OPT_DUMP_PARTS, OPT_EXPLAIN,
};

static const struct option long_options[] = {
	{ "config",		required_argument, NULL, 'c' },
	{ "foreground",		no_argument,       NULL, 'f' },
	{ "socket",		required_argument, NULL, 'p' },
	{ "user",		required_argument, NULL, 'u' },
	{ "pidfile",		required_argument, NULL, 'P' },
	{ "help",		no_argument,       NULL, 'h' },
	{ "version",		no_argument,       NULL, 'V' },
	{ "lint",		no_argument,       NULL, OPT_LINT },
	{ "list-options",	no_argument,       NULL, OPT_LIST_OPTIONS },
	{ "sample-config",	no_argument,       NULL, OPT_SAMPLE_CONFIG },
	{ "man-options",	no_argument,       NULL, OPT_MAN_OPTIONS },	/* build: man page */
	{ "scan",		no_argument,       NULL, OPT_SCAN },
	{ "dump-parts",		no_argument,       NULL, OPT_DUMP_PARTS },
	{ "explain",		no_argument,       NULL, OPT_EXPLAIN },
	{ "json",		no_argument,       NULL, OPT_JSON },
	{ "from",		required_argument, NULL, OPT_FROM },
	{ "rcpt",		required_argument, NULL, OPT_RCPT },
	{ "client-ip",		required_argument, NULL, OPT_CLIENT_IP },
	{ "client-name",	required_argument, NULL, OPT_CLIENT_NAME },
	{ "helo",		required_argument, NULL, OPT_HELO },
	{ "tls-version",	required_argument, NULL, OPT_TLS_VERSION },
	{ "tls-cipher",		required_argument, NULL, OPT_TLS_CIPHER },
	{ "tls-bits",		required_argument, NULL, OPT_TLS_BITS },
	{ "auth",		required_argument, NULL, OPT_AUTH },
	{ "queue-id",		required_argument, NULL, OPT_QUEUE_ID },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: mailwarden [-f] [-c FILE] [-p SOCKET] [-u USER] [-P PIDFILE]\n"
	    "       mailwarden [-c FILE] --scan [--json] [--from ADDR] [--rcpt ADDR]...\n"
	    "                  [--client-ip IP] [--client-name NAME] [--helo NAME]\n"
	    "                  [--tls-version V] [--tls-cipher C] [--tls-bits N]\n"
	    "                  [--auth USER] [--queue-id ID] FILE...\n"
	    "       mailwarden [-c FILE] --explain [envelope flags] FILE...\n"
	    "       mailwarden [-c FILE] --dump-parts FILE...\n"
	    "       mailwarden [-c FILE] --lint\n"
	    "       mailwarden --list-options | --sample-config | -h | -V\n"
	    "\n"
	    "Milter mode (default): serve Postfix/Sendmail on the configured socket.\n"
	    "  -c, --config FILE     configuration file (default %s;\n"
	    "                        when that does not exist, the embedded defaults are used)\n"
	    "  -f, --foreground      do not log to syslog but to stderr (unless log_file is set)\n"
	    "  -p, --socket SOCKET   override 'socket' (unix:/path, inet:port@host, inet6:port@host)\n"
	    "  -u, --user USER       override 'user': drop to this user after opening the socket\n"
	    "  -P, --pidfile FILE    override 'pidfile'\n"
	    "  Signals: SIGHUP reloads the configuration (a bad one is refused, the old one stays),\n"
	    "           SIGUSR1 reopens log_file, SIGTERM stops.\n"
	    "\n"
	    "Offline mode: run the same checks on RFC 5322 files (an mbox \"From \" line is\n"
	    "skipped) and print one result per file: the log record, or with --json one JSON\n"
	    "object per line (see doc/FORMATS.md).  The --from/--rcpt/--client-*/--helo/--tls-*/\n"
	    "--auth flags describe the SMTP envelope the MTA would have passed.\n"
	    "\n"
	    "  --explain        score FILE with the spam rules and list each hit: score, rule,\n"
	    "                   description and the text that matched (shortened); the evals\n"
	    "                   run, the virus and SPF stages do not\n"
	    "  --dump-parts     print the message model as JSON: MIME tree, decoded headers,\n"
	    "                   body/rawbody/uri views, parser flags (doc/MESSAGE-MODEL.md)\n"
	    "  --lint           check the configuration (and everything it loads) and exit:\n"
	    "                   0 when clean, 78 (EX_CONFIG) with file:line errors otherwise\n"
	    "  --list-options   every configuration option with type, default and help\n"
	    "  --sample-config  a commented sample configuration file\n"
	    "  -h, --help       this text;  -V, --version  the version\n",
	    MW_DEFAULT_CONFIG);
}

/*
 * --lint's summary of the eval functions without a native implementation: per
 * function, the rules calling it, the metas that depend on those rules (directly
 * or through other metas) and the |score| of all of them ("__" subrules score
 * nothing), largest first: which function to write next.
 */
struct missing_eval {
	const char *fn;
	size_t	 rules, metas;
	double	 score;
};

static int
missing_eval_cmp(const void *a, const void *b)
{
	const struct missing_eval *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return strcmp(x->fn, y->fn);
}

/* A rule's weight in the verdict: "__" subrules never score. */
static double
stake(const struct mw_rule *r)
{
	return strncmp(r->name, "__", 2) == 0 ? 0.0 : fabs(r->score);
}

static void
lint_missing_evals(const struct mw_ruleset *rs, FILE *out)
{
	size_t n = rs->nrules, i, j, k, nfn = 0, nrules = 0;
	size_t *mark = calloc(n ? n : 1, sizeof(*mark)), *queue = calloc(n ? n : 1, sizeof(*queue));
	struct missing_eval *fns = calloc(n ? n : 1, sizeof(*fns));
	size_t *dep_off = calloc(n + 1, sizeof(*dep_off)), *dep = NULL, ndep = 0;

	if (mark == NULL || queue == NULL || fns == NULL || dep_off == NULL)
		goto out;
	/* reverse edges: rule -> metas that name it */
	for (i = 0; i < n; i++)
		for (k = 0; k < rs->rules[i].nrpn; k++)
			if (rs->rules[i].rpn[k].op == MW_MO_RULE && rs->rules[i].rpn[k].rule < n)
				dep_off[rs->rules[i].rpn[k].rule + 1]++;
	for (i = 0; i < n; i++)
		dep_off[i + 1] += dep_off[i];
	ndep = dep_off[n];
	if ((dep = calloc(ndep ? ndep : 1, sizeof(*dep))) == NULL)
		goto out;
	{
		size_t *fill = calloc(n ? n : 1, sizeof(*fill));

		if (fill == NULL)
			goto out;
		for (i = 0; i < n; i++)
			for (k = 0; k < rs->rules[i].nrpn; k++) {
				size_t r = rs->rules[i].rpn[k].rule;

				if (rs->rules[i].rpn[k].op == MW_MO_RULE && r < n)
					dep[dep_off[r] + fill[r]++] = i;
			}
		free(fill);
	}
	for (i = 0; i < n; i++) {
		const struct mw_rule *r = &rs->rules[i];
		struct missing_eval *f;
		size_t head = 0, tail = 0;

		if (r->src == NULL || r->test != MW_RT_EVAL || r->native != NULL)
			continue;
		for (j = 0; j < nfn; j++)
			if (strcmp(fns[j].fn, r->eval_fn) == 0)
				break;
		if (j < nfn)
			continue;	/* counted with the first rule calling it */
		f = &fns[nfn++];
		f->fn = r->eval_fn;
		/* every rule calling fn, then the metas above them (mark = j + 1) */
		for (k = i; k < n; k++) {
			const struct mw_rule *c = &rs->rules[k];

			if (c->src != NULL && c->test == MW_RT_EVAL && c->native == NULL &&
			    strcmp(c->eval_fn, f->fn) == 0 && mark[k] != j + 1) {
				mark[k] = j + 1;
				queue[tail++] = k;
				f->rules++;
				f->score += stake(c);
			}
		}
		nrules += f->rules;
		while (head < tail) {
			size_t q = queue[head++];

			for (k = dep_off[q]; k < dep_off[q + 1]; k++)
				if (mark[dep[k]] != j + 1) {
					mark[dep[k]] = j + 1;
					queue[tail++] = dep[k];
					f->metas++;
					f->score += stake(&rs->rules[dep[k]]);
				}
		}
	}
	qsort(fns, nfn, sizeof(*fns), missing_eval_cmp);
	fprintf(out, "eval functions without a native function: %zu, called by %zu rules\n",
	    nfn, nrules);
	for (j = 0; j < nfn; j++)
		fprintf(out, "missing eval: %s rules=%zu metas=%zu score=%.3f\n", fns[j].fn,
		    fns[j].rules, fns[j].metas, fns[j].score);
out:
	free(mark);
	free(queue);
	free(fns);
	free(dep_off);
	free(dep);
}

static int
lint(const char *path, bool explicit_path)
{
	struct mw_generation *g;
	struct mw_diag d;
	size_t i;

	mw_diag_init(&d);
	g = mw_generation_build(path, !explicit_path, 1, &d);
	for (i = 0; i < d.n; i++)
		fprintf(stderr, "%s: %s\n",
		    d.v[i].level == MW_DIAG_ERROR ? "error" : "warning", d.v[i].text);
	if (g != NULL && g->rules != NULL) {
		mw_rules_lint_report(g->rules, stdout);
		lint_missing_evals(g->rules, stdout);
	}
	if (g != NULL)
		printf("%s: configuration OK (%zu warning(s))\n",
		    g->conf->path ? g->conf->path : "embedded defaults", d.nwarnings);
	else
		printf("%s: %zu error(s)\n", path, d.nerrors);
	mw_generation_unref(g);
	mw_diag_free(&d);
	return g != NULL ? EX_OK : EX_CONFIG;
}

/* --dump-parts and --explain: build the generation, then one output per file. */
static int
per_file(bool dump, const struct mw_daemon_opts *dopts, const struct mw_scanfile_opts *sopts,
    char *const *files, int nfiles)
{
	struct mw_generation *g;
	struct mw_envelope env;
	struct mw_diag d;
	struct mw_buf out;
	int i, ex = EX_OK;
	size_t k;

	if (nfiles < 1) {
		fprintf(stderr, "mailwarden: --%s needs at least one FILE\n",
		    dump ? "dump-parts" : "explain");
		return EX_USAGE;
	}
	mw_diag_init(&d);
	g = mw_generation_build(dopts->conf_path, !dopts->conf_explicit, 1, &d);
	for (k = 0; k < d.n; k++)
		fprintf(stderr, "mailwarden: %s\n", d.v[k].text);
	mw_diag_free(&d);
	if (g == NULL)
		return EX_CONFIG;
	if (mw_scanfile_envelope(sopts, &env) < 0) {
		mw_envelope_clear(&env);
		mw_generation_unref(g);
		return EX_OSERR;
	}
	mw_buf_init(&out, 0);
	for (i = 0; i < nfiles; i++) {
		const char *data;
		size_t len, base_len;
		void *base;
		int rc;

		if (mw_scanfile_map(files[i], &data, &len, &base, &base_len) < 0) {
			fprintf(stderr, "mailwarden: %s: %s\n", files[i], strerror(errno));
			ex = EX_NOINPUT;
			continue;
		}
		mw_buf_reset(&out);
		if (dump) {
			struct mw_message m;
			struct mw_mime_limits lim;
			struct mw_limits hl = {
				.max_header_count = (size_t)g->conf->max_header_count,
				.max_header_size = (size_t)g->conf->max_header_size,
			};

			mw_message_init(&m);
			mw_scan_mime_limits(g->conf, &lim);
			rc = mw_message_parse(&m, data, len, &hl) < 0 ||
			    mw_mime_build(&m, &lim) < 0 || mw_mime_dump_json(&m, &out) < 0 ? -1 : 0;
			mw_mime_free(&m);
			mw_message_free(&m);
		} else
			rc = mw_spam_explain(g, &env, data, len, &out);
		if (rc < 0) {
			fprintf(stderr, "mailwarden: %s: %s\n", files[i],
			    dump ? "cannot build the message model" : "cannot score (no rules loaded?)");
			ex = EX_SOFTWARE;
		} else
			printf("%s%s", out.data ? out.data : "", dump ? "\n" : "");
		mw_scanfile_unmap(base, base_len);
	}
	mw_buf_free(&out);
	mw_envelope_clear(&env);
	mw_generation_unref(g);
	return ex;
}

int
main(int argc, char **argv)
{
	struct mw_daemon_opts dopts = { .conf_path = MW_DEFAULT_CONFIG };
	struct mw_scanfile_opts sopts = { 0 };
	const char **rcpts = NULL;
	bool scan = false, do_lint = false;
	enum { MODE_NONE, MODE_DUMP, MODE_EXPLAIN } mode = MODE_NONE;
	int ch, ex;

	if ((rcpts = calloc((size_t)argc, sizeof(*rcpts))) == NULL)
		return EX_OSERR;
	sopts.rcpts = rcpts;
	while ((ch = getopt_long(argc, argv, "c:fp:u:P:hV", long_options, NULL)) != -1) {
		switch (ch) {
		case 'c': dopts.conf_path = optarg; dopts.conf_explicit = true; break;
		case 'f': dopts.foreground = true; break;
		case 'p': dopts.socket = optarg; break;
		case 'u': dopts.user = optarg; break;
		case 'P': dopts.pidfile = optarg; break;
		case 'h': usage(stdout); free(rcpts); return EX_OK;
		case 'V': printf("mailwarden %s\n", PACKAGE_VERSION); free(rcpts); return EX_OK;
		case OPT_LINT: do_lint = true; break;
		case OPT_LIST_OPTIONS: mw_conf_list(stdout, MW_CONF_LIST_TEXT); free(rcpts); return EX_OK;
		case OPT_SAMPLE_CONFIG: mw_conf_list(stdout, MW_CONF_LIST_SAMPLE); free(rcpts); return EX_OK;
		case OPT_MAN_OPTIONS: mw_conf_list(stdout, MW_CONF_LIST_MAN); free(rcpts); return EX_OK;
		case OPT_SCAN: scan = true; break;
		case OPT_DUMP_PARTS: mode = MODE_DUMP; break;
		case OPT_EXPLAIN: mode = MODE_EXPLAIN; break;
		case OPT_JSON: sopts.json = true; break;
		case OPT_FROM: sopts.from = optarg; break;
		case OPT_RCPT: rcpts[sopts.nrcpts++] = optarg; break;
		case OPT_CLIENT_IP: sopts.client_ip = optarg; break;
		case OPT_CLIENT_NAME: sopts.client_name = optarg; break;
		case OPT_HELO: sopts.helo = optarg; break;
		case OPT_TLS_VERSION: sopts.tls_version = optarg; break;
		case OPT_TLS_CIPHER: sopts.tls_cipher = optarg; break;
		case OPT_TLS_BITS: sopts.tls_bits = atoi(optarg); break;
		case OPT_AUTH: sopts.auth = optarg; break;
		case OPT_QUEUE_ID: sopts.queue_id = optarg; break;
		default: usage(stderr); free(rcpts); return EX_USAGE;
		}
	}

	if (do_lint) {
		ex = lint(dopts.conf_path, dopts.conf_explicit);
	} else if (mode != MODE_NONE) {
		ex = per_file(mode == MODE_DUMP, &dopts, &sopts, argv + optind, argc - optind);
	} else if (scan) {
		struct mw_generation *g;
		struct mw_diag d;
		size_t i;

		if (optind >= argc) {
			fprintf(stderr, "mailwarden: --scan needs at least one FILE\n");
			free(rcpts);
			return EX_USAGE;
		}
		mw_diag_init(&d);
		g = mw_generation_build(dopts.conf_path, !dopts.conf_explicit, 1, &d);
		for (i = 0; i < d.n; i++)
			fprintf(stderr, "mailwarden: %s\n", d.v[i].text);
		mw_diag_free(&d);
		if (g == NULL) {
			free(rcpts);
			return EX_CONFIG;
		}
		ex = mw_scanfile_run(g, &sopts, argv + optind, argc - optind);
		mw_generation_unref(g);
	} else {
		if (optind < argc) {
			usage(stderr);
			free(rcpts);
			return EX_USAGE;
		}
		ex = mw_daemon_run(&dopts);
	}
	free(rcpts);
	return ex;
}
