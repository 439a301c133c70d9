/*
 * rules_load - SpamAssassin rule files into one compiled, immutable ruleset.
 *
 * Reads the SpamAssassin rule language (header/body/rawbody/full/uri/meta/
 * mimeheader rules, eval: rules, score/describe/tflags/priority, required_score,
 * ifplugin/if/else/endif with plugin(), can() and version, and the ReplaceTags
 * directives).  Later definitions override earlier ones, as in SpamAssassin.
 * Problems are collected as "file:line: what" in a struct mw_diag: a rule that does
 * not compile is reported (warning) and skipped, never stopping the others.
 *
 * A ruleset is built once per configuration generation and only read afterwards,
 * so all threads share it; per-thread match state lives in rules_eval.c.
 */
#ifndef MW_RULES_LOAD_H
#define MW_RULES_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "eval.h"
#include "perlre.h"

enum mw_rule_kind {
	MW_RK_HEADER, MW_RK_MIMEHEADER, MW_RK_BODY, MW_RK_RAWBODY, MW_RK_FULL, MW_RK_URI,
	MW_RK_META, MW_RK_COUNT
};
extern const char *const mw_rule_kind_names[];

enum mw_rule_test {
	MW_RT_REGEX,		/* =~ or !~ a regex */
	MW_RT_EXISTS,		/* header exists:Field */
	MW_RT_EVAL,		/* eval:function(args) */
	MW_RT_META,		/* meta expression */
};

/* header field pseudo-names SpamAssassin knows */
enum mw_hdr_source { MW_HS_FIELD, MW_HS_ALL, MW_HS_TOCC, MW_HS_ENVFROM, MW_HS_MESSAGEID,
	/* issue 5: the relay analysis (relays.h), in enum mw_relay_list order */
	MW_HS_RELAYS_TRUSTED, MW_HS_RELAYS_UNTRUSTED, MW_HS_RELAYS_INTERNAL,
	MW_HS_RELAYS_EXTERNAL,
	MW_HS_ALL_TRUSTED, MW_HS_ALL_UNTRUSTED, MW_HS_ALL_INTERNAL, MW_HS_ALL_EXTERNAL };

enum {
	MW_HM_RAW = 1u << 0, MW_HM_ADDR = 1u << 1, MW_HM_NAME = 1u << 2,
	MW_HM_FIRST = 1u << 3, MW_HM_LAST = 1u << 4,
	MW_HM_UNSUPPORTED = 1u << 5,	/* :host :domain :ip :revip (need DNS-ish parsing) */
};

enum {
	MW_TF_MULTIPLE = 1u << 0, MW_TF_NICE = 1u << 1, MW_TF_NET = 1u << 2,
	MW_TF_NOSUBJECT = 1u << 3, MW_TF_LEARN = 1u << 4, MW_TF_USERCONF = 1u << 5,
};

/* A meta expression in postfix order. */
enum mw_meta_op {
	MW_MO_NUM, MW_MO_RULE, MW_MO_NOT, MW_MO_NEG, MW_MO_MUL, MW_MO_DIV, MW_MO_ADD,
	MW_MO_SUB, MW_MO_LT, MW_MO_GT, MW_MO_LE, MW_MO_GE, MW_MO_EQ, MW_MO_NE, MW_MO_XOR,
	MW_MO_AND, MW_MO_OR, MW_MO_COND,
};
struct mw_meta_tok {
	enum mw_meta_op op;
	double	 num;
	size_t	 rule;		/* index into rules; SIZE_MAX = undefined rule (0) */
};

struct mw_rule {
	char	*name;
	char	*describe;
	const char *file;	/* points into ruleset->files */
	unsigned line;
	enum mw_rule_kind kind;
	enum mw_rule_test test;
	char	*src;		/* the test as written: regex, eval call or meta expr */

	/* regex */
	struct mw_perlre pre;	/* translated pattern (kept for ReplaceTags and lint) */
	pcre2_code *re;
	bool	 negate;	/* !~ */
	bool	 utf;		/* compiled in UTF mode */
	struct mw_perlre_lits *lits;	/* prefilter literals (one must occur), or NULL */

