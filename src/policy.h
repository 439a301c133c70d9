/*
 * policy - what one recipient (customer) chose: which checks run and what happens
 * when they find something, and how the choices of several recipients of one
 * message are reconciled.
 *
 * The customers file (customers.c) maps recipients to policies over a base that the
 * configuration supplies.  Opt-in: with a customers file, a recipient that no entry
 * (not even "*") matches is not filtered at all.  Without a customers file every
 * recipient gets the configured defaults with spam and virus filtering on, so a
 * fresh install filters.
 *
 * One message, several recipients: a milter cannot answer per recipient after DATA,
 * so the decision is made at RCPT time (mw_policy_rcpt).  With mixed_policy=defer
 * the first accepted recipient fixes the message's policy and a later recipient
 * whose filtering differs is deferred (452 4.5.3, below); the sender retries it in
 * its own transaction.  With mixed_policy=strictest every recipient is accepted and
 * the strongest filtering of them all applies.  Authenticated submissions and
 * trusted networks get one separate policy for every recipient.
 */
#ifndef MW_POLICY_H
#define MW_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

enum mw_spam_action { MW_SPAM_TAG, MW_SPAM_SUBJECT, MW_SPAM_HOLD, MW_SPAM_REJECT };
enum mw_virus_action { MW_VIRUS_REJECT, MW_VIRUS_HOLD, MW_VIRUS_DISCARD };
enum mw_spf_fail_action { MW_SPF_FAIL_NONE, MW_SPF_FAIL_TAG, MW_SPF_FAIL_REJECT };
enum mw_tls_warn { MW_TLS_WARN_OFF, MW_TLS_WARN_LOG, MW_TLS_WARN_HEADER, MW_TLS_WARN_SUBJECT };
enum mw_mixed_policy { MW_MIXED_DEFER, MW_MIXED_STRICTEST };
enum mw_local_part_case { MW_LOCAL_PART_INSENSITIVE, MW_LOCAL_PART_SENSITIVE };

extern const char *const mw_spam_action_names[];	/* "tag","subject","hold","reject" */
extern const char *const mw_virus_action_names[];	/* "reject","hold","discard" */
extern const char *const mw_spf_fail_action_names[];	/* "none","tag","reject" */
extern const char *const mw_tls_warn_names[];		/* "off","log","header","subject" */
extern const char *const mw_mixed_policy_names[];	/* "defer","strictest" */
extern const char *const mw_local_part_case_names[];	/* "insensitive","sensitive" */

#define MW_POLICY_KEY_MAX	320
#define MW_SUBJECT_TAG_MAX	64

/* The reply for a recipient deferred by mixed_policy=defer (milter: smfi_setreply). */
#define MW_POLICY_DEFER_CODE	"452"
#define MW_POLICY_DEFER_XCODE	"4.5.3"
#define MW_POLICY_DEFER_TEXT	"Recipient policy mismatch, please retry in a separate delivery"
/* The reply when the policy could not be determined (internal error): try again. */
#define MW_POLICY_TEMPFAIL_CODE	"451"
#define MW_POLICY_TEMPFAIL_XCODE "4.3.0"
#define MW_POLICY_TEMPFAIL_TEXT	"Temporary failure in recipient policy lookup"

/* Keys recorded for policies that do not come from the customers file. */
#define MW_POLICY_KEY_BUILTIN	"-"		/* no entry matched */
#define MW_POLICY_KEY_AUTH	"@auth"		/* SASL-authenticated submission */
#define MW_POLICY_KEY_TRUSTED	"@trusted"	/* client in trusted_networks */

struct mw_policy {
	bool	 spam;			/* spam scoring on */
	bool	 virus;			/* virus scanning on */
	double	 spam_threshold;
	double	 spam_reject_threshold;	/* 0 = none: spam_action applies to all spam */
	enum mw_spam_action spam_action;
	char	 subject_tag[MW_SUBJECT_TAG_MAX];
	enum mw_virus_action virus_action;
	enum mw_spf_fail_action spf_fail_action;
	enum mw_tls_warn tls_warn;
	char	 key[MW_POLICY_KEY_MAX];	/* customer key that decided ("*", "-" = built-in) */
};

