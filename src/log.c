/*
 * log - syslog, log file or stderr.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const int facilities[] = {
	LOG_MAIL, LOG_DAEMON, LOG_USER, LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3,
	LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7,
};

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum mw_log_dest dest = MW_LOG_STDERR;
static char *log_path;
static int log_fd = -1;
static char host[256] = "localhost";

int
mw_log_open(enum mw_log_dest d, int facility, const char *file)
{
	int fd = -1;

	if (d == MW_LOG_FILE) {
		fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd < 0)
			return -1;
	}
	pthread_mutex_lock(&log_lock);
	if (log_fd >= 0)
		close(log_fd);
	free(log_path);
	log_path = NULL;
	log_fd = fd;
	if (d == MW_LOG_FILE && (log_path = strdup(file)) == NULL) {
		close(log_fd);
		log_fd = -1;
		d = MW_LOG_STDERR;
	}
	if (gethostname(host, sizeof(host) - 1) != 0)
		strcpy(host, "localhost");
	host[strcspn(host, ".")] = '\0';	/* syslog writes the short name */
	if (d == MW_LOG_SYSLOG) {
		if (facility < 0 || (size_t)facility >= sizeof(facilities) / sizeof(facilities[0]))
			facility = 0;
		openlog("mailwarden", LOG_PID | LOG_NDELAY, facilities[facility]);
	}
	dest = d;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

int
mw_log_reopen(void)
{
	int fd, rc = 0;

	pthread_mutex_lock(&log_lock);
	if (dest == MW_LOG_FILE && log_path != NULL) {
		fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd >= 0) {
			close(log_fd);
			log_fd = fd;
		} else
			rc = -1;	/* keep writing to the old file rather than losing lines */
	}
	pthread_mutex_unlock(&log_lock);
	return rc;
}

void
mw_log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	if (dest == MW_LOG_SYSLOG)
		closelog();
	dest = MW_LOG_STDERR;
	pthread_mutex_unlock(&log_lock);
}

const char *
mw_log_dest_name(void)
{
	switch (dest) {
	case MW_LOG_SYSLOG: return "syslog";
	case MW_LOG_FILE:   return log_path ? log_path : "file";
	case MW_LOG_STDERR: return "stderr";
	}
	return "stderr";
}

void
mw_log(int prio, const char *fmt, ...)
{
	char msg[16384], line[16640], stamp[32];
	struct tm tm;
	time_t now;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	pthread_mutex_lock(&log_lock);
	if (dest == MW_LOG_SYSLOG) {
		syslog(prio, "%s", msg);
		pthread_mutex_unlock(&log_lock);
		return;
	}
	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s %s mailwarden[%ld]: %s\n", stamp, host,
	    (long)getpid(), msg);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* One write() per line, so concurrent writers never interleave within a line. */
	if (write(dest == MW_LOG_FILE ? log_fd : STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nothing sensible to do: the log itself is the error channel. */
	}
	pthread_mutex_unlock(&log_lock);
}
