/*
 * milter - the libmilter shell: callbacks that only collect the connection, the
 * envelope and the message, hand them to mw_scan() at end of message, and apply the
 * verdict.  The only files that include <libmilter/mfapi.h> are milter.c,
 * milter_apply.c and daemon.c.
 */
#ifndef MW_MILTER_H
#define MW_MILTER_H

struct smfiDesc;

/* The filter description registered with smfi_register(). */
struct smfiDesc *mw_milter_desc(void);
/* Where message bodies beyond memory_body_limit are spooled (private 0700 dir). */
void	mw_milter_set_spool_dir(const char *dir);

#endif
