/*
 * daemon - process life cycle around libmilter.
 *
 * libmilter's own signal thread treats SIGHUP like SIGTERM (it stops the filter),
 * which is why OpenDKIM reloads on SIGUSR1.  We want SIGHUP to reload, so smfi_main
 * runs in a second thread and the *main* thread waits for signals: the kernel
 * delivers a process-directed signal to the thread-group leader first when it is
 * waiting for it, so SIGHUP reaches us, not libmilter.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "daemon.h"
#include "diag.h"
#include "generation.h"
#include "log.h"
#include "milter.h"
#include "output.h"
#include "policy.h"
#include "spool.h"
#include "av.h"
#include "customers.h"
#include "rules_load.h"

static unsigned long generation_counter;

/* A lifecycle record (doc/FORMATS.md): event=NAME key=value ... */
#define log_event(prio, g, ...) do {					\
	struct mw_buf eb_;						\
	mw_buf_init(&eb_, 8192);					\
	mw_output_event((g), &eb_, __VA_ARGS__, (const char *)NULL);	\
	mw_log((prio), "%s", eb_.data ? eb_.data : "");			\
	mw_buf_free(&eb_);						\
} while (0)

/* What a generation holds, for the start and reload records. */
struct gen_summary {
	char	 rules[32];
	char	 customers[32];
	char	 av[512];
};

static void
summarise(const struct mw_generation *g, struct gen_summary *s)
{
	snprintf(s->rules, sizeof(s->rules), "%zu", g->rules ? g->rules->nrules : (size_t)0);
	snprintf(s->customers, sizeof(s->customers), "%zu",
	    g->customers ? mw_customers_count(g->customers) : (size_t)0);
	if (!mw_av_describe(g->av, s->av, sizeof(s->av)) && s->av[0] == '\0')
		snprintf(s->av, sizeof(s->av), "not scanning");
}

/* The virus engine's watcher thread reports reloads and failures here. */
static void
av_report(enum mw_av_event_level level, const char *text)
{
	struct mw_generation *g = mw_current_acquire();

	if (level == MW_AV_EVENT_ERROR)
		log_event(LOG_ERR, g, "engine_reload_failed", "reason", text);
	else if (level == MW_AV_EVENT_WARNING)
		log_event(LOG_WARNING, g, "engine_warning", "detail", text);
	else
		log_event(LOG_NOTICE, g, "engine_reload", "detail", text);
	mw_generation_unref(g);
}

static void
log_diag(const struct mw_diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		mw_log(d->v[i].level == MW_DIAG_ERROR ? LOG_ERR : LOG_WARNING, "%s",
		    d->v[i].text);
}

/* Build a new generation and publish it only if it is complete and valid. */
static void
reload(const struct mw_daemon_opts *o)
{
	struct mw_generation *g, *old;
	struct mw_diag d;

	mw_diag_init(&d);
	g = mw_generation_build(o->conf_path, !o->conf_explicit, generation_counter + 1, &d);
	log_diag(&d);
	old = mw_current_acquire();
	if (g == NULL) {
		char reason[160], gen[32];

		snprintf(reason, sizeof(reason), "%zu error(s) in the new configuration; "
		    "still serving the old one", d.nerrors);
		snprintf(gen, sizeof(gen), "%lu", old ? old->id : 0UL);
		log_event(LOG_ERR, old, "reload_refused", "reason", reason, "generation", gen);
	} else {
		char gen[32], was[32];

		generation_counter++;
		mw_current_replace(g);
		snprintf(gen, sizeof(gen), "%lu", g->id);
		snprintf(was, sizeof(was), "%lu", old ? old->id : 0UL);
		struct gen_summary sum;

		summarise(g, &sum);
		log_event(LOG_NOTICE, g, "reload", "generation", gen, "previous", was, "config",
		    g->conf->path ? g->conf->path : "embedded-defaults", "rules", sum.rules,
		    "customers", sum.customers, "virus_engine", sum.av);
	}
	mw_generation_unref(old);
	mw_diag_free(&d);
}

static int
write_pidfile(const char *path)
{
	FILE *fp;

	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	if (fprintf(fp, "%ld\n", (long)getpid()) < 0) {
		fclose(fp);
		return -1;
	}
	return fclose(fp);
}

