/*
 * perlre - Perl match operators as SpamAssassin rule files write them ("/re/i",
 * "m{re}s", "m!re!") turned into a PCRE2 pattern and compile options.
 *
 * PCRE2 accepts nearly all of Perl's regex syntax; what differs is handled here:
 * the quoting construct (delimiters, bracket nesting), the trailing flags, and
 * escapes that Perl passes through as literals ("\y" is "y" in Perl, an error in
 * PCRE2).  Matching is byte-oriented like SpamAssassin's (no PCRE2_UTF) unless the
 * pattern needs code points above 0xff; mw_perlre_compile() then retries in UTF
 * mode with PCRE2_MATCH_INVALID_UTF.
 */
#ifndef MW_PERLRE_H
#define MW_PERLRE_H

#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

struct mw_perlre {
	char	*pattern;	/* PCRE2 pattern, NUL-terminated (may contain NUL: use len) */
	size_t	 len;
	uint32_t options;	/* PCRE2 compile options from the Perl flags */
};

/*
 * Parse the match operator starting at s (leading white space skipped).  *endp is
 * set just past the flags.  Returns 0, or -1 with a reason in err (ENOMEM too).
 */
int	mw_perlre_parse(const char *s, const char **endp, struct mw_perlre *out,
	    char *err, size_t errlen);
void	mw_perlre_free(struct mw_perlre *re);

/*
 * Compile with JIT when available (interpreter otherwise).  *utf is set when the
 * pattern had to be compiled in UTF mode.  Returns NULL with a reason in err.
 */
pcre2_code *mw_perlre_compile(const struct mw_perlre *re, int *utf, char *err,
	    size_t errlen);

/*
 * Literals for the prefilter: a set such that every match contains at least one of
 * them (one per alternative of a top-level or required-group alternation), each at
 * least min_len bytes, lower-cased (the prefilter folds ASCII case).  Returns the
 * number found, 0 when nothing can be proven (the rule then always runs).
 */
#define MW_PERLRE_MAX_LITS	32
#define MW_PERLRE_LIT_MAX	64	/* longer runs are cut: a part is required too */
struct mw_perlre_lits {
	size_t	 n;
	size_t	 len[MW_PERLRE_MAX_LITS];
	char	 s[MW_PERLRE_MAX_LITS][MW_PERLRE_LIT_MAX];
};
size_t	mw_perlre_literals(const struct mw_perlre *re, struct mw_perlre_lits *out,
	    size_t min_len);

/* The single required literal (a set of one), or 0. */
size_t	mw_perlre_required_literal(const struct mw_perlre *re, char *buf, size_t cap,
	    size_t min_len);

#endif
