/*
 * rules_eval - run a compiled ruleset (rules_load.h) over one message.
 *
 * Matching follows SpamAssassin: header rules on the joined values of a field
 * (decoded, one "\n" after each; a missing field matches as the empty string
 * unless [if-unset:] says otherwise), body rules per rendered paragraph, rawbody
 * per decoded line chunk, full on the whole message, uri per URI, tflags multiple/
 * maxhits counting matches, metas over the hit counts, scores summed per hit.
 *
 * Thread safety: the ruleset is read-only; each thread gets its own PCRE2 match
 * data, match context (with match/depth/heap limits) and JIT stack, created on
 * first use and freed at thread exit.
 */
#ifndef MW_RULES_EVAL_H
#define MW_RULES_EVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "message.h"
#include "mime.h"
#include "rules_load.h"

struct mw_scan_ctx;

struct mw_relays;

struct mw_rules_input {
	const struct mw_message *msg;		/* headers; data/len = the "full" view */
	const struct mw_views *views;		/* body views; NULL = no body rules hit */
	/* RFC 2047-decoded value of a header (mw_mime_header_decoded), or NULL */
	const char *(*decoded)(const struct mw_message *, const char *, size_t);
	const char *envelope_from;		/* MAIL FROM, NULL = from Return-Path */
	const struct mw_scan_ctx *ctx;		/* for native eval functions; NULL = none */
	const struct mw_relays *relays;		/* X-Spam-Relays-*, ALL-TRUSTED...; NULL =
						 * not analysed (those fields are unset) */
	double	 budget_ms;			/* 0 = no time budget */
	bool	 keep_matches;			/* record the matched text (--explain) */
	bool	 no_prefilter;			/* run every regex (for measurements) */
	bool	 all_hits;			/* also list __ subrules (debugging) */
	double	*rule_ms;			/* profiling: per-rule time added here, or NULL */
};

struct mw_rule_hit {
	size_t	 rule;		/* index into ruleset->rules */
	unsigned count;		/* matches counted (tflags multiple) */
	double	 score;		/* score added by this rule */
	char	*match;		/* shortened matched text when keep_matches, or NULL */
};

struct mw_rules_result {
	double	 score;
	struct mw_rule_hit *hits;	/* scoring rules that hit, in evaluation order */
	size_t	 nhits;
	bool	 budget_exceeded;	/* some rules were skipped for time */
	size_t	 match_errors;		/* PCRE2 limit hits and errors (counted as no match) */
	size_t	 regex_run;		/* regex rules actually run */
	size_t	 prefilter_skipped;	/* regex rules the prefilter proved cannot match */
	double	 elapsed_ms;
};

/* Returns 0, or -1 on ENOMEM (result then holds what was found so far). */
int	mw_rules_run(const struct mw_ruleset *rs, const struct mw_rules_input *in,
	    struct mw_rules_result *out);
void	mw_rules_result_free(struct mw_rules_result *res);

/* PCRE2 limits applied to every match (also used by the tests). */
#define MW_RULES_MATCH_LIMIT	1000000u
#define MW_RULES_DEPTH_LIMIT	10000u
#define MW_RULES_HEAP_LIMIT_KB	32768u

#endif
