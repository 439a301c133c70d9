/*
 * av - libclamav engines shared by generations, their reload, and the virus stage.
 */
#include "config.h"

#include <clamav.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "av.h"
#include "av_clamd.h"
#include "scan.h"

const char *const mw_av_on_limit_names[] = { "accept", "tag", "tempfail", NULL };
const char *const mw_av_on_error_names[] = { "tempfail", "accept", NULL };

#define LIMIT_PREFIX	"Heuristics.Limits.Exceeded."

/* What an engine is built from: two generations with equal settings share one. */
struct engine_settings {
	char	*database;
	char	*tmpdir;
	long	 max_scansize, max_filesize, max_recursion, max_files, max_scantime_s;
};

/* Facts about one loaded engine, for the log. */
struct engine_info {
	unsigned sigs;
	unsigned db_version;
	double	 load_ms;
	time_t	 loaded_at;
};

/* How the database looked when it was loaded, to notice changes. */
struct db_watch {
	bool	 valid;			/* a snapshot was taken */
	bool	 is_dir;
	bool	 have_dirstat;
	struct cl_stat dirstat;		/* directory: clamd's SelfCheck state */
	unsigned long long fingerprint;	/* directory: names, inodes, sizes, mtimes (ns) */
	struct stat filestat;		/* single file */
};

struct slot {
	struct slot *next;
	unsigned refs;			/* generations using it; under registry_lock */
	struct engine_settings set;
	long	 check_interval;

	pthread_mutex_t lock;		/* engine, info, no_database */
	struct cl_engine *engine;	/* NULL while there is no database */
	struct engine_info info;
	bool	 no_database;
	char	 last_error[512];	/* last failed reload, for describe() */

	struct db_watch watch;		/* only the watcher thread touches it after build */
};

struct mw_av {
	struct slot *slot;		/* NULL with the clamd backend */
	bool	 use_clamd;
	struct mw_clamd_addr clamd;
	long	 clamd_timeout;
	enum mw_av_on_limit on_limit;
	enum mw_av_on_error on_error;
	char	*reply_template;
	struct cl_scan_options opts;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static cl_error_t init_rc = CL_SUCCESS;

/* Registry of slots; build_lock serialises engine builds (generation builds and the
 * watcher), so two callers never load the same database twice at once. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t build_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *slots;
static atomic_ulong reload_count;

/* libclamav reports load errors through its message callback, not the return code:
 * keep the last error/warning of this thread to put in the diagnostic. */
static _Thread_local char clam_last_msg[256];
/* During a scan: the first error libclamav reported (it returns CL_CLEAN after some
 * internal failures, e.g. when it cannot create its temporary directory). */
static _Thread_local bool clam_in_scan;
static _Thread_local char clam_scan_error[256];

static void
clam_msg(enum cl_msg severity, const char *fullmsg, const char *msg, void *context)
{
	size_t n;

	(void)fullmsg;
	(void)context;
	if (severity != CL_MSG_ERROR && severity != CL_MSG_WARN)
		return;
	snprintf(clam_last_msg, sizeof(clam_last_msg), "%s", msg ? msg : "");
	n = strlen(clam_last_msg);
	while (n > 0 && (clam_last_msg[n - 1] == '\n' || clam_last_msg[n - 1] == '\r'))
		clam_last_msg[--n] = '\0';
	if (clam_in_scan && severity == CL_MSG_ERROR && clam_scan_error[0] == '\0')
		snprintf(clam_scan_error, sizeof(clam_scan_error), "%s", clam_last_msg);
}

/* An error that means the scanner itself failed (resources), as opposed to the
 * many complaints about malformed input that libclamav also logs as errors. */
static bool
is_resource_error(const char *msg)
{
	static const char *const words[] = {
		"temporary", "Can't create", "Can't write", "Can't allocate", "memory",
		"tmpdir", NULL
	};
	size_t i;

	for (i = 0; words[i]; i++)
		if (strcasestr(msg, words[i]) != NULL)
			return true;
	return false;
}

static void
clam_init_once(void)
{
	/* Before cl_init: libclamav must not write to our stderr/syslog by itself. */
	cl_set_clcb_msg(clam_msg);
	init_rc = cl_init(CL_INIT_DEFAULT);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Signature names come from a database file: keep them safe for headers, replies
 * and logs anyway. */
static void
safe_name(char *dst, size_t dstlen, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c > 0x20 && c < 0x7f && c != '%' && c != '"' && c != '\\' &&
		    c != '(' && c != ')') ? (char)c : '_';
	}
	dst[dstlen ? i : 0] = '\0';
}

/* --- settings ------------------------------------------------------------------ */

static void
settings_free(struct engine_settings *s)
{
	free(s->database);
	free(s->tmpdir);
	memset(s, 0, sizeof(*s));
}

