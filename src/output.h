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

#endif
