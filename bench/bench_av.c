/*
 * bench_av - virus scanning throughput and engine reload cost (issue 6).
 *
 *   bench_av CONF DIR [THREADS]
 *
 * CONF is a mailwarden.conf naming clamav_database; DIR holds messages (*.txt or
 * *.eml, the development corpus).  Every message is read into memory first, then
 * scanned with mw_av_scan() by THREADS threads (default 1) for at least 3 s; then a
 * forced reload is timed while the same threads keep scanning.  Prints messages/s,
 * MB/s, per-message latency, engine load and reload time, and resident memory
 * before the engine, with it, and the peak during the reload (two engines).
 */
#include "config.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "av.h"
#include "conf.h"
#include "diag.h"
#include "verdict.h"

struct msg {
	char	*data;
	size_t	 len;
};

static struct msg *msgs;
static size_t nmsgs, total_bytes;
static struct mw_av *av;
static atomic_bool stop;
static atomic_ulong scanned, scanned_bytes, detected, failed;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Resident set size now, in MiB (from /proc/self/statm). */
static double
rss_mib(void)
{
	FILE *fp = fopen("/proc/self/statm", "r");
	unsigned long size, res = 0;

	if (fp == NULL)
		return -1;
	if (fscanf(fp, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(fp);
	return (double)res * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}

static double
peak_rss_mib(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return -1;
	return (double)ru.ru_maxrss / 1024.0;
}

static int
load_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 0;

	if (d == NULL) {
		perror(dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char path[4096];
		FILE *fp;
		long sz;

		if (n < 4 || (strcmp(de->d_name + n - 4, ".txt") != 0 &&
		    strcmp(de->d_name + n - 4, ".eml") != 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((fp = fopen(path, "rb")) == NULL)
			continue;
		if (fseek(fp, 0, SEEK_END) == 0 && (sz = ftell(fp)) > 0) {
			rewind(fp);
			if (nmsgs == cap) {
				cap = cap ? cap * 2 : 1024;
				msgs = realloc(msgs, cap * sizeof(*msgs));
				if (msgs == NULL)
					return -1;
			}
			msgs[nmsgs].data = malloc((size_t)sz);
			if (msgs[nmsgs].data == NULL)
				return -1;
			msgs[nmsgs].len = fread(msgs[nmsgs].data, 1, (size_t)sz, fp);
			total_bytes += msgs[nmsgs].len;
			nmsgs++;
		}
		fclose(fp);
	}
	closedir(d);
	return nmsgs ? 0 : -1;
}

static void *
worker(void *arg)
{
	size_t i = (size_t)(uintptr_t)arg;
	struct mw_virus_result r;

	while (!atomic_load(&stop)) {
		const struct msg *m = &msgs[i++ % nmsgs];

		mw_av_scan(av, m->data, m->len, &r);
		if (r.status != MW_STAGE_DONE)
			atomic_fetch_add(&failed, 1);
		else if (r.state == MW_VIRUS_INFECTED)
			atomic_fetch_add(&detected, 1);
		atomic_fetch_add(&scanned, 1);
		atomic_fetch_add(&scanned_bytes, m->len);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct mw_diag diag;
	struct mw_conf *conf;
	pthread_t th[64];
	int nthreads = argc > 3 ? atoi(argv[3]) : 1, i;
	double rss0, rss1, t0, t1, el, reload_s, rss_before_reload, peak_before;
	unsigned long n0, b0;
	char desc[1024];

	if (argc < 3 || nthreads < 1 || nthreads > 64) {
		fprintf(stderr, "usage: bench_av CONF DIR [THREADS]\n");
		return 2;
	}
	if (load_dir(argv[2]) < 0) {
		fprintf(stderr, "bench_av: no messages in %s\n", argv[2]);
		return 1;
	}
	mw_diag_init(&diag);
	if ((conf = mw_conf_load(argv[1], false, &diag)) == NULL) {
		fprintf(stderr, "bench_av: %s: %s\n", argv[1], diag.n ? diag.v[0].text : "error");
		return 1;
	}
	rss0 = rss_mib();
	t0 = now();
	av = mw_av_new(conf, &diag);
	t1 = now();
	for (i = 0; i < (int)diag.n; i++)
		fprintf(stderr, "bench_av: %s\n", diag.v[i].text);
	if (av == NULL)
		return 1;
	rss1 = rss_mib();
	if (!mw_av_describe(av, desc, sizeof(desc))) {
		fprintf(stderr, "bench_av: %s\n", desc);
		return 1;
	}
	printf("%s\n", desc);
	printf("messages: %zu, %.1f MB in memory\n", nmsgs, (double)total_bytes / 1e6);
	printf("engine load: %.3f s, resident memory %.1f MiB -> %.1f MiB (+%.1f MiB)\n",
	    t1 - t0, rss0, rss1, rss1 - rss0);

	/* Throughput: at least one pass and at least 3 s. */
	for (i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)(i * nmsgs / nthreads));
	t0 = now();
	while ((el = now() - t0) < 3.0 || atomic_load(&scanned) < nmsgs)
		usleep(20000);
	n0 = atomic_load(&scanned);
	b0 = atomic_load(&scanned_bytes);
	el = now() - t0;
	printf("scan, %d thread%s: %lu messages in %.2f s = %.0f msgs/s, %.1f MB/s, "
	    "%.3f ms/message (per thread); detected %lu, failed %lu\n", nthreads,
	    nthreads > 1 ? "s" : "", n0, el, (double)n0 / el, (double)b0 / 1e6 / el,
	    el * 1000.0 * nthreads / (double)n0, atomic_load(&detected), atomic_load(&failed));

	/* Reload while the threads keep scanning: time and the peak with two engines. */
	rss_before_reload = rss_mib();
	peak_before = peak_rss_mib();
	t0 = now();
	if (mw_av_check_now(true) != 0) {
		fprintf(stderr, "bench_av: reload failed\n");
		return 1;
	}
	reload_s = now() - t0;
	usleep(200000);
	atomic_store(&stop, true);
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	printf("reload under load: %.3f s; resident %.1f MiB before, peak %.1f MiB "
	    "(process peak before the reload %.1f MiB), %.1f MiB after; scans failed %lu\n",
	    reload_s, rss_before_reload, peak_rss_mib(), peak_before, rss_mib(),
	    atomic_load(&failed));

	mw_av_free(av);
	mw_conf_free(conf);
	mw_diag_free(&diag);
	for (size_t k = 0; k < nmsgs; k++)
		free(msgs[k].data);
	free(msgs);
	return atomic_load(&failed) ? 1 : 0;
}