static int
settings_from_conf(struct engine_settings *s, const struct mw_conf *c)
{
	memset(s, 0, sizeof(*s));
	s->database = strdup(c->clamav_database);
	s->tmpdir = strdup(c->clamav_tmpdir[0] ? c->clamav_tmpdir : c->tmpdir);
	s->max_scansize = c->clamav_max_scansize;
	s->max_filesize = c->clamav_max_filesize;
	s->max_recursion = c->clamav_max_recursion;
	s->max_files = c->clamav_max_files;
	s->max_scantime_s = c->clamav_max_scantime;
	if (s->database == NULL || s->tmpdir == NULL) {
		settings_free(s);
		return -1;
	}
	return 0;
}

static bool
settings_equal(const struct engine_settings *a, const struct engine_settings *b)
{
	return strcmp(a->database, b->database) == 0 && strcmp(a->tmpdir, b->tmpdir) == 0 &&
	    a->max_scansize == b->max_scansize && a->max_filesize == b->max_filesize &&
	    a->max_recursion == b->max_recursion && a->max_files == b->max_files &&
	    a->max_scantime_s == b->max_scantime_s;
}

/* --- database state -------------------------------------------------------------- */

/* Extensions libclamav loads from a directory (cli_loaddbdir); others are ignored, so
 * freshclam's own state files do not cause reloads. */
static bool
is_db_file(const char *name)
{
	static const char *const ext[] = {
		"cvd", "cld", "cud", "hdb", "hsb", "hdu", "hsu", "mdb", "msb", "mdu", "msu",
		"ndb", "ndu", "ldb", "ldu", "sdb", "zmd", "rmd", "idb", "fp", "sfp", "ign",
		"ign2", "pdb", "gdb", "wdb", "cbc", "cdb", "cat", "crb", "ftm", "cfg", "info",
		"yar", "yara", "pwdb", "imp", NULL
	};
	const char *dot = strrchr(name, '.');
	size_t i;

	if (name[0] == '.' || dot == NULL)
		return false;
	for (i = 0; ext[i]; i++)
		if (strcmp(dot + 1, ext[i]) == 0)
			return true;
	return false;
}

/* cl_statchkdir compares whole-second mtimes and cannot see a removed file; this
 * fingerprint catches both.  Returns the number of database files, -1 on error. */
