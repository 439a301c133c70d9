/*
 * daemon - run as a milter: load the configuration, open the socket, drop
 * privileges, serve until SIGTERM; SIGHUP reloads, SIGUSR1 reopens the log file.
 */
#ifndef MW_DAEMON_H
#define MW_DAEMON_H

#include <stdbool.h>

struct mw_daemon_opts {
	const char *conf_path;
	bool	 conf_explicit;	/* -c given: a missing file is an error */
	bool	 foreground;
	const char *socket;	/* -p, overrides the config */
	const char *user;	/* -u */
	const char *pidfile;	/* -P */
};

/* Returns a sysexits(3) code. */
int	mw_daemon_run(const struct mw_daemon_opts *o);

#endif