static int
drop_privileges(const char *user, const char *spooldir)
{
	struct passwd *pw;

	if (user == NULL || *user == '\0') {
		if (geteuid() == 0)
			mw_warn("running as root: set 'user' (or -u) to drop privileges");
		return 0;
	}
	if ((pw = getpwnam(user)) == NULL) {
		mw_err("user '%s' does not exist", user);
		return -1;
	}
	if (geteuid() != 0) {
		if (pw->pw_uid == geteuid())
			return 0;
		mw_err("cannot switch to user '%s': not started as root", user);
		return -1;
	}
	if (spooldir && chown(spooldir, pw->pw_uid, pw->pw_gid) < 0) {
		mw_err("chown %s: %s", spooldir, strerror(errno));
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		mw_err("cannot switch to user '%s': %s", user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		mw_err("privileges could be regained after dropping them: refusing to run");
		return -1;
	}
	return 0;
}

/* A unix socket's mode and group, so e.g. group postfix may connect. */
static int
fix_socket(const char *conn, long mode, const char *group)
{
	const char *path = NULL;
	struct group *gr;

	if (strncmp(conn, "unix:", 5) == 0)
		path = conn + 5;
	else if (strncmp(conn, "local:", 6) == 0)
		path = conn + 6;
	else if (conn[0] == '/')
		path = conn;
	if (path == NULL)
		return 0;
	if (chmod(path, (mode_t)mode) < 0) {
		mw_err("chmod %s: %s", path, strerror(errno));
		return -1;
	}
	if (group && *group) {
		if ((gr = getgrnam(group)) == NULL) {
			mw_err("socket_group '%s' does not exist", group);
			return -1;
		}
		if (chown(path, (uid_t)-1, gr->gr_gid) < 0) {
			mw_err("chown %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * libmilter's listener looks at its stop flag only between poll() calls of 5 s;
 * one connection to our own socket wakes it at once, so SIGTERM stops promptly.
 */
static void
wake_listener(const char *conn)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = NULL, *at;
	char port[16], host[256];
	int fd;

	if (strncmp(conn, "unix:", 5) == 0)
		path = conn + 5;
	else if (strncmp(conn, "local:", 6) == 0)
		path = conn + 6;
	else if (conn[0] == '/')
		path = conn;
	if (path != NULL) {
		if (strlen(path) >= sizeof(sun.sun_path) ||
		    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return;
		memcpy(sun.sun_path, path, strlen(path) + 1);
		(void)connect(fd, (struct sockaddr *)&sun, sizeof(sun));
		close(fd);
		return;
	}
	if ((strncmp(conn, "inet:", 5) != 0 && strncmp(conn, "inet6:", 6) != 0) ||
	    (at = strchr(conn, '@')) == NULL)
		return;
	conn = strchr(conn, ':') + 1;
	snprintf(port, sizeof(port), "%.*s", (int)(at - conn), conn);
	snprintf(host, sizeof(host), "%s", at + 1);
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return;
	if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0) {
		(void)connect(fd, res->ai_addr, res->ai_addrlen);
		close(fd);
	}
	freeaddrinfo(res);
}

struct waker {
	const char	*sock;
	atomic_bool	 done;
};

/* smfi_stop() blocks until the listener notices; poke it until it has gone. */
static void *
waker_thread(void *arg)
{
	struct waker *w = arg;
	struct timespec pause = { .tv_sec = 0, .tv_nsec = 100 * 1000 * 1000 };
	int i;

	for (i = 0; i < 60 && !atomic_load(&w->done); i++) {
		nanosleep(&pause, NULL);
		wake_listener(w->sock);
	}
	return NULL;
}

static void *
milter_thread(void *arg)
{
	int *rc = arg;

	*rc = smfi_main();
	/* Wake the signal loop in the main thread if libmilter stopped by itself. */
	kill(getpid(), SIGTERM);
	return NULL;
}

int
mw_daemon_run(const struct mw_daemon_opts *o)
{
	struct mw_generation *g;
	const struct mw_conf *c;
	struct mw_diag d;
	const char *user;
	char *sock, *pidfile;
	char *spooldir = NULL;
	pthread_t tid;
	sigset_t set;
	int sig, milter_rc = MI_SUCCESS, ex = EX_OK;
	bool stop = false;

	mw_diag_init(&d);
	g = mw_generation_build(o->conf_path, !o->conf_explicit, ++generation_counter, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "mailwarden: %s\n", d.v[i].text);
	mw_diag_free(&d);
	if (g == NULL) {
		fprintf(stderr, "mailwarden: configuration has errors, not starting\n");
		return EX_CONFIG;
	}
	c = g->conf;
	/* Copies: generation 1 (and its strings) goes away after the first reload. */
	user = o->user ? o->user : c->user;
	sock = strdup(o->socket ? o->socket : c->socket);
	pidfile = strdup(o->pidfile ? o->pidfile : c->pidfile);
	if (sock == NULL || pidfile == NULL) {
		free(sock);
		free(pidfile);
		mw_generation_unref(g);
		return EX_OSERR;
	}

	if (c->log_file[0] != '\0') {
		if (mw_log_open(MW_LOG_FILE, c->log_facility, c->log_file) < 0) {
			fprintf(stderr, "mailwarden: cannot open log_file %s: %s\n", c->log_file,
			    strerror(errno));
			mw_generation_unref(g);
			free(sock);
			free(pidfile);
			return EX_CANTCREAT;
		}
	} else
		mw_log_open(o->foreground ? MW_LOG_STDERR : MW_LOG_SYSLOG, c->log_facility, NULL);

	if ((spooldir = mw_spool_mkdir(c->tmpdir)) == NULL) {
		mw_err("cannot create a private spool directory in %s: %s", c->tmpdir,
		    strerror(errno));
		mw_generation_unref(g);
		free(sock);
		free(pidfile);
		return EX_CANTCREAT;
	}
	mw_milter_set_spool_dir(spooldir);
	mw_current_replace(g);	/* the published generation owns our reference now */

	if (smfi_setconn((char *)sock) != MI_SUCCESS ||
	    smfi_settimeout((int)c->milter_timeout) != MI_SUCCESS ||
	    smfi_register(*mw_milter_desc()) != MI_SUCCESS) {
		mw_err("cannot set up libmilter for socket %s", sock);
		ex = EX_SOFTWARE;
		goto out;
	}
	if (smfi_opensocket(true) != MI_SUCCESS) {
		mw_err("cannot listen on %s (in use, or bad socket spec?)", sock);
		ex = EX_UNAVAILABLE;
		goto out;
	}
	if (fix_socket(sock, c->socket_mode, c->socket_group) < 0) {
		ex = EX_NOPERM;
		goto out;
	}
	if (pidfile && *pidfile && write_pidfile(pidfile) < 0) {
		mw_err("cannot write pid file %s: %s", pidfile, strerror(errno));
		ex = EX_CANTCREAT;
		goto out;
	}
	if (drop_privileges(user, spooldir) < 0) {
		ex = EX_NOPERM;
		goto out;
	}

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((errno = pthread_create(&tid, NULL, milter_thread, &milter_rc)) != 0) {
		mw_err("cannot start the milter thread: %s", strerror(errno));
		ex = EX_OSERR;
		goto out;
	}
	mw_av_set_reporter(av_report);
	if (mw_av_watcher_start() < 0)
		mw_warn("cannot start the signature database watcher: %s; the database is "
		    "reloaded on SIGHUP only", strerror(errno));
	{
		char gen[32];
		struct gen_summary sum;

		summarise(g, &sum);
		snprintf(gen, sizeof(gen), "%lu", generation_counter);
		log_event(LOG_NOTICE, g, "start", "version", PACKAGE_VERSION, "generation", gen,
		    "config", c->path ? c->path : "embedded-defaults", "socket", sock,
		    "log", mw_log_dest_name(), "spool", spooldir, "rules", sum.rules,
		    "customers", sum.customers, "virus_engine", sum.av);
	}

	while (!stop) {
		/* Wake every few seconds to notice an edited customers file. */
		struct timespec tick = { .tv_sec = 5, .tv_nsec = 0 };

		sig = sigtimedwait(&set, NULL, &tick);
		if (sig < 0) {
			struct mw_generation *cur = mw_current_acquire();
			bool changed = cur != NULL && mw_customers_changed(cur);

			mw_generation_unref(cur);
			if (changed) {
				mw_info("customers file changed: reloading");
				reload(o);
			}
			continue;
		}
		switch (sig) {
		case SIGHUP:
			reload(o);
			mw_av_request_reload();
			break;
		case SIGUSR1:
			if (mw_log_reopen() < 0)
				mw_err("cannot reopen the log file: %s", strerror(errno));
			else
				mw_info("log file reopened");
			break;
		default:
			stop = true;
		}
	}
	{
		char signame[16];
		snprintf(signame, sizeof(signame), "%d", sig);
		log_event(LOG_NOTICE, NULL, "stopping", "signal", signame);
	}
	{
		struct waker w = { .sock = sock };
		pthread_t wt;
		bool waking;

		atomic_init(&w.done, false);
		waking = pthread_create(&wt, NULL, waker_thread, &w) == 0;
		smfi_stop();
		pthread_join(tid, NULL);
		atomic_store(&w.done, true);
		if (waking)
			pthread_join(wt, NULL);
	}
	mw_av_watcher_stop();
	if (milter_rc != MI_SUCCESS)
		ex = EX_SOFTWARE;
	log_event(LOG_NOTICE, NULL, "shutdown", "status", ex == EX_OK ? "clean" : "error");
out:
	if (pidfile && *pidfile)
		unlink(pidfile);
	free(pidfile);
	free(sock);
	mw_current_replace(NULL);
	mw_spool_rmdir(spooldir);
	free(spooldir);
	mw_log_close();
	return ex;
}