static long
dir_fingerprint(const char *path, unsigned long long *fp)
{
	DIR *dir;
	struct dirent *de;
	struct stat st;
	char file[4096];
	long n = 0;

	*fp = 0;
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL) {
		unsigned long long h = 1469598103934665603ULL;
		const char *c;

		if (!is_db_file(de->d_name))
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		if (stat(file, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		for (c = de->d_name; *c; c++)
			h = (h ^ (unsigned char)*c) * 1099511628211ULL;
		h = (h ^ (unsigned long long)st.st_ino) * 1099511628211ULL;
		h = (h ^ (unsigned long long)st.st_size) * 1099511628211ULL;
		h = (h ^ (unsigned long long)st.st_mtim.tv_sec) * 1099511628211ULL;
		h = (h ^ (unsigned long long)st.st_mtim.tv_nsec) * 1099511628211ULL;
		*fp += h;	/* order-independent: readdir order is not stable */
		n++;
	}
	closedir(dir);
	*fp += (unsigned long long)n;
	return n;
}

static void
watch_free(struct db_watch *w)
{
	if (w->have_dirstat)
		cl_statfree(&w->dirstat);
	memset(w, 0, sizeof(*w));
}

/* Snapshot the database state; taken *before* loading, so a change made during the
 * load is seen at the next check. */
static int
watch_init(struct db_watch *w, const char *path)
{
	struct stat st;

	memset(w, 0, sizeof(*w));
	if (stat(path, &st) < 0)
		return -1;
	w->is_dir = S_ISDIR(st.st_mode);
	w->filestat = st;
	if (w->is_dir) {
		if (cl_statinidir(path, &w->dirstat) != CL_SUCCESS) {
			memset(&w->dirstat, 0, sizeof(w->dirstat));
			return -1;
		}
		w->have_dirstat = true;
		if (dir_fingerprint(path, &w->fingerprint) < 0)
			return -1;
	}
	w->valid = true;
	return 0;
}

static bool
watch_changed(const struct db_watch *w, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return true;
	if (w->is_dir != S_ISDIR(st.st_mode))
		return true;
	if (w->is_dir) {
		unsigned long long fp;

		if (!w->have_dirstat || cl_statchkdir(&w->dirstat) == 1)
			return true;
		return dir_fingerprint(path, &fp) < 0 || fp != w->fingerprint;
	}
	return st.st_ino != w->filestat.st_ino || st.st_size != w->filestat.st_size ||
	    st.st_mtim.tv_sec != w->filestat.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != w->filestat.st_mtim.tv_nsec;
}

/* Is there nothing to load at path (missing, or a directory without database files)?
 * That is what a fresh install looks like before freshclam's first run. */
static bool
database_absent(const char *path)
{
	struct stat st;
	unsigned long long fp;

	if (stat(path, &st) < 0)
		return errno == ENOENT;
	if (!S_ISDIR(st.st_mode))
		return false;
	return dir_fingerprint(path, &fp) == 0;
}

/* --- engines ------------------------------------------------------------------- */

static int
set_limit(struct cl_engine *e, enum cl_engine_field f, long long v, const char *what,
    char *why, size_t whylen)
{
	cl_error_t rc = cl_engine_set_num(e, f, v);

	if (rc != CL_SUCCESS) {
		snprintf(why, whylen, "cannot set %s: %s", what, cl_strerror(rc));
		return -1;
	}
	return 0;
}

/* Per-scan context for libclamav's callbacks. */
struct scan_cb {
	char	 found[256];
};

/* libclamav 1.4 returns no name for a heuristic alert (limits) unless a virus-found
 * callback is registered; it also gives us the name when virname is NULL. */
static void
clam_virus_found(int fd, const char *virname, void *context)
{
	struct scan_cb *cb = context;

	(void)fd;
	if (cb != NULL && virname != NULL && cb->found[0] == '\0')
		snprintf(cb->found, sizeof(cb->found), "%s", virname);
}

/* Build, load and compile a complete engine; nothing is published here. */
static struct cl_engine *
engine_build(const struct engine_settings *s, struct engine_info *info, char *why,
    size_t whylen)
{
	struct cl_engine *e;
	unsigned sigs = 0;
	cl_error_t rc;
	double t0 = now_ms();
	int err = 0;

	clam_last_msg[0] = '\0';
	if ((e = cl_engine_new()) == NULL) {
		snprintf(why, whylen, "cannot create a ClamAV engine (out of memory)");
		return NULL;
	}
	if (set_limit(e, CL_ENGINE_MAX_SCANSIZE, s->max_scansize, "max scan size", why, whylen) ||
	    set_limit(e, CL_ENGINE_MAX_FILESIZE, s->max_filesize, "max file size", why, whylen) ||
	    set_limit(e, CL_ENGINE_MAX_RECURSION, s->max_recursion, "max recursion", why, whylen) ||
	    set_limit(e, CL_ENGINE_MAX_FILES, s->max_files, "max files", why, whylen) ||
	    set_limit(e, CL_ENGINE_MAX_SCANTIME, s->max_scantime_s * 1000LL, "max scan time",
		why, whylen))
		goto fail;
	if ((rc = cl_engine_set_str(e, CL_ENGINE_TMPDIR, s->tmpdir)) != CL_SUCCESS) {
		snprintf(why, whylen, "cannot set temporary directory: %s", cl_strerror(rc));
		goto fail;
	}
	if ((rc = cl_load(s->database, e, &sigs, CL_DB_STDOPT)) != CL_SUCCESS) {
		snprintf(why, whylen, "cannot load database %s: %s%s%s", s->database,
		    cl_strerror(rc), clam_last_msg[0] ? ": " : "", clam_last_msg);
		goto fail;
	}
	if (sigs == 0) {
		snprintf(why, whylen, "database %s holds no signatures", s->database);
		goto fail;
	}
	cl_engine_set_clcb_virus_found(e, clam_virus_found);
	if ((rc = cl_engine_compile(e)) != CL_SUCCESS) {
		snprintf(why, whylen, "cannot compile database %s: %s%s%s", s->database,
		    cl_strerror(rc), clam_last_msg[0] ? ": " : "", clam_last_msg);
		goto fail;
	}
	info->sigs = sigs;
	info->db_version = (unsigned)cl_engine_get_num(e, CL_ENGINE_DB_VERSION, &err);
	info->load_ms = now_ms() - t0;
	info->loaded_at = time(NULL);
	return e;
fail:
	cl_engine_free(e);
	return NULL;
}

static void
slot_destroy(struct slot *s)
{
	if (s == NULL)
		return;
	if (s->engine != NULL)
		cl_engine_free(s->engine);
	watch_free(&s->watch);
	settings_free(&s->set);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* A new slot with its first engine (or none: no database).  Called under build_lock. */
static struct slot *
slot_create(const struct engine_settings *set, bool absent_ok, struct mw_diag *diag,
    const char *conf_path)
{
	struct slot *s;
	char why[768];

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		mw_diag_error(diag, conf_path, 0, "out of memory");
		return NULL;
	}
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s);
		mw_diag_error(diag, conf_path, 0, "cannot create a mutex");
		return NULL;
	}
	s->refs = 1;
	if ((s->set.database = strdup(set->database)) == NULL ||
	    (s->set.tmpdir = strdup(set->tmpdir)) == NULL) {
		mw_diag_error(diag, conf_path, 0, "out of memory");
		goto fail;
	}
	s->set.max_scansize = set->max_scansize;
	s->set.max_filesize = set->max_filesize;
	s->set.max_recursion = set->max_recursion;
	s->set.max_files = set->max_files;
	s->set.max_scantime_s = set->max_scantime_s;

	/* libclamav would fail every scan later; say it now. */
	if (access(set->tmpdir, W_OK | X_OK) < 0) {
		mw_diag_error(diag, conf_path, 0, "clamav_tmpdir/tmpdir %s: %s", set->tmpdir,
		    strerror(errno));
		goto fail;
	}
	if (absent_ok && database_absent(set->database)) {
		s->no_database = true;
		mw_diag_warn(diag, conf_path, 0, "clamav_database %s holds no virus signatures: "
		    "virus scanning is SKIPPED for every message (virus=skipped:no_database) "
		    "until a database appears there (run freshclam)", set->database);
		return s;
	}
	if (watch_init(&s->watch, set->database) < 0) {
		mw_diag_error(diag, conf_path, 0, "clamav_database %s: %s", set->database,
		    strerror(errno));
		goto fail;
	}
	if ((s->engine = engine_build(&s->set, &s->info, why, sizeof(why))) == NULL) {
		mw_diag_error(diag, conf_path, 0, "clamav_database: %s", why);
		goto fail;
	}
	return s;
