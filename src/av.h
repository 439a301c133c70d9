/*
 * av - virus scanning with libclamav, in process (or through a clamd, optional).
 *
 * Engine life cycle (as clamd does it): a new engine is built, loaded and compiled
 * completely and published only on success.  Engines live in process-wide "slots",
 * one per distinct (database path, limits, tmpdir): every configuration generation
 * with the same settings shares the same slot, so a configuration reload that does
 * not touch those settings does not load the database again.  Each scan takes its
 * own reference on the slot's current engine (cl_engine_addref) and drops it at the
 * end (cl_engine_free), so a database reload swaps the engine under running scans
 * without disturbing them; the old engine is freed with its last scan.
 *
 * Database watch: mw_av_watcher_start() starts one thread that checks every slot's
 * database every clamav_check_interval seconds (cl_statinidir/cl_statchkdir, like
 * clamd's SelfCheck, plus a finer fingerprint) and at once when
 * mw_av_request_reload() is called (SIGHUP).  A changed
 * database is loaded in that thread while scans go on; a database that fails to load
 * leaves the old engine in place and is reported.
 *
 * No database: when the configured database is the default location and it is
 * missing or holds no signature files (freshclam has not run yet), the generation
 * builds with a loud warning and every message is reported virus=skipped:no_database;
 * the watcher loads the database as soon as it appears.  Any other database path
 * that cannot be loaded is a configuration error.
 *
 * This module does no logging: results go into the verdict, build problems into a
 * struct mw_diag, and watcher events to the reporter the daemon installs.
 */
#ifndef MW_AV_H
#define MW_AV_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "diag.h"
#include "verdict.h"

#define MW_AV_DEFAULT_DATABASE	"/var/lib/clamav"

struct mw_av;
struct mw_scan_ctx;

enum mw_av_on_limit { MW_AV_LIMIT_ACCEPT, MW_AV_LIMIT_TAG, MW_AV_LIMIT_TEMPFAIL };
enum mw_av_on_error { MW_AV_ERROR_TEMPFAIL, MW_AV_ERROR_ACCEPT };
extern const char *const mw_av_on_limit_names[];	/* "accept","tag","tempfail" */
extern const char *const mw_av_on_error_names[];	/* "tempfail","accept" */

/* Build the virus scanner for one generation from its configuration: finds or
 * loads the shared engine (or checks the clamd address).  NULL on error (in diag). */
struct mw_av	*mw_av_new(const struct mw_conf *c, struct mw_diag *diag);
void		 mw_av_free(struct mw_av *av);

/* Scan a whole RFC 5322 message (header block first) from memory; ClamAV decodes
 * MIME, archives and attached messages itself.  Fills r (state, name or error,
 * elapsed time); never fails otherwise. */
void	mw_av_scan(const struct mw_av *av, const char *data, size_t len,
	    struct mw_virus_result *r);

/* The stage for mw_scan: runs when ctx->policy.virus, scans, adds the X-Virus-*
 * headers and proposes the configured action.  -1 only on ENOMEM. */
int	mw_av_stage(struct mw_scan_ctx *ctx);

/* One line describing the engine (signatures, database version, load time, limits)
 * or the backend, for the daemon's startup and reload log.  Returns av's state:
 * true when messages will really be scanned. */
bool	mw_av_describe(const struct mw_av *av, char *buf, size_t len);

/* The reply text for a rejected virus: template with %v = signature name (made safe
 * for SMTP) and %% = '%'.  Any other '%' sequence was refused at configuration time. */
void	mw_av_format_reply(const char *tmpl, const char *virus, char *out, size_t outlen);
/* Validate a reply template; returns -1 and a reason when it uses other escapes. */
int	mw_av_check_reply_template(const char *tmpl, char *why, size_t whylen);

/* --- database watcher (called by the daemon) --- */
enum mw_av_event_level { MW_AV_EVENT_INFO, MW_AV_EVENT_WARNING, MW_AV_EVENT_ERROR };
typedef void (*mw_av_reporter)(enum mw_av_event_level level, const char *text);
/* Where the watcher reports reloads and failures (one line each; called from the
 * watcher thread).  NULL = nowhere.  Set it before mw_av_watcher_start(). */
void	mw_av_set_reporter(mw_av_reporter fn);
int	mw_av_watcher_start(void);	/* 0, or -1 with errno */
void	mw_av_watcher_stop(void);	/* joins the thread; safe when not started */
/* Ask the watcher to check every database now (SIGHUP) rather than at the next
 * interval; what changed is reloaded, an unchanged database is not loaded again.
 * Call it from the daemon's sigwait thread, not from a signal handler: it signals a
 * condition variable. */
void	mw_av_request_reload(void);

/* Check every engine's database now and reload what changed (all of them when
 * force: the benchmark); what the watcher does on each tick and on request.  Returns
 * the number of engines that failed to reload.  Tests call it directly. */
int	mw_av_check_now(bool force);

/* Counters for tests and the benchmark: number of live engines (slots) and of
 * successful reloads so far. */
unsigned mw_av_slot_count(void);
unsigned long mw_av_reload_count(void);

#endif
