/*
 * scanfile - `mailwarden --scan`: run the core on RFC 5322 files exactly as the
 * milter would, and print one result per file (JSON object or log record).
 */
#ifndef MW_SCANFILE_H
#define MW_SCANFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "generation.h"

struct mw_scanfile_opts {
	const char *from;		/* envelope sender; NULL = the null sender <> */
	const char **rcpts;
	size_t	 nrcpts;
	const char *client_ip;
	const char *client_name;
	const char *helo;
	const char *tls_version;
	const char *tls_cipher;
	int	 tls_bits;
	const char *auth;
	const char *queue_id;
	bool	 json;
};

/* The envelope the flags describe (caller clears it). -1 on ENOMEM. */
struct mw_envelope;
int	mw_scanfile_envelope(const struct mw_scanfile_opts *o, struct mw_envelope *e);

/* Returns a sysexits(3) code: EX_OK, or EX_NOINPUT when a file could not be read. */
int	mw_scanfile_run(const struct mw_generation *g, const struct mw_scanfile_opts *o,
	    char *const *files, int nfiles);

/* Map a file read-only and skip a leading mbox "From " line.  base, base_len must be
 * passed to mw_scanfile_unmap.  Returns -1 with errno. */
int	mw_scanfile_map(const char *path, const char **data, size_t *len, void **base,
	    size_t *base_len);
void	mw_scanfile_unmap(void *base, size_t base_len);

#endif