fail:
	slot_destroy(s);
	return NULL;
}

static void
slot_unref(struct slot *s)
{
	struct slot **pp;
	bool last;

	if (s == NULL)
		return;
	pthread_mutex_lock(&registry_lock);
	last = --s->refs == 0;
	if (last)
		for (pp = &slots; *pp; pp = &(*pp)->next)
			if (*pp == s) {
				*pp = s->next;
				break;
			}
	pthread_mutex_unlock(&registry_lock);
	if (last)
		slot_destroy(s);
}

/* The slot's current engine with a reference of the caller's own (or NULL). */
static struct cl_engine *
slot_acquire(struct slot *s, bool *no_database)
{
	struct cl_engine *e;

	pthread_mutex_lock(&s->lock);
	e = s->engine;
	*no_database = s->no_database;
	if (e != NULL && cl_engine_addref(e) != CL_SUCCESS)
		e = NULL;
	pthread_mutex_unlock(&s->lock);
	return e;
}

/* --- the per-generation handle ------------------------------------------------------ */

struct mw_av *
mw_av_new(const struct mw_conf *c, struct mw_diag *diag)
{
	struct mw_av *av;
	struct engine_settings set;
	struct slot *s;
	char why[256];

	pthread_once(&init_once, clam_init_once);
	if (init_rc != CL_SUCCESS) {
		mw_diag_error(diag, c->path, 0, "libclamav initialisation failed: %s",
		    cl_strerror(init_rc));
		return NULL;
	}
	if ((av = calloc(1, sizeof(*av))) == NULL) {
		mw_diag_error(diag, c->path, 0, "out of memory");
		return NULL;
	}
	av->on_limit = (enum mw_av_on_limit)c->clamav_on_limit;
	av->on_error = (enum mw_av_on_error)c->clamav_on_error;
	av->clamd_timeout = c->clamav_timeout;
	if (mw_av_check_reply_template(c->virus_reject_text, why, sizeof(why)) < 0) {
		mw_diag_error(diag, c->path, 0, "virus_reject_text: %s", why);
		goto fail;
	}
	if ((av->reply_template = strdup(c->virus_reject_text)) == NULL) {
		mw_diag_error(diag, c->path, 0, "out of memory");
		goto fail;
	}
	/* Mail as clamd scans it with its defaults: every parser, heuristic alerts on,
	 * and an alert (not a silent pass) when a limit stops the scan. */
	av->opts.general = CL_SCAN_GENERAL_HEURISTICS;
	av->opts.parse = ~0u;
	av->opts.heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX;

	if (strcmp(c->clamav_backend, "local") == 0) {
		;
	} else if (strncmp(c->clamav_backend, "clamd:", 6) == 0) {
		if (mw_clamd_parse(c->clamav_backend + 6, &av->clamd, why, sizeof(why)) < 0) {
			mw_diag_error(diag, c->path, 0, "clamav_backend '%s': %s",
			    c->clamav_backend, why);
			goto fail;
		}
		av->use_clamd = true;
		return av;	/* no local engine: the database options do not apply */
	} else {
		mw_diag_error(diag, c->path, 0,
		    "clamav_backend '%s': expected local or clamd:ADDRESS", c->clamav_backend);
		goto fail;
	}

	if (settings_from_conf(&set, c) < 0) {
		mw_diag_error(diag, c->path, 0, "out of memory");
		goto fail;
	}
	pthread_mutex_lock(&build_lock);
	pthread_mutex_lock(&registry_lock);
	for (s = slots; s; s = s->next)
		if (settings_equal(&s->set, &set)) {
			s->refs++;
			s->check_interval = c->clamav_check_interval;
			break;
		}
	pthread_mutex_unlock(&registry_lock);
	if (s == NULL) {
		s = slot_create(&set, strcmp(set.database, MW_AV_DEFAULT_DATABASE) == 0, diag,
		    c->path);
		if (s != NULL) {
			s->check_interval = c->clamav_check_interval;
			pthread_mutex_lock(&registry_lock);
			s->next = slots;
			slots = s;
			pthread_mutex_unlock(&registry_lock);
		}
	}
	pthread_mutex_unlock(&build_lock);
	settings_free(&set);
	if (s == NULL)
		goto fail;
	av->slot = s;
	return av;
fail:
	mw_av_free(av);
	return NULL;
}

