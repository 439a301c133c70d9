/*
 * generation - build, reference-count and publish configuration generations.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "generation.h"
#include "rules_load.h"	/* issue 4 */
#include "av.h"		/* issue 6 */
#include "customers.h"	/* issue 8 */
#include "policy.h"	/* issue 8 */
#include "spf.h"		/* issue 7 */
#include "tls.h"	/* issue 9 */

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mw_generation *current;

static void
generation_free(struct mw_generation *g)
{
	if (g == NULL)
		return;
	/* Stage objects are freed here as the stages arrive (issues 4, 6, 7, 8). */
	mw_rules_free(g->rules);			/* issue 4 */
	mw_av_free(g->av);				/* issue 6 */
	mw_spf_free(g->spf);				/* issue 7 */
	mw_customers_free(g->customers);		/* issue 8 */
	mw_policy_config_free(g->policy);		/* issue 8 */
	mw_conf_free(g->conf);
	free(g);
}

struct mw_generation *
mw_generation_build(const char *conf_path, bool missing_ok, unsigned long id,
    struct mw_diag *diag)
{
	struct mw_generation *g;
	size_t errors_before = diag->nerrors;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		mw_diag_error(diag, conf_path, 0, "out of memory");
		return NULL;
	}
	atomic_init(&g->refs, 1);
	g->id = id;
	if ((g->conf = mw_conf_load(conf_path, missing_ok, diag)) == NULL)
		goto fail;

	if (g->conf->hostname[0] != '\0')
		snprintf(g->hostname, sizeof(g->hostname), "%s", g->conf->hostname);
	else if (gethostname(g->hostname, sizeof(g->hostname) - 1) != 0)
		snprintf(g->hostname, sizeof(g->hostname), "localhost");

	/* --- spam rules (issue 4) --- */
	g->rules = mw_rules_load_list(g->conf->rules, (int)g->conf->score_set, diag);
	/* --- virus scanning (issue 6) --- */
	/* Shares the loaded engine with earlier generations of equal database settings;
	 * NULL = an error in diag, which fails the build below with everyone else's. */
	g->av = mw_av_new(g->conf, diag);
	/* --- SPF (issue 7) --- */
	g->spf = mw_spf_new(g->conf, g->hostname, diag);
	/* --- customers and policy (issue 8) --- */
	g->policy = mw_policy_config_build(g->conf, diag);
	if (g->conf->customers[0] != '\0') {
		struct mw_customers_opts co = {
			.local_part_case_sensitive =
			    g->conf->local_part_case == MW_LOCAL_PART_SENSITIVE,
			.recipient_delimiter = g->conf->recipient_delimiter,
		};
		char *path = mw_policy_customers_path(g->conf);

		if (path == NULL)
			mw_diag_error(diag, g->conf->path, 0, "out of memory");
		else
			g->customers = mw_customers_load(path, &co, diag);
		free(path);
	}
	/* --- TLS audit (issue 9) --- */
	mw_tls_conf_check(g->conf, diag);

	if (diag->nerrors > errors_before)
		goto fail;
	return g;
fail:
	generation_free(g);
	return NULL;
}

struct mw_generation *
mw_generation_ref(struct mw_generation *g)
{
	if (g != NULL)
		atomic_fetch_add(&g->refs, 1);
	return g;
}

void
mw_generation_unref(struct mw_generation *g)
{
	if (g != NULL && atomic_fetch_sub(&g->refs, 1) == 1)
		generation_free(g);
}

struct mw_generation *
mw_current_acquire(void)
{
	struct mw_generation *g;

	pthread_mutex_lock(&current_lock);
	g = mw_generation_ref(current);
	pthread_mutex_unlock(&current_lock);
	return g;
}

void
mw_current_replace(struct mw_generation *g)
{
	struct mw_generation *old;

	pthread_mutex_lock(&current_lock);
	old = current;
	current = g;
	pthread_mutex_unlock(&current_lock);
	mw_generation_unref(old);
}
