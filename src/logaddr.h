/*
 * logaddr - how a mail address appears in a log record (log_addresses = full |
 * domain | hash).  Shared by the record writer (output.c) and mailwarden-report,
 * which must compute exactly the same token to find a hashed address.
 *
 * hash: "h:" + the first 8 bytes (16 hex digits) of HMAC-SHA256(log_hash_key,
 * lower-cased address), then "@domain" so per-domain counts still work.
 * Pure: no I/O.
 */
#ifndef MW_LOGADDR_H
#define MW_LOGADDR_H

#include <stddef.h>

#include "buf.h"

#define MW_LOGADDR_HEX	16		/* hex digits kept of the HMAC */

/* hex must hold MW_LOGADDR_HEX + 1 bytes.  Returns -1 if libcrypto fails. */
int	mw_logaddr_hash(const char *key, size_t keylen, const char *addr, char *hex);
/* Append addr as a log value in the given mode (enum mw_log_addresses).  NULL -> "-",
 * the null sender "" -> "<>".  Escaped like every other log value. */
int	mw_logaddr_put(struct mw_buf *b, int mode, const char *key, const char *addr);

#endif
