/*
 * milter_apply - turn a verdict into libmilter calls and an SMFIS_* code.
 */
#ifndef MW_MILTER_APPLY_H
#define MW_MILTER_APPLY_H

#include <stdbool.h>

#include <libmilter/mfapi.h>

#include "verdict.h"

/* Apply header edits, quarantine and reply.  If the MTA refuses an edit that the
 * verdict depends on (e.g. quarantine), the message is tempfailed rather than
 * passed unfiltered; *failed says which call failed (static string) or NULL. */
sfsistat mw_milter_apply(SMFICTX *ctx, const struct mw_verdict *v, bool leadspc,
	    const char **failed);
/* smfi_setreply with '%' escaped (libmilter treats the text as a format). */
int	mw_milter_reply(SMFICTX *ctx, int code, const char *xcode, const char *text);

#endif
