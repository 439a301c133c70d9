/*
 * mailwarden-report - summarise mailwarden's log records (and Postfix's lines
 * about the same queue ids) from syslog files, plain or gzip, or stdin.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include <zlib.h>

#include "conf.h"
#include "diag.h"
#include "logaddr.h"
#include "report.h"

#define CHUNK	(1u << 20)	/* read size; a longer line is cut and counted */

static const char usage_text[] =
"Usage: mailwarden-report [OPTION]... [FILE]...\n"
"Summarise mailwarden's log records from syslog files (plain or gzip-compressed;\n"
"no FILE or \"-\" reads standard input).  Lines of other programs are skipped,\n"
"except Postfix's, which are matched to mailwarden's records by queue id.\n"
"\n"
"Selection:\n"
"  -s, --since=TIME       only lines at or after TIME\n"
"  -u, --until=TIME       only lines before TIME\n"
"                         TIME is YYYY-MM-DD, \"YYYY-MM-DD HH:MM[:SS]\" or\n"
"                         YYYY-MM-DDTHH:MM[:SS], in the log's own local time\n"
"  -c, --customer=KEY     only messages for this customer key (as in customer=\n"
"                         or customers= of the record)\n"
"  -a, --address=ADDR     list what happened to mail from or to ADDR instead of\n"
"                         the summary; \"@example.com\" matches a whole domain.\n"
"                         Hashed addresses (log_addresses = hash) are found when\n"
"                         the key is given with --hash-key-file or --config\n"
"  -k, --hash-key-file=F  read the log_hash_key from file F (first line)\n"
"  -C, --config=FILE      read log_hash_key from mailwarden.conf FILE\n"
"  -y, --year=YYYY        year of syslog time stamps (they carry none; default:\n"
"                         this year, or last year for months after this one)\n"
"\n"
"Output:\n"
"  -H, --html=FILE        also write one self-contained HTML page with charts\n"
"  -n, --top=N            rows in the top lists (default 20)\n"
"  -S, --stats            print lines read, seconds and lines/s to stderr\n"
"  -h, --help             this text\n"
"  -V, --version          version\n"
"\n"
"The summary lists: records read (and foreign, truncated and damaged lines);\n"
"messages per action and per day; per customer messages, spam %, viruses, held,\n"
"rejected and clear-text %; sending domains and client hosts that delivered in\n"
"clear text; top rules; viruses by name; SPF results; skipped checks; scanner\n"
"errors; lifecycle events (start, reload, refusals, shutdown); and how Postfix's\n"
"own lines agree with mailwarden's held, rejected and discarded messages.\n"
"\n"
"Exit status: 0 success, 64 usage error, 66 an input could not be read (the\n"
"report of what was read is still printed), 70 internal error, 71 out of memory,\n"
"73 the HTML file could not be written, 78 the --config file has errors.\n";

static int
read_key_file(const char *path, char *out, size_t outsz)
{
	FILE *fp = fopen(path, "r");
	size_t n;

	if (fp == NULL)
		return -1;
	if (fgets(out, (int)outsz, fp) == NULL) {
		fclose(fp);
		errno = EINVAL;
		return -1;
	}
	fclose(fp);
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	return 0;
}

static int
read_key_config(const char *path, char *out, size_t outsz)
{
	struct mw_diag diag;
	struct mw_conf *c;
	size_t i;

	mw_diag_init(&diag);
	c = mw_conf_load(path, false, &diag);
	if (c == NULL) {
		for (i = 0; i < diag.n; i++)
			fprintf(stderr, "mailwarden-report: %s\n", diag.v[i].text);
		mw_diag_free(&diag);
		return -1;
	}
	snprintf(out, outsz, "%s", c->log_hash_key);
	mw_conf_free(c);
	mw_diag_free(&diag);
	return 0;
}

