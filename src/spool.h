/*
 * spool - where the milter keeps one message while it arrives: in memory up to a
 * limit, then in a private temporary file that is unlinked the moment it is
 * created (so nothing survives a crash) and mapped read-only for the core.
 * Beyond max_keep bytes nothing more is kept, but the size is still counted, so an
 * oversize message is reported, never silently truncated and scanned.
 */
#ifndef MW_SPOOL_H
#define MW_SPOOL_H

#include <stdbool.h>
#include <stddef.h>

struct mw_spool {
	const char *dir;	/* private directory (mode 0700), not owned */
	size_t	 mem_limit;
	size_t	 max_keep;
	char	*mem;
	size_t	 len;		/* bytes kept */
	size_t	 cap;
	size_t	 total;		/* bytes offered */
	int	 fd;		/* -1 while in memory */
	void	*map;
	size_t	 map_len;
};

void	mw_spool_init(struct mw_spool *s, const char *dir, size_t mem_limit, size_t max_keep);
/* -1 with errno on failure (ENOSPC, EIO, ENOMEM): the caller must tempfail. */
int	mw_spool_write(struct mw_spool *s, const void *p, size_t n);
/* A contiguous read-only view of what was kept. */
int	mw_spool_view(struct mw_spool *s, const char **data, size_t *len);
void	mw_spool_free(struct mw_spool *s);
bool	mw_spool_on_disk(const struct mw_spool *s);

/* Create a private spool directory below parent (mode 0700); path is malloc'd. */
char	*mw_spool_mkdir(const char *parent);
/* Remove it again (must be empty: every spool file is unlinked at creation). */
void	mw_spool_rmdir(const char *path);

#endif
