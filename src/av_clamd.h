/*
 * av_clamd - the optional remote backend: send a message to a clamd with the
 * INSTREAM command (`clamav_backend = clamd:/path/to/socket` or `clamd:host:port`).
 * Same results as the in-process engine: clean, found (signature name), or error.
 */
#ifndef MW_AV_CLAMD_H
#define MW_AV_CLAMD_H

#include <stdbool.h>
#include <stddef.h>

struct mw_clamd_addr {
	bool	 is_unix;
	char	 path[108];	/* sun_path */
	char	 host[256];
	char	 port[16];
};

/* Parse ADDRESS (the part after "clamd:"): an absolute path is a unix socket,
 * otherwise host:port ([v6addr]:port for IPv6).  -1 with a reason on error. */
int	mw_clamd_parse(const char *spec, struct mw_clamd_addr *a, char *why, size_t whylen);

enum mw_clamd_status { MW_CLAMD_CLEAN, MW_CLAMD_FOUND, MW_CLAMD_ERROR };

/* Stream data to clamd and read its answer, every step bounded by timeout_s.
 * FOUND fills name; ERROR fills err (connection failures, clamd's own errors such
 * as "INSTREAM size limit exceeded"). */
enum mw_clamd_status mw_clamd_scan(const struct mw_clamd_addr *a, long timeout_s,
	    const char *data, size_t len, char *name, size_t namelen, char *err, size_t errlen);

#endif
