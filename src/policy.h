/*
 * policy - what one recipient (customer) chose: which checks run and what happens
 * when they find something.  The customers file (issue 8) maps recipients to
 * policies; the configuration supplies the built-in defaults.
 */
#ifndef MW_POLICY_H
#define MW_POLICY_H

#include <stdbool.h>

enum mw_spam_action { MW_SPAM_TAG, MW_SPAM_SUBJECT, MW_SPAM_HOLD, MW_SPAM_REJECT };
enum mw_virus_action { MW_VIRUS_REJECT, MW_VIRUS_HOLD, MW_VIRUS_DISCARD };
enum mw_spf_fail_action { MW_SPF_FAIL_NONE, MW_SPF_FAIL_TAG, MW_SPF_FAIL_REJECT };
enum mw_tls_warn { MW_TLS_WARN_OFF, MW_TLS_WARN_LOG, MW_TLS_WARN_HEADER, MW_TLS_WARN_SUBJECT };

extern const char *const mw_spam_action_names[];	/* "tag","subject","hold","reject" */
extern const char *const mw_virus_action_names[];	/* "reject","hold","discard" */
extern const char *const mw_spf_fail_action_names[];	/* "none","tag","reject" */
extern const char *const mw_tls_warn_names[];		/* "off","log","header","subject" */

#define MW_POLICY_KEY_MAX	320
#define MW_SUBJECT_TAG_MAX	64

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

/* The built-in policy used when no customers file says otherwise: every check on,
 * threshold 5, tag.  Issue 8 replaces this default by the opt-in rule. */
void	mw_policy_builtin(struct mw_policy *p);

struct mw_generation;
struct mw_envelope;

/* One recipient's policy (customers file, issue 8; the built-in policy until then). */
int	mw_policy_lookup(const struct mw_generation *g, const struct mw_envelope *env,
	    const char *rcpt, struct mw_policy *out);

/* RCPT time: may this recipient share the transaction with the ones accepted so far?
 * The milter calls this for every RCPT; DEFER answers 452 4.5.3 for that recipient. */
enum mw_rcpt_decision { MW_RCPT_ACCEPT, MW_RCPT_DEFER };
struct mw_rcpt_state {
	bool	 have_first;
	struct mw_policy effective;	/* the message's effective policy so far */
};
enum mw_rcpt_decision mw_policy_rcpt(const struct mw_generation *g,
	    const struct mw_envelope *env, const char *rcpt, struct mw_rcpt_state *st);

#endif
