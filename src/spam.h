/*
 * spam - the spam-rules stage: runs the generation's ruleset (rules_load.h,
 * rules_eval.h) when the message's policy asks for spam scoring, fills
 * verdict->spam, adds SpamAssassin's headers (X-Spam-Flag, X-Spam-Score,
 * X-Spam-Level, X-Spam-Status) and proposes the policy's action.
 */
#ifndef MW_SPAM_H
#define MW_SPAM_H

#include "buf.h"
#include "envelope.h"
#include "generation.h"
#include "scan.h"

/* The stage.  Returns -1 only on ENOMEM (the caller tempfails). */
int	mw_spam_stage(struct mw_scan_ctx *ctx);

/* The threshold a message is judged by: the policy's, or for the built-in policy
 * (key "-") the spam_threshold option. */
double	mw_spam_required(const struct mw_scan_ctx *ctx);

/*
 * --explain: score the message with the generation's rules (as the stage would,
 * spam policy on) and write one line per hit: score, name, description and the
 * matched text, shortened; then a total line.  data/len: the message (an mbox
 * "From " line is skipped).  Returns 0, -1 on ENOMEM or when no rules are loaded.
 */
int	mw_spam_explain(const struct mw_generation *g, const struct mw_envelope *env,
	    const char *data, size_t len, struct mw_buf *out);

#endif
