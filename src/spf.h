/*
 * spf - the SPF stage (issue 7): RFC 7208 checks with libspf2.
 *
 * The MAIL FROM identity (the HELO identity when MAIL FROM is null) is checked
 * against the client address; the result goes into v->spf, into two headers
 * (Received-SPF, RFC 7208 section 9.1; Authentication-Results, RFC 8601), into
 * the spam score through the eval functions below (SpamAssassin's SPF_* rules),
 * and optionally into the decision (spf_fail_action, spf_temperror_action).
 *
 * libspf2 state: one SPF_server per thread (a pthread key with a destructor),
 * built on first use with its DNS cache and kept for every later message; it is
 * rebuilt only when a new generation changes the DNS settings.  A DNS failure is
 * temperror, never none.
 *
 * Core module: no logging, no output; file reading only for the test-only zone
 * file at generation build time.
 */
#ifndef MW_SPF_H
#define MW_SPF_H

#include <stdbool.h>

#include "conf.h"
#include "diag.h"
#include "eval.h"

struct mw_spf;			/* per-generation settings, immutable */
struct mw_scan_ctx;

enum mw_spf_res {
	MW_SPF_NONE, MW_SPF_NEUTRAL, MW_SPF_PASS, MW_SPF_FAIL, MW_SPF_SOFTFAIL,
	MW_SPF_TEMPERROR, MW_SPF_PERMERROR,
};
const char *mw_spf_res_name(enum mw_spf_res r);	/* "pass", "temperror", ... */

/* Build the settings from the configuration (trusted networks, DNS options, the
 * test zone).  hostname names the receiver in Received-SPF.  Errors go to diag;
 * NULL when there was any. */
struct mw_spf	*mw_spf_new(const struct mw_conf *c, const char *hostname,
		    struct mw_diag *diag);
void		 mw_spf_free(struct mw_spf *s);

/* Is addr (textual IPv4/IPv6) inside spf_trusted_networks? */
bool	mw_spf_trusted(const struct mw_spf *s, const char *addr);

/* One check, for tests and the stage.  sender: the MAIL FROM address, or NULL/""
 * for the HELO identity.  Returns -1 on an internal failure (ENOMEM). */
struct mw_spf_answer {
	enum mw_spf_res result;
	char	 domain[256];		/* the checked identity's domain */
	char	 explanation[256];	/* fail: the domain's explanation, sanitised */
	char	 problem[128];		/* temperror/permerror/none: why */
	unsigned lookups;		/* DNS lookups below the guard (cache hits included) */
};
int	mw_spf_check(const struct mw_spf *s, const char *client_addr, const char *helo,
	    const char *sender, struct mw_spf_answer *out);

/* The stage, called by mw_scan after the virus stage.  -1 on ENOMEM. */
int	mw_spf_stage(struct mw_scan_ctx *ctx);

/* RFC 8601 section 5: remove inbound Authentication-Results fields whose authserv-id
 * is ours (authserv_id, else the MTA's j macro, else hostname): they are forged.  Run
 * for every scanned message, before the size limit, like the other forged fields. */
int	mw_spf_strip_forged(struct mw_scan_ctx *ctx);

/* Free the calling thread's libspf2 server now instead of at thread exit
 * (single-threaded programs and tests that want a clean leak report). */
void	mw_spf_thread_cleanup(void);

/* Native eval functions for SpamAssassin's 25_spf.cf (registered in eval.c). */
int	mw_spf_eval_pass(const struct mw_scan_ctx *, const struct mw_eval_args *);
int	mw_spf_eval_neutral(const struct mw_scan_ctx *, const struct mw_eval_args *);
int	mw_spf_eval_none(const struct mw_scan_ctx *, const struct mw_eval_args *);
int	mw_spf_eval_fail(const struct mw_scan_ctx *, const struct mw_eval_args *);
int	mw_spf_eval_softfail(const struct mw_scan_ctx *, const struct mw_eval_args *);
int	mw_spf_eval_permerror(const struct mw_scan_ctx *, const struct mw_eval_args *);
int	mw_spf_eval_temperror(const struct mw_scan_ctx *, const struct mw_eval_args *);
int	mw_spf_eval_helo_pass(const struct mw_scan_ctx *, const struct mw_eval_args *);
int	mw_spf_eval_helo_neutral(const struct mw_scan_ctx *, const struct mw_eval_args *);
int	mw_spf_eval_helo_none(const struct mw_scan_ctx *, const struct mw_eval_args *);
int	mw_spf_eval_helo_fail(const struct mw_scan_ctx *, const struct mw_eval_args *);
int	mw_spf_eval_helo_softfail(const struct mw_scan_ctx *, const struct mw_eval_args *);
int	mw_spf_eval_helo_permerror(const struct mw_scan_ctx *, const struct mw_eval_args *);
int	mw_spf_eval_helo_temperror(const struct mw_scan_ctx *, const struct mw_eval_args *);

#endif