void
mw_av_free(struct mw_av *av)
{
	if (av == NULL)
		return;
	slot_unref(av->slot);
	free(av->reply_template);
	free(av);
}

bool
mw_av_describe(const struct mw_av *av, char *buf, size_t len)
{
	struct slot *s;
	bool scanning;

	if (av->use_clamd) {
		if (av->clamd.is_unix)
			snprintf(buf, len, "clamav: backend clamd at unix:%s (timeout %lds)",
			    av->clamd.path, av->clamd_timeout);
		else
			snprintf(buf, len, "clamav: backend clamd at %s port %s (timeout %lds)",
			    av->clamd.host, av->clamd.port, av->clamd_timeout);
		return true;
	}
	s = av->slot;
	pthread_mutex_lock(&s->lock);
	scanning = s->engine != NULL;
	if (s->engine == NULL)
		snprintf(buf, len, "clamav: NO DATABASE in %s: virus scanning is skipped for "
		    "every message (virus=skipped:no_database); checked every %lds",
		    s->set.database, s->check_interval);
	else
		snprintf(buf, len, "clamav: libclamav %s, database %s: %u signatures, version %u, "
		    "loaded in %.0f ms; limits scansize=%ld filesize=%ld recursion=%ld files=%ld "
		    "scantime=%lds; checked every %lds%s%s", cl_retver(), s->set.database,
		    s->info.sigs, s->info.db_version, s->info.load_ms, s->set.max_scansize,
		    s->set.max_filesize, s->set.max_recursion, s->set.max_files,
		    s->set.max_scantime_s, s->check_interval,
		    s->last_error[0] ? "; last reload failed: " : "", s->last_error);
	pthread_mutex_unlock(&s->lock);
	return scanning;
}

/* --- reply template --------------------------------------------------------------- */

int
mw_av_check_reply_template(const char *tmpl, char *why, size_t whylen)
{
	const char *p;

	for (p = tmpl; *p; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
			snprintf(why, whylen, "only printable ASCII is allowed in an SMTP reply");
			return -1;
		}
		if (*p != '%')
			continue;
		if (p[1] == 'v' || p[1] == '%') {
			p++;
			continue;
		}
		snprintf(why, whylen, "unknown escape '%%%c' (only %%v = virus name and %%%% "
		    "are allowed)", p[1] ? p[1] : ' ');
		return -1;
	}
	return 0;
}

void
mw_av_format_reply(const char *tmpl, const char *virus, char *out, size_t outlen)
{
	char name[256];
	size_t o = 0, n;
	const char *p;

	if (outlen == 0)
		return;
	safe_name(name, sizeof(name), virus);
	for (p = tmpl; *p && o + 1 < outlen; p++) {
		if (p[0] == '%' && p[1] == 'v') {
			n = strlen(name);
			if (n > outlen - 1 - o)
				n = outlen - 1 - o;
			memcpy(out + o, name, n);
			o += n;
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			out[o++] = '%';
			p++;
		} else
			out[o++] = *p;
	}
	out[o] = '\0';
}

/* --- scanning ------------------------------------------------------------------- */

static void
set_found(struct mw_virus_result *r, const char *name)
{
	if (strncmp(name, LIMIT_PREFIX, sizeof(LIMIT_PREFIX) - 1) == 0) {
		r->state = MW_VIRUS_LIMIT;
		safe_name(r->limit, sizeof(r->limit), name + sizeof(LIMIT_PREFIX) - 1);
	} else {
		r->state = MW_VIRUS_INFECTED;
		safe_name(r->name, sizeof(r->name), name);
	}
}

