/*
 * customers - the customers file: which recipients opted in to which filtering.
 *
 *     # key                 options
 *     *                     spam=off virus=off
 *     example.com           spam=on virus=on
 *     .example.org          virus=on            # the domain and all its subdomains
 *     ceo@example.com       spam_threshold=8 spam_action=subject
 *
 * Keys: a mailbox (local@domain), a domain (exactly that domain), .domain (the
 * domain and every subdomain), or * (everyone).  For a recipient the matching
 * entries are, most specific first:
 *
 *     local+ext@domain, local@domain (delimiter stripped), domain,
 *     .domain, .parent-domain, ..., .tld, *, the built-in defaults
 *
 * and every option an entry does not set is inherited from the next entry in that
 * chain.  Lookup is a handful of hash probes (one per domain label), independent of
 * the number of entries.  The file format is a public interface: doc/CUSTOMERS.md.
 *
 * Core module: no logging; every problem goes into struct mw_diag as file:line.
 */
#ifndef MW_CUSTOMERS_H
#define MW_CUSTOMERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "diag.h"
#include "policy.h"

struct mw_customers;

struct mw_customers_opts {
	bool	 local_part_case_sensitive;	/* compare local parts byte-exact */
	const char *recipient_delimiter;	/* characters that start an extension; "" = none */
};

/* An empty table (every lookup falls through to the caller's base policy). */
struct mw_customers *mw_customers_new(const struct mw_customers_opts *o);
void	mw_customers_free(struct mw_customers *t);

/*
 * Parse a customers file into a new table.  Every error (unknown option, bad value,
 * malformed or duplicate key, unreadable file) is reported to diag as file:line;
 * returns NULL when there was any.  The file's identity (device, inode, size, mtime)
 * is remembered for mw_customers_file_changed().
 */
struct mw_customers *mw_customers_load(const char *path, const struct mw_customers_opts *o,
	    struct mw_diag *diag);

/* Parse entries from a memory buffer (tests); `name` is used in diagnostics. */
struct mw_customers *mw_customers_parse(const char *name, const char *text, size_t len,
	    const struct mw_customers_opts *o, struct mw_diag *diag);

size_t	mw_customers_count(const struct mw_customers *t);

/*
 * The policy of one recipient: start from *base, apply the matching entries from
 * the least to the most specific.  out->key is the most specific matching key, or
 * base->key when nothing matched.  Returns 1 when an entry matched, 0 when not.
 */
int	mw_customers_lookup(const struct mw_customers *t, const char *rcpt,
	    const struct mw_policy *base, struct mw_policy *out);

/* The file the table was loaded from, or NULL. */
const char *mw_customers_path(const struct mw_customers *t);

/* True when the file the table was loaded from is no longer the same file
 * (replaced, resized, touched, removed).  False for tables not loaded from a file. */
bool	mw_customers_file_changed(const struct mw_customers *t);

#endif
