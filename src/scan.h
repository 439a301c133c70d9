/*
 * scan - the pure core's entry point:
 *
 *     verdict = mw_scan(generation, envelope, message bytes)
 *
 * No libmilter, no file or socket I/O, no logging in here: the milter shell and
 * --scan both call this and then apply/print the verdict.  Stages run in a fixed
 * order, each in its own file, each reading the scan context and writing its
 * result into the verdict:
 *
 *   headers -> strip forged result headers -> policy -> size limit -> tls ->
 *   mime -> virus -> spf -> spam rules -> decide
 */
#ifndef MW_SCAN_H
#define MW_SCAN_H

#include <stddef.h>

#include "envelope.h"
#include "generation.h"
#include "message.h"
#include "policy.h"
#include "verdict.h"

struct mw_relays;

struct mw_scan_ctx {
	const struct mw_generation *gen;
	const struct mw_conf *conf;
	const struct mw_envelope *env;
	struct mw_message msg;
	struct mw_policy policy;	/* effective policy for this message */
	struct mw_verdict *v;
	const struct mw_relays *relays;	/* issue 5: the spam stage's relay analysis, or NULL */
};

/*
 * data/len: the message as kept (header block first).  total_size: the size the MTA
 * delivered; when it exceeds max_message_size the message was not kept whole and is
 * handled by oversize_action without being scanned.  Always fills v; returns -1 only
 * when an internal error (ENOMEM) forced a tempfail verdict.
 */
int	mw_scan(const struct mw_generation *gen, const struct mw_envelope *env,
	    const char *data, size_t len, size_t total_size, struct mw_verdict *v);

/* The MIME model's limits from the configuration (the stage and --dump-parts). */
struct mw_mime_limits;
void	mw_scan_mime_limits(const struct mw_conf *c, struct mw_mime_limits *ml);

/* Names of the headers mailwarden writes; inbound copies are removed (case-insensitive,
 * prefix match when the entry ends in '*'). */
extern const char *const mw_own_headers[];

#endif
