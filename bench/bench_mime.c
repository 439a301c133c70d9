/*
 * bench_mime - throughput and memory of the MIME model (issue 3).
 *
 *   bench_mime DIR...        parse every file in the directories (header block +
 *                            model), print messages/s and MB/s
 *   bench_mime --big MB      build an MB-megabyte message whose bulk is one base64
 *                            attachment, parse it, print the peak RSS
 *   bench_mime --dump FILE   print the model as JSON (what --dump-parts prints)
 *
 * Not a test: figures go to doc/PERFORMANCE.md.  Default limits, as mailwarden.conf.
 * Times are CPU time of the parsing alone (files are read outside the clock).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "message.h"
#include "mime.h"

/* CPU time of this (single-threaded) process: figures stay comparable on a
 * loaded machine, where wall-clock rates mostly measure the other processes. */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
peak_rss_kb(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *p;

	if (f == NULL)
		return NULL;
	if (fstat(fileno(f), &st) < 0 || (p = malloc((size_t)st.st_size + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	*len = fread(p, 1, (size_t)st.st_size, f);
	fclose(f);
	return p;
}

static int
model(const char *data, size_t len, struct mw_message *m)
{
	struct mw_limits lim = { .max_header_count = 1000, .max_header_size = 65536 };
	struct mw_mime_limits ml;

	mw_mime_limits_default(&ml);
	mw_message_init(m);
	if (mw_message_parse(m, data, len, &lim) < 0 || mw_mime_build(m, &ml) < 0)
		return -1;
	return 0;
}

static void
done(struct mw_message *m)
{
	mw_mime_free(m);
	mw_message_free(m);
}

static int
dump(const char *path)
{
	struct mw_message m;
	struct mw_buf out;
	size_t len;
	char *data = slurp(path, &len);

	if (data == NULL) {
		perror(path);
		return 1;
	}
	mw_buf_init(&out, 0);
	if (model(data, len, &m) < 0 || mw_mime_dump_json(&m, &out) < 0) {
		perror("model");
		return 1;
	}
	fwrite(out.data, 1, out.len, stdout);
	putchar('\n');		/* as mailwarden --dump-parts prints it */
	mw_buf_free(&out);
	done(&m);
	free(data);
	return 0;
}

static int
big(long mb)
{
	struct mw_buf b;
	struct mw_message m;
	size_t target = (size_t)mb << 20, line;
	long before;
	double t0;

	mw_buf_init(&b, 0);
	if (mw_buf_reserve(&b, target + 4096) < 0)
		return 1;
	mw_buf_puts(&b, "From: a@example.com\nTo: b@example.org\nSubject: big\n"
	    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"B\"\n\n"
	    "--B\nContent-Type: text/plain\n\nSee the attachment.\n"
	    "--B\nContent-Type: application/octet-stream; name=big.bin\n"
	    "Content-Transfer-Encoding: base64\n\n");
	for (line = 0; b.len + 80 < target; line++)
		mw_buf_puts(&b, "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\n");
	mw_buf_puts(&b, "--B--\n");
	before = peak_rss_kb();
	t0 = now();
	if (model(b.data, b.len, &m) < 0)
		return 1;
	printf("big message: %.1f MB, parsed in %.1f ms CPU, %zu parts, body paragraphs %zu\n",
	    (double)b.len / 1048576.0, (now() - t0) * 1000.0, mw_mime_parts(&m, &line) ? line : 0,
	    mw_mime_views(&m)->nbody);
	printf("peak RSS: %.1f MB (%.1f MB before parsing, message buffer included)\n",
	    (double)peak_rss_kb() / 1024.0, (double)before / 1024.0);
	done(&m);
	mw_buf_free(&b);
	return 0;
}

int
main(int argc, char **argv)
{
	size_t nmsg = 0, bytes = 0, len;
	double t = 0, t0;
	int i;

	if (argc == 3 && strcmp(argv[1], "--dump") == 0)
		return dump(argv[2]);
	if (argc == 3 && strcmp(argv[1], "--big") == 0)
		return big(strtol(argv[2], NULL, 10));
	if (argc < 2) {
		fprintf(stderr, "usage: bench_mime DIR... | --big MB | --dump FILE\n");
		return 2;
	}
	for (i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *de;

		if (d == NULL) {
			perror(argv[i]);
			return 1;
		}
		while ((de = readdir(d)) != NULL) {
			char path[4096];
			struct mw_message m;
			char *data;

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
			if ((data = slurp(path, &len)) == NULL)
				continue;
			t0 = now();
			if (model(data, len, &m) < 0) {
				perror(path);
				return 1;
			}
			done(&m);
			t += now() - t0;
			nmsg++;
			bytes += len;
			free(data);
		}
		closedir(d);
	}
	printf("%zu messages, %.1f MB in %.3f s CPU: %.0f messages/s, %.1f MB/s, peak RSS %.1f MB\n",
	    nmsg, (double)bytes / 1048576.0, t, (double)nmsg / t, (double)bytes / 1048576.0 / t,
	    (double)peak_rss_kb() / 1024.0);
	return 0;
}
