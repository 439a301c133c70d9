/*
 * eval - native C functions behind SpamAssassin `eval:` rules.
 *
 * A rule `header SPF_PASS eval:check_for_spf_pass()` is loaded by the rule engine
 * (issue 4) as a named rule whose test is the function registered here under
 * "check_for_spf_pass".  Stages that own the facts register their functions in the
 * table in eval.c (one marked section per issue).  An eval name without an entry is
 * loaded as a rule with no test: it never hits, and --lint lists it.
 */
#ifndef MW_EVAL_H
#define MW_EVAL_H

#include <stddef.h>

struct mw_scan_ctx;

struct mw_eval_args {
	size_t	 argc;
	const char *const *argv;	/* arguments as written, quotes removed */
};

/* Returns 1 = hit, 0 = no hit, -1 = could not evaluate (treated as no hit). */
typedef int (*mw_eval_fn)(const struct mw_scan_ctx *ctx, const struct mw_eval_args *args);

struct mw_eval_entry {
	const char *name;
	mw_eval_fn  fn;
};

const struct mw_eval_entry *mw_eval_lookup(const char *name);

#endif
