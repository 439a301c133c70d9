/*
 * diag - a list of diagnostics ("file:line: what") collected while building a
 * configuration generation, so every error is reported, not just the first.
 */
#ifndef MW_DIAG_H
#define MW_DIAG_H

#include <stddef.h>

enum mw_diag_level { MW_DIAG_WARNING, MW_DIAG_ERROR };

struct mw_diag_entry {
	enum mw_diag_level level;
	char	*text;		/* "file:line: message" */
};

struct mw_diag {
	struct mw_diag_entry *v;
	size_t	 n, cap;
	size_t	 nerrors;
	size_t	 nwarnings;
};

void	mw_diag_init(struct mw_diag *d);
void	mw_diag_free(struct mw_diag *d);
/* file may be NULL (no location); line 0 means "whole file". Never fails visibly:
 * on ENOMEM the entry is counted but its text is a fixed string. */
void	mw_diag_add(struct mw_diag *d, enum mw_diag_level lvl, const char *file,
	    unsigned line, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define mw_diag_error(d, f, l, ...)	mw_diag_add((d), MW_DIAG_ERROR, (f), (l), __VA_ARGS__)
#define mw_diag_warn(d, f, l, ...)	mw_diag_add((d), MW_DIAG_WARNING, (f), (l), __VA_ARGS__)

#endif