	/* header / mimeheader */
	char	*field;
	enum mw_hdr_source source;
	unsigned hmods;
	char	*if_unset;	/* [if-unset: ...] or NULL */
	size_t	 hkey;		/* rules reading the same value share this (per-message cache) */

	/* eval */
	char	*eval_fn;
	char   **eval_argv;
	size_t	 eval_argc;
	mw_eval_fn native;	/* NULL = no native implementation: never hits */

	/* meta */
	struct mw_meta_tok *rpn;
	size_t	 nrpn;

	/* scoring */
	double	 scores[4];
	bool	 has_score;
	double	 score;		/* in the ruleset's score set */
	unsigned tflags;
	unsigned maxhits;	/* 0 = unlimited (with multiple) */
	int	 priority;

	bool	 broken;	/* did not compile: loaded, never runs */
	bool	 active;	/* runs: scores, or a scoring meta needs it */
};

struct mw_ruleset_stats {
	size_t	 files;
	size_t	 by_kind[MW_RK_COUNT];
	size_t	 evals, evals_native;
	size_t	 compile_failures;
	size_t	 unsupported;		/* loaded but cannot run (e.g. :host modifier) */
	size_t	 active;
	size_t	 prefiltered;		/* active regex rules with a required literal */
	size_t	 ignored_directives;	/* settings of plugins we do not implement */
	double	 load_ms;
};

struct mw_acm;	/* the prefilter automaton (rules_eval.c) */
struct mw_relay_conf;	/* relays.h */

struct mw_ruleset {
	struct mw_rule *rules;
	size_t	 nrules, cap;
	char   **files;
	size_t	 nfiles;
	int	 score_set;
	double	 required_score;
	/* evaluation order: non-meta active rules, then metas in dependency order */
	size_t	*order;
	size_t	 norder;
	size_t	 first_meta;		/* index into order where metas begin */
	size_t	 nhkeys;		/* distinct header values the header rules read */
	/* per-kind prefilters over required literals (body, rawbody, full, uri) */
	struct mw_acm *acm[MW_RK_COUNT];
	size_t	*always[MW_RK_COUNT];	/* active rules of that kind without a literal */
	size_t	 nalways[MW_RK_COUNT];
	struct mw_ruleset_stats stats;
	/* the table of names during loading */
	struct mw_rule_index *index;
	/* --- eval tests (issue 5): freemail_* lists and other eval settings --- */
	struct mw_eval_sa_conf *eval_conf;
	struct mw_relay_conf *relay_conf;	/* trusted_networks...; NULL = defaults */
};

/*
 * Load rule files and directories (a directory: its *.cf files in lexical order,
 * like SpamAssassin).  score_set 0..3.  Errors (unreadable file, bad conditional)
 * go to diag as errors; rules that fail to compile as warnings.  Returns NULL only
 * on ENOMEM or when nothing could be read.
 */
struct mw_ruleset *mw_rules_load(const char *const *paths, size_t npaths, int score_set,
	    struct mw_diag *diag);
/* The `rules` option: comma-separated paths; a path starting with '?' is skipped
 * when it does not exist.  An empty list gives an empty ruleset. */
struct mw_ruleset *mw_rules_load_list(const char *list, int score_set, struct mw_diag *diag);
/* Load from a string (tests, fuzzing): name is used in diagnostics. */
struct mw_ruleset *mw_rules_load_string(const char *name, const char *text, size_t len,
	    int score_set, struct mw_diag *diag);
void	mw_rules_free(struct mw_ruleset *rs);

const struct mw_rule *mw_rules_find(const struct mw_ruleset *rs, const char *name);

/* --lint: counts by type, eval rules without a native function (listed), compile
 * failures, rules that cannot run. */
void	mw_rules_lint_report(const struct mw_ruleset *rs, FILE *out);

/* The conditional evaluator (exposed for the unit tests): 1 true, 0 false, -1 bad. */
int	mw_rules_eval_condition(const char *expr);

/* Internal: build the prefilter (rules_eval.c). */
int	mw_rules_prefilter_build(struct mw_ruleset *rs);
void	mw_rules_prefilter_free(struct mw_ruleset *rs);

#endif
