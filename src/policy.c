/*
 * policy - names of policy choices and the built-in policy.
 */
#include "config.h"

#include <string.h>

#include "policy.h"

const char *const mw_spam_action_names[] = { "tag", "subject", "hold", "reject", NULL };
const char *const mw_virus_action_names[] = { "reject", "hold", "discard", NULL };
const char *const mw_spf_fail_action_names[] = { "none", "tag", "reject", NULL };
const char *const mw_tls_warn_names[] = { "off", "log", "header", "subject", NULL };

void
mw_policy_builtin(struct mw_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->spam = true;
	p->virus = true;
	p->spam_threshold = 5.0;
	p->spam_reject_threshold = 0;
	p->spam_action = MW_SPAM_TAG;
	strcpy(p->subject_tag, "[SPAM]");
	p->virus_action = MW_VIRUS_REJECT;
	p->spf_fail_action = MW_SPF_FAIL_NONE;
	p->tls_warn = MW_TLS_WARN_LOG;
	strcpy(p->key, "-");
}

int
mw_policy_lookup(const struct mw_generation *g, const struct mw_envelope *env,
    const char *rcpt, struct mw_policy *out)
{
	(void)g;
	(void)env;
	(void)rcpt;
	mw_policy_builtin(out);
	return 0;
}

enum mw_rcpt_decision
mw_policy_rcpt(const struct mw_generation *g, const struct mw_envelope *env,
    const char *rcpt, struct mw_rcpt_state *st)
{
	struct mw_policy p;

	if (mw_policy_lookup(g, env, rcpt, &p) < 0)
		return MW_RCPT_DEFER;
	if (!st->have_first) {
		st->effective = p;
		st->have_first = true;
	}
	return MW_RCPT_ACCEPT;
}
