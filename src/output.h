/*
 * output - render a verdict as the per-message log record (key=value or JSON) and
 * as the --scan --json object.  Pure formatting: the caller writes the result.
 * Both formats are public interfaces, documented in doc/FORMATS.md.
 */
#ifndef MW_OUTPUT_H
#define MW_OUTPUT_H

#include "buf.h"
#include "envelope.h"
#include "generation.h"
#include "verdict.h"

/* One log record, without the syslog prefix and without a newline. */
int	mw_output_log_record(const struct mw_generation *g, const struct mw_envelope *env,
	    const struct mw_verdict *v, struct mw_buf *out);
/* The --scan --json object for one file, without a newline. */
int	mw_output_json(const struct mw_envelope *env, const struct mw_verdict *v,
	    const char *file, struct mw_buf *out);

/* --- postmaster's view (issue 10) --- */
/* The record for recipient i (0-based) of the message, without newline: queue id,
 * recipient (per log_addresses), its customer key, the action it got and the checks
 * its policy asked for.  The milter writes one per recipient after the message record. */
int	mw_output_rcpt_records(const struct mw_generation *g, const struct mw_envelope *env,
	    const struct mw_verdict *v, size_t i, struct mw_buf *out);
/* A lifecycle record "event=NAME key=value ..." (or JSON per log_format): the
 * variable arguments are key, value string pairs ending with a NULL key; a NULL
 * value is written as "-".  Events: see doc/FORMATS.md, "Log records". */
int	mw_output_event(const struct mw_generation *g, struct mw_buf *out, const char *event,
	    ...) __attribute__((sentinel));

#endif
