/*
 * rxtab - a table of fixed PCRE2 patterns, compiled once (JIT) for the life of the
 * process.  The relay analysis and the eval tests match header text against such
 * tables; the patterns are part of the program, so a pattern that does not compile
 * is a bug and makes every later lookup fail rather than half-work.
 */
#ifndef MW_RXTAB_H
#define MW_RXTAB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "perlre.h"		/* PCRE2_CODE_UNIT_WIDTH */
#include <pcre2.h>

struct mw_rxtab_src {
	int	 id;			/* index into the table's codes */
	const char *re;
	uint32_t opt;			/* PCRE2 compile options */
};

struct mw_rxtab {
	const struct mw_rxtab_src *src;
	size_t	 nsrc;
	pcre2_code **codes;		/* ncodes slots, filled by id */
	size_t	 ncodes;
	pthread_once_t once;
	bool	 ok;			/* every slot compiled */
	int	 done;			/* set (atomically) once compiled */
};

#define MW_RXTAB_INIT(src, codes) \
	{ (src), sizeof(src) / sizeof((src)[0]), (codes), \
	  sizeof(codes) / sizeof((codes)[0]), PTHREAD_ONCE_INIT, false, 0 }

/* Compile the table on first use (thread-safe); false when it cannot be used. */
bool	mw_rxtab_ready(struct mw_rxtab *t);

#endif
