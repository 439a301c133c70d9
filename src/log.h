/*
 * log - where mailwarden's lines go: syslog (default), a log file in syslog's own
 * line format ("Mon DD HH:MM:SS host mailwarden[pid]: ..."), or stderr in the
 * foreground.  Thread-safe; printf-checked.  Not part of the pure core.
 */
#ifndef MW_LOG_H
#define MW_LOG_H

#include <stdbool.h>
#include <syslog.h>

enum mw_log_dest { MW_LOG_SYSLOG, MW_LOG_FILE, MW_LOG_STDERR };

/* facility: index into mw_log_facility_names.  file used for MW_LOG_FILE. */
int	mw_log_open(enum mw_log_dest dest, int facility, const char *file);
/* Reopen the log file (SIGUSR1, for logrotate); no-op for syslog/stderr. */
int	mw_log_reopen(void);
void	mw_log_close(void);
void	mw_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *mw_log_dest_name(void);

#define mw_info(...)	mw_log(LOG_INFO, __VA_ARGS__)
#define mw_notice(...)	mw_log(LOG_NOTICE, __VA_ARGS__)
#define mw_warn(...)	mw_log(LOG_WARNING, __VA_ARGS__)
#define mw_err(...)	mw_log(LOG_ERR, __VA_ARGS__)

#endif