static void
scan_local(const struct mw_av *av, const char *data, size_t len, struct mw_virus_result *r)
{
	struct cl_engine *e;
	struct cl_scan_options opts = av->opts;
	struct scan_cb cb = { .found = "" };
	cl_fmap_t *map;
	const char *virname = NULL;
	unsigned long scanned = 0;
	bool no_database;
	cl_error_t rc;

	if ((e = slot_acquire(av->slot, &no_database)) == NULL) {
		if (no_database) {
			r->status = MW_STAGE_SKIPPED;
			r->reason = "no_database";
		} else {
			r->status = MW_STAGE_ERROR;
			r->state = MW_VIRUS_FAILED;
			snprintf(r->error, sizeof(r->error), "no engine");
		}
		return;
	}
	/* The message is scanned where it lies (milter buffer or spool mapping). */
	if ((map = cl_fmap_open_memory(data, len)) == NULL) {
		cl_engine_free(e);
		r->status = MW_STAGE_ERROR;
		r->state = MW_VIRUS_FAILED;
		snprintf(r->error, sizeof(r->error), "cannot map message (out of memory)");
		return;
	}
	clam_scan_error[0] = '\0';
	clam_in_scan = true;
	rc = cl_scanmap_callback(map, NULL, &virname, &scanned, e, &opts, &cb);
	clam_in_scan = false;
	cl_fmap_close(map);
	/* virname points into the engine: copy it before letting the engine go. */
	if (rc == CL_VIRUS)
		set_found(r, virname ? virname : cb.found[0] ? cb.found : "unnamed");
	cl_engine_free(e);

	r->status = MW_STAGE_DONE;
	switch (rc) {
	case CL_CLEAN:
		/* Never report "clean" for a message libclamav could not really scan. */
		if (clam_scan_error[0] != '\0' && is_resource_error(clam_scan_error)) {
			r->status = MW_STAGE_ERROR;
			r->state = MW_VIRUS_FAILED;
			snprintf(r->error, sizeof(r->error), "libclamav: %s", clam_scan_error);
			break;
		}
		r->state = MW_VIRUS_CLEAN;
		break;
	case CL_VIRUS:		/* r filled above */
		break;
	case CL_ETIMEOUT:	/* when the heuristic alert is not raised for it */
		r->state = MW_VIRUS_LIMIT;
		snprintf(r->limit, sizeof(r->limit), "MaxScanTime");
		break;
	default:
		r->status = MW_STAGE_ERROR;
		r->state = MW_VIRUS_FAILED;
		snprintf(r->error, sizeof(r->error), "libclamav: %s", cl_strerror(rc));
		break;
	}
}

static void
scan_clamd(const struct mw_av *av, const char *data, size_t len, struct mw_virus_result *r)
{
	char name[256];

	switch (mw_clamd_scan(&av->clamd, av->clamd_timeout, data, len, name, sizeof(name),
	    r->error, sizeof(r->error))) {
	case MW_CLAMD_CLEAN:
		r->status = MW_STAGE_DONE;
		r->state = MW_VIRUS_CLEAN;
		break;
	case MW_CLAMD_FOUND:
		r->status = MW_STAGE_DONE;
		set_found(r, name);
		break;
	case MW_CLAMD_ERROR:
		r->status = MW_STAGE_ERROR;
		r->state = MW_VIRUS_FAILED;
		break;
	}
}

void
mw_av_scan(const struct mw_av *av, const char *data, size_t len, struct mw_virus_result *r)
{
	double t0 = now_ms();

	memset(r, 0, sizeof(*r));
	if (av->use_clamd)
		scan_clamd(av, data, len, r);
	else
		scan_local(av, data, len, r);
	r->elapsed_ms = now_ms() - t0;
}

/* --- the stage ------------------------------------------------------------------- */

static int
add_scanned_header(struct mw_scan_ctx *ctx)
{
	char val[512];

	snprintf(val, sizeof(val), "mailwarden %s on %s", PACKAGE_VERSION, ctx->gen->hostname);
	return mw_verdict_add_header(ctx->v, "X-Virus-Scanned", val);
}

