/*
 * generation - one complete, immutable configuration: the options plus everything
 * built from them (customers table, compiled rules, SPF settings, virus engine
 * handle).  Built whole, swapped in whole, freed when its last user lets go.
 * A connection takes a reference when it starts and keeps that generation to the
 * end, so a reload never changes the rules under a message being scanned.
 */
#ifndef MW_GENERATION_H
#define MW_GENERATION_H

#include <stdatomic.h>
#include <stdbool.h>

#include "conf.h"
#include "diag.h"

struct mw_ruleset;	/* issue 4 */
struct mw_av;		/* issue 6 */
struct mw_spf;		/* issue 7 */
struct mw_customers;	/* issue 8 */
struct mw_policy_config;	/* issue 8 */

struct mw_generation {
	unsigned long	 id;
	atomic_uint	 refs;
	struct mw_conf	*conf;
	char		 hostname[256];	/* conf->hostname or the system's */

	/* --- spam rules (issue 4) --- */
	struct mw_ruleset *rules;
	/* --- virus scanning (issue 6) --- */
	struct mw_av	*av;
	/* --- SPF (issue 7) --- */
	struct mw_spf	*spf;
	/* --- customers and policy (issue 8) --- */
	struct mw_customers *customers;	/* NULL when no customers file is configured */
	struct mw_policy_config *policy; /* base/submission policies, trusted networks */
};

/* Build a generation from the config file (NULL or missing with missing_ok = embedded
 * defaults).  Every problem goes to diag; NULL when any error was found. */
struct mw_generation *mw_generation_build(const char *conf_path, bool missing_ok,
	    unsigned long id, struct mw_diag *diag);
struct mw_generation *mw_generation_ref(struct mw_generation *g);
void	mw_generation_unref(struct mw_generation *g);

/* The process-wide current generation (reload swaps it under a lock). */
struct mw_generation *mw_current_acquire(void);	/* returns a new reference */
void	mw_current_replace(struct mw_generation *g);	/* takes over the caller's ref */

#endif