/* cut: the line had no newline (end of a file cut short, or longer than CHUNK) */
static void
process_buffer_line(struct report *r, char *s, size_t len, bool cut)
{
	struct line ln;
	int guard = 0;

	r->lines++;
	for (;;) {
		line_parse(s, len, r->year, r->month, &ln);
		if (cut && ln.kind == LINE_MW && !ln.truncated && ln.resync == NULL) {
			ln.truncated = true;	/* its last value may have lost characters */
			if (ln.nf > 0)
				ln.nf--;
		}
		report_line(r, &ln);
		/* a damaged line may hold the start of another record: go on from there */
		if (ln.resync == NULL || ++guard > 16)
			break;
		len -= (size_t)(ln.resync - s);
		s = (char *)ln.resync;
	}
}

static int
read_input(struct report *r, const char *path, char *buf)
{
	gzFile gz;
	size_t have = 0;
	bool skipping = false;
	int n, errnum;

	if (strcmp(path, "-") == 0)
		gz = gzdopen(dup(0), "rb");
	else
		gz = gzopen(path, "rb");	/* zlib reads plain files transparently */
	if (gz == NULL) {
		fprintf(stderr, "mailwarden-report: %s: %s\n", path,
		    errno ? strerror(errno) : "cannot open");
		return -1;
	}
	gzbuffer(gz, 256 * 1024);
	for (;;) {
		char *p, *nl, *end;

		n = gzread(gz, buf + have, (unsigned)(CHUNK - have));
		if (n < 0) {
			const char *msg = gzerror(gz, &errnum);
			fprintf(stderr, "mailwarden-report: %s: %s\n", path,
			    errnum == Z_ERRNO ? strerror(errno) : msg);
			gzclose(gz);
			return -1;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		p = buf;
		end = buf + have;
		while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			*nl = '\0';
			if (skipping)
				skipping = false;
			else
				process_buffer_line(r, p, (size_t)(nl - p), false);
			p = nl + 1;
		}
		have = (size_t)(end - p);
		if (have == CHUNK) {
			/* one line longer than the buffer: use what we have, drop the rest */
			buf[have - 1] = '\0';
			if (!skipping)
				process_buffer_line(r, buf, have - 1, true);
			skipping = true;
			have = 0;
		} else if (have > 0 && p != buf)
			memmove(buf, p, have);
	}
	if (have > 0 && !skipping) {	/* last line without a newline: a cut file */
		buf[have] = '\0';
		process_buffer_line(r, buf, have, true);
	}
	if ((n = gzclose(gz)) != Z_OK) {
		fprintf(stderr, "mailwarden-report: %s: %s\n", path, n == Z_BUF_ERROR ?
		    "compressed data cut short (the lines before the cut were read)" :
		    "read error");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "customer", required_argument, NULL, 'c' },
		{ "address", required_argument, NULL, 'a' },
		{ "hash-key-file", required_argument, NULL, 'k' },
		{ "config", required_argument, NULL, 'C' },
		{ "year", required_argument, NULL, 'y' },
		{ "html", required_argument, NULL, 'H' },
		{ "top", required_argument, NULL, 'n' },
		{ "stats", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct report r;
	const char *html = NULL, *keyfile = NULL, *config = NULL;
	char key[1024] = "", *addr = NULL, *buf, *end;
	struct timespec t0, t1;
	bool stats = false;
	time_t now = time(NULL);
	struct tm tm;
	int c, i, rc = 0;
	long v;

	report_init(&r);
	localtime_r(&now, &tm);
	r.year = tm.tm_year + 1900;
	r.month = tm.tm_mon + 1;
	while ((c = getopt_long(argc, argv, "s:u:c:a:k:C:y:H:n:ShV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
		case 'u':
			if (parse_time_arg(optarg, c == 's' ? &r.since : &r.until) < 0) {
				fprintf(stderr, "mailwarden-report: bad time '%s' (want "
				    "YYYY-MM-DD[ HH:MM[:SS]])\n", optarg);
				return EX_USAGE;
			}
			if (c == 's')
				r.have_since = true;
			else
				r.have_until = true;
			break;
		case 'c':
			r.customer = optarg;
			break;
		case 'a':
			addr = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'C':
			config = optarg;
			break;
		case 'y':
		case 'n':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (*end != '\0' || errno || v < 1 || v > 9999) {
				fprintf(stderr, "mailwarden-report: bad number '%s'\n", optarg);
				return EX_USAGE;
			}
			if (c == 'y') {
				r.year = (int)v;
				r.month = 12;
			} else
				r.top = (int)v;
			break;
		case 'H':
			html = optarg;
			break;
		case 'S':
			stats = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("mailwarden-report %s\n", PACKAGE_VERSION);
			return 0;
		default:
			fputs("Try 'mailwarden-report --help'.\n", stderr);
			return EX_USAGE;
		}
	}
	if (addr != NULL) {
		char hex[MW_LOGADDR_HEX + 1];
		size_t j;

		for (j = 0; addr[j]; j++)
			if (addr[j] >= 'A' && addr[j] <= 'Z')
				addr[j] = (char)(addr[j] + 32);
		r.address = addr;
		r.address_is_domain = addr[0] == '@';
		if (keyfile != NULL && read_key_file(keyfile, key, sizeof(key)) < 0) {
			fprintf(stderr, "mailwarden-report: %s: %s\n", keyfile, strerror(errno));
			return EX_NOINPUT;
		}
		if (config != NULL && read_key_config(config, key, sizeof(key)) < 0)
			return EX_CONFIG;
		if (key[0] != '\0' && !r.address_is_domain) {
			if (mw_logaddr_hash(key, strlen(key), addr, hex) < 0) {
				fprintf(stderr, "mailwarden-report: HMAC failed\n");
				return EX_SOFTWARE;
			}
			snprintf(r.address_hash, sizeof(r.address_hash), "h:%s", hex);
		}
	}
	if ((buf = malloc(CHUNK + 1)) == NULL) {
		fprintf(stderr, "mailwarden-report: out of memory\n");
		return EX_OSERR;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (optind == argc)
		rc |= read_input(&r, "-", buf) < 0;
	for (i = optind; i < argc; i++)
		rc |= read_input(&r, argv[i], buf) < 0;
	report_finish(&r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	free(buf);

	if (r.address != NULL) {
		report_matches(&r, stdout);
		if (r.hashed_seen > 0 && r.address_hash[0] == '\0' && !r.address_is_domain)
			fprintf(stderr, "mailwarden-report: the log has hashed addresses; give "
			    "--config or --hash-key-file to search them\n");
	} else
		report_text(&r, stdout);
	if (html != NULL && r.address == NULL) {
		FILE *fp = fopen(html, "w");
		if (fp == NULL || report_html(&r, fp) < 0 || ferror(fp) || fclose(fp) != 0) {
			fprintf(stderr, "mailwarden-report: %s: %s\n", html, strerror(errno));
			rc = EX_CANTCREAT;
		}
	}
	if (stats) {
		double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		double cpu = 0;
		struct rusage ru;

		/* CPU time too: on a busy machine the wall clock says little about the tool */
		if (getrusage(RUSAGE_SELF, &ru) == 0)
			cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
			    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
		fprintf(stderr, "mailwarden-report: %llu lines in %.3f s, %.0f lines/s "
		    "(CPU %.3f s, %.0f lines per CPU second)\n", (unsigned long long)r.lines, secs,
		    secs > 0 ? (double)r.lines / secs : 0.0, cpu,
		    cpu > 0 ? (double)r.lines / cpu : 0.0);
	}
	if (fflush(stdout) != 0 && rc == 0)
		rc = EX_IOERR;
	report_free(&r);
	if (rc == 1)
		return EX_NOINPUT;
	return rc;
}