int
mw_av_stage(struct mw_scan_ctx *ctx)
{
	const struct mw_av *av = ctx->gen->av;
	struct mw_verdict *v = ctx->v;
	struct mw_virus_result *r = &v->virus;
	char text[512], status[400];

	if (!ctx->policy.virus) {
		r->status = MW_STAGE_SKIPPED;
		r->reason = "policy";
		return 0;
	}
	if (av == NULL) {	/* a generation always has one; be safe anyway */
		r->status = MW_STAGE_SKIPPED;
		r->reason = "not_configured";
		return 0;
	}
	mw_av_scan(av, ctx->msg.data, ctx->msg.len, r);

	if (r->status == MW_STAGE_SKIPPED) {
		/* Never pretend: no X-Virus-Scanned, and say why. */
		return mw_verdict_add_header(v, "X-Virus-Status", "Unscanned (no virus database)");
	}
	if (r->status == MW_STAGE_ERROR) {
		if (av->on_error == MW_AV_ERROR_TEMPFAIL) {
			mw_verdict_propose(v, MW_ACTION_TEMPFAIL, "virus", 451, "4.3.0",
			    "Virus scanner unavailable, try again later");
			return 0;
		}
		r->accepted_unscanned = true;
		return mw_verdict_add_header(v, "X-Virus-Status", "Unscanned (scanner error)");
	}
	switch (r->state) {
	case MW_VIRUS_CLEAN:
		if (add_scanned_header(ctx) < 0 ||
		    mw_verdict_add_header(v, "X-Virus-Status", "Clean") < 0)
			return -1;
		break;
	case MW_VIRUS_INFECTED:
		snprintf(status, sizeof(status), "Infected (%s)", r->name);
		if (add_scanned_header(ctx) < 0 ||
		    mw_verdict_add_header(v, "X-Virus-Status", status) < 0)
			return -1;
		switch (ctx->policy.virus_action) {
		case MW_VIRUS_REJECT:
			mw_av_format_reply(av->reply_template, r->name, text, sizeof(text));
			mw_verdict_propose(v, MW_ACTION_REJECT, "virus", 550, "5.7.1", text);
			break;
		case MW_VIRUS_HOLD:
			snprintf(v->hold_reason, sizeof(v->hold_reason), "virus %.240s", r->name);
			mw_verdict_propose(v, MW_ACTION_HOLD, "virus", 0, NULL, NULL);
			break;
		case MW_VIRUS_DISCARD:
			mw_verdict_propose(v, MW_ACTION_DISCARD, "virus", 0, NULL, NULL);
			break;
		}
		break;
	case MW_VIRUS_LIMIT:
		if (av->on_limit == MW_AV_LIMIT_TEMPFAIL) {
			snprintf(text, sizeof(text), "Message could not be scanned completely "
			    "(%s limit), try again later", r->limit);
			mw_verdict_propose(v, MW_ACTION_TEMPFAIL, "virus", 451, "4.3.0", text);
			return 0;
		}
		snprintf(status, sizeof(status), "Incomplete (%s limit exceeded)", r->limit);
		if (add_scanned_header(ctx) < 0 ||
		    mw_verdict_add_header(v, "X-Virus-Status", status) < 0)
			return -1;
		if (av->on_limit == MW_AV_LIMIT_TAG) {
			if (mw_verdict_add_header(v, "X-Mailwarden-Virus-Limit", r->limit) < 0)
				return -1;
			mw_verdict_propose(v, MW_ACTION_TAG, "virus", 0, NULL, NULL);
		}
		break;
	case MW_VIRUS_FAILED:	/* status ERROR, handled above */
		break;
	}
	return 0;
}

/* --- the watcher ------------------------------------------------------------------ */

static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watch_cond;
static pthread_t watch_thread;
static bool watch_running, watch_stop, reload_requested;
static _Atomic(mw_av_reporter) reporter;

void
mw_av_set_reporter(mw_av_reporter fn)
{
	atomic_store(&reporter, fn);
}