/* The foundation's built-in policy: every check on, threshold 5, tag.  Used when
 * there is no configuration at all (unit tests of other stages). */
void	mw_policy_builtin(struct mw_policy *p);

/* Does this policy ask for any work on the message?  (Logging-only settings don't.) */
bool	mw_policy_filters_anything(const struct mw_policy *p);
/* Would the two policies handle a message identically?  Keys and logging-only
 * settings (tls_warn off vs log) are ignored, as are settings of a check that is off. */
bool	mw_policy_same_filtering(const struct mw_policy *a, const struct mw_policy *b);
/* mixed_policy=strictest: make *into at least as strict as *p in every respect. */
void	mw_policy_merge_strictest(struct mw_policy *into, const struct mw_policy *p);

/*
 * Everything the configuration says about policies, built once per generation
 * (generation.c) from the options of the "customers and policy" section.  The
 * customers table itself is the generation's `customers` (NULL = no file).
 */
struct mw_netmask {
	int	 family;		/* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned prefix;
};
struct mw_policy_config {
	struct mw_policy base;		/* a recipient no customers entry matches */
	struct mw_policy submission;	/* authenticated or trusted clients */
	enum mw_mixed_policy mixed;
	struct mw_netmask *trusted;
	size_t	 ntrusted;
};

struct mw_conf;
struct mw_policy_config *mw_policy_config_build(const struct mw_conf *c, struct mw_diag *diag);
void	mw_policy_config_free(struct mw_policy_config *pc);
/* The customers file's path: a relative `customers` is taken relative to the
 * directory of the configuration file.  Malloc'd; NULL on ENOMEM. */
char	*mw_policy_customers_path(const struct mw_conf *c);
/* Is the textual IPv4/IPv6 address in one of the trusted networks? */
bool	mw_policy_trusted(const struct mw_policy_config *pc, const char *addr);

struct mw_generation;
struct mw_envelope;

/* One recipient's policy.  Returns 0, or -1 when it could not be determined (no
 * generation); -1 must become a temporary failure, never "not opted in". */
int	mw_policy_lookup(const struct mw_generation *g, const struct mw_envelope *env,
	    const char *rcpt, struct mw_policy *out);

/*
 * RCPT time: may this recipient share the transaction with the ones accepted so far?
 * The milter calls this for every RCPT with a per-message state (zeroed, or
 * mw_rcpt_state_init, at MAIL FROM); DEFER answers MW_POLICY_DEFER_* for that
 * recipient and the recipient must not be added to the envelope.  TEMPFAIL answers
 * MW_POLICY_TEMPFAIL_*.
 */
enum mw_rcpt_decision { MW_RCPT_ACCEPT, MW_RCPT_DEFER, MW_RCPT_TEMPFAIL };
struct mw_rcpt_state {
	bool	 have_first;
	struct mw_policy effective;	/* the message's effective policy so far */
	size_t	 accepted, deferred;
};
void	mw_rcpt_state_init(struct mw_rcpt_state *st);
enum mw_rcpt_decision mw_policy_rcpt(const struct mw_generation *g,
	    const struct mw_envelope *env, const char *rcpt, struct mw_rcpt_state *st);

/*
 * End of message: the effective policy over all of env's recipients (the ones the
 * milter accepted), by the same rules as mw_policy_rcpt.  *mixed is set when the
 * recipients' filtering differed (in defer mode that only happens when no RCPT-time
 * check ran, e.g. --scan with several --rcpt; the strictest merge is used then).
 */
int	mw_policy_effective(const struct mw_generation *g, const struct mw_envelope *env,
	    struct mw_policy *out, bool *mixed);

/* Daemon: has the customers file changed since this generation loaded it?  Reports
 * each new state of the file once, so a broken file is not retried on every poll. */
bool	mw_customers_changed(const struct mw_generation *g);

#endif