static void
report(enum mw_av_event_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
report(enum mw_av_event_level lvl, const char *fmt, ...)
{
	mw_av_reporter fn = atomic_load(&reporter);
	char line[1024];
	va_list ap;

	if (fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fn(lvl, line);
}

/* Reload one slot if its database changed (or force).  Returns -1 when a reload was
 * attempted and failed: the old engine stays. */
static int
slot_check(struct slot *s, bool force)
{
	struct cl_engine *ne, *old;
	struct engine_info info;
	struct db_watch w, oldw;
	char why[768];
	bool was_absent;

	pthread_mutex_lock(&s->lock);
	was_absent = s->no_database;
	pthread_mutex_unlock(&s->lock);

	if (was_absent) {
		if (database_absent(s->set.database))
			return 0;
		/* Files appeared but failed to load before: wait for the next change. */
		if (!force && s->watch.valid && !watch_changed(&s->watch, s->set.database))
			return 0;
	} else if (!force && !watch_changed(&s->watch, s->set.database))
		return 0;

	memset(&info, 0, sizeof(info));
	if (watch_init(&w, s->set.database) < 0) {
		snprintf(why, sizeof(why), "clamav_database %s: %s", s->set.database,
		    strerror(errno));
		ne = NULL;
	} else
		ne = engine_build(&s->set, &info, why, sizeof(why));

	/* Remember this state even on failure: the next change (a fixed database) is
	 * reloaded, and a broken one is not retried on every tick. */
	oldw = s->watch;
	s->watch = w;
	watch_free(&oldw);

	if (ne == NULL) {
		pthread_mutex_lock(&s->lock);
		snprintf(s->last_error, sizeof(s->last_error), "%.500s", why);
		pthread_mutex_unlock(&s->lock);
		if (was_absent)
			report(MW_AV_EVENT_ERROR, "clamav: database reload failed, still no "
			    "database: %s", why);
		else
			report(MW_AV_EVENT_ERROR, "clamav: database reload failed, keeping the "
			    "engine loaded before (%u signatures, version %u): %s",
			    s->info.sigs, s->info.db_version, why);
		return -1;
	}
	pthread_mutex_lock(&s->lock);
	old = s->engine;
	s->engine = ne;
	s->info = info;
	s->no_database = false;
	s->last_error[0] = '\0';
	pthread_mutex_unlock(&s->lock);
	/* Only drops our reference: scans still holding the old engine finish on it. */
	if (old != NULL)
		cl_engine_free(old);
	atomic_fetch_add(&reload_count, 1);
	report(MW_AV_EVENT_INFO, "clamav: database %s reloaded: %u signatures, version %u, "
	    "in %.0f ms", s->set.database, info.sigs, info.db_version, info.load_ms);
	return 0;
}

int
mw_av_check_now(bool force)
{
	struct slot **snap = NULL, *s;
	size_t n = 0, i;
	int failed = 0;

	pthread_mutex_lock(&build_lock);
	pthread_mutex_lock(&registry_lock);
	for (s = slots; s; s = s->next)
		n++;
	if (n > 0 && (snap = calloc(n, sizeof(*snap))) != NULL)
		for (s = slots, i = 0; s; s = s->next, i++) {
			s->refs++;
			snap[i] = s;
		}
	pthread_mutex_unlock(&registry_lock);
	if (n > 0 && snap == NULL) {
		pthread_mutex_unlock(&build_lock);
		return 1;
	}
	for (i = 0; i < n; i++)
		if (slot_check(snap[i], force) < 0)
			failed++;
	pthread_mutex_unlock(&build_lock);
	for (i = 0; i < n; i++)
		slot_unref(snap[i]);
	free(snap);
	return failed;
}

static long
watch_interval(void)
{
	struct slot *s;
	long iv = 0;

	pthread_mutex_lock(&registry_lock);
	for (s = slots; s; s = s->next)
		if (iv == 0 || (s->check_interval > 0 && s->check_interval < iv))
			iv = s->check_interval;
	pthread_mutex_unlock(&registry_lock);
	return iv > 0 ? iv : 60;
}

static void *
watcher_main(void *arg)
{
	struct timespec deadline;

	(void)arg;
	pthread_mutex_lock(&watch_lock);
	while (!watch_stop) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += watch_interval();
		while (!watch_stop && !reload_requested)
			if (pthread_cond_timedwait(&watch_cond, &watch_lock, &deadline) == ETIMEDOUT)
				break;
		if (watch_stop)
			break;
		/* A request only makes the check early: an unchanged database is not
		 * loaded again (that would cost a second engine on every SIGHUP). */
		reload_requested = false;
		pthread_mutex_unlock(&watch_lock);
		mw_av_check_now(false);
		pthread_mutex_lock(&watch_lock);
	}
	pthread_mutex_unlock(&watch_lock);
	return NULL;
}

int
mw_av_watcher_start(void)
{
	pthread_condattr_t ca;
	int rc;

	pthread_mutex_lock(&watch_lock);
	if (watch_running) {
		pthread_mutex_unlock(&watch_lock);
		return 0;
	}
	if ((rc = pthread_condattr_init(&ca)) != 0 ||
	    (rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) != 0 ||
	    (rc = pthread_cond_init(&watch_cond, &ca)) != 0) {
		pthread_mutex_unlock(&watch_lock);
		errno = rc;
		return -1;
	}
	pthread_condattr_destroy(&ca);
	watch_stop = false;
	reload_requested = false;
	if ((rc = pthread_create(&watch_thread, NULL, watcher_main, NULL)) != 0) {
		pthread_cond_destroy(&watch_cond);
		pthread_mutex_unlock(&watch_lock);
		errno = rc;
		return -1;
	}
	watch_running = true;
	pthread_mutex_unlock(&watch_lock);
	return 0;
}

void
mw_av_watcher_stop(void)
{
	pthread_mutex_lock(&watch_lock);
	if (!watch_running) {
		pthread_mutex_unlock(&watch_lock);
		return;
	}
	watch_stop = true;
	pthread_cond_signal(&watch_cond);
	pthread_mutex_unlock(&watch_lock);
	pthread_join(watch_thread, NULL);
	pthread_mutex_lock(&watch_lock);
	watch_running = false;
	pthread_cond_destroy(&watch_cond);
	pthread_mutex_unlock(&watch_lock);
}

void
mw_av_request_reload(void)
{
	pthread_mutex_lock(&watch_lock);
	reload_requested = true;
	if (watch_running)
		pthread_cond_signal(&watch_cond);
	pthread_mutex_unlock(&watch_lock);
}

unsigned
mw_av_slot_count(void)
{
	struct slot *s;
	unsigned n = 0;

	pthread_mutex_lock(&registry_lock);
	for (s = slots; s; s = s->next)
		n++;
	pthread_mutex_unlock(&registry_lock);
	return n;
}

unsigned long
mw_av_reload_count(void)
{
	return atomic_load(&reload_count);
}
