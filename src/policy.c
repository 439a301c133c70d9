/*
 * policy - per-recipient policies, the RCPT-time decision and the message's
 * effective policy.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "conf.h"
#include "customers.h"
#include "envelope.h"
#include "generation.h"
#include "policy.h"
#include "utf8.h"

const char *const mw_spam_action_names[] = { "tag", "subject", "hold", "reject", NULL };
const char *const mw_virus_action_names[] = { "reject", "hold", "discard", NULL };
const char *const mw_spf_fail_action_names[] = { "none", "tag", "reject", NULL };
const char *const mw_tls_warn_names[] = { "off", "log", "header", "subject", NULL };
const char *const mw_mixed_policy_names[] = { "defer", "strictest", NULL };
const char *const mw_local_part_case_names[] = { "insensitive", "sensitive", NULL };

void
mw_policy_builtin(struct mw_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->spam = true;
	p->virus = true;
	p->spam_threshold = 5.0;
	p->spam_reject_threshold = 0;
	p->spam_action = MW_SPAM_TAG;
	snprintf(p->subject_tag, sizeof(p->subject_tag), "[SPAM]");
	p->virus_action = MW_VIRUS_REJECT;
	p->spf_fail_action = MW_SPF_FAIL_NONE;
	p->tls_warn = MW_TLS_WARN_LOG;
	snprintf(p->key, sizeof(p->key), "%s", MW_POLICY_KEY_BUILTIN);
}

/* --- comparing and merging ---------------------------------------------------- */

/* tls_warn off and log differ only in the log line. */
static int
tls_warn_class(enum mw_tls_warn w)
{
	return w <= MW_TLS_WARN_LOG ? MW_TLS_WARN_OFF : (int)w;
}

bool
mw_policy_filters_anything(const struct mw_policy *p)
{
	return p->spam || p->virus || p->spf_fail_action != MW_SPF_FAIL_NONE ||
	    tls_warn_class(p->tls_warn) != MW_TLS_WARN_OFF;
}

bool
mw_policy_same_filtering(const struct mw_policy *a, const struct mw_policy *b)
{
	if (a->spam != b->spam || a->virus != b->virus)
		return false;
	if (a->spam) {
		if (a->spam_threshold != b->spam_threshold ||
		    a->spam_reject_threshold != b->spam_reject_threshold ||
		    a->spam_action != b->spam_action)
			return false;
		if (a->spam_action == MW_SPAM_SUBJECT &&
		    strcmp(a->subject_tag, b->subject_tag) != 0)
			return false;
	}
	if (a->virus && a->virus_action != b->virus_action)
		return false;
	return a->spf_fail_action == b->spf_fail_action &&
	    tls_warn_class(a->tls_warn) == tls_warn_class(b->tls_warn);
}

/* Strength of a virus action, as verdict.c orders actions: reject > discard > hold. */
static int
virus_strength(enum mw_virus_action a)
{
	switch (a) {
	case MW_VIRUS_HOLD:	return 1;
	case MW_VIRUS_DISCARD:	return 2;
	case MW_VIRUS_REJECT:	return 3;
	}
	return 3;
}

/*
 * Score at or above which a spam policy rejects (as the spam stage applies it: spam is
 * rejected when spam_action is reject, or when spam_reject_threshold > 0 and the score
 * reaches it); HUGE_VAL when it never rejects.
 */
static double
reject_level(const struct mw_policy *p)
{
	if (p->spam_action == MW_SPAM_REJECT)
		return p->spam_threshold;
	if (p->spam_reject_threshold > 0)
		return p->spam_reject_threshold > p->spam_threshold ? p->spam_reject_threshold :
		    p->spam_threshold;
	return HUGE_VAL;
}

/* What a policy does to spam below its reject level (tag for a reject policy: the
 * weakest, so it never strengthens the merge). */
static enum mw_spam_action
band_action(const struct mw_policy *p)
{
	return p->spam_action == MW_SPAM_REJECT ? MW_SPAM_TAG : p->spam_action;
}

/*
 * Spam: the lowest threshold; the strongest of tag < subject < hold below the reject
 * level; reject from the lowest reject level any recipient asked for.  So every
 * recipient gets at least its own treatment, plus what the others asked for.
 */
static void
merge_spam(struct mw_policy *into, const struct mw_policy *p)
{
	double thr, rej;
	enum mw_spam_action band;

	if (!p->spam)
		return;
	if (!into->spam) {
		into->spam = true;
		into->spam_threshold = p->spam_threshold;
		into->spam_reject_threshold = p->spam_reject_threshold;
		into->spam_action = p->spam_action;
		memcpy(into->subject_tag, p->subject_tag, sizeof(into->subject_tag));
		return;
	}
	thr = fmin(into->spam_threshold, p->spam_threshold);
	rej = fmin(reject_level(into), reject_level(p));
	band = band_action(into) > band_action(p) ? band_action(into) : band_action(p);
	if (band == MW_SPAM_SUBJECT && band_action(into) != MW_SPAM_SUBJECT)
		memcpy(into->subject_tag, p->subject_tag, sizeof(into->subject_tag));
	into->spam_threshold = thr;
	if (rej <= thr) {
		into->spam_action = MW_SPAM_REJECT;
		into->spam_reject_threshold = 0;
	} else {
		into->spam_action = band;
		into->spam_reject_threshold = isinf(rej) ? 0 : rej;
	}
}

void
mw_policy_merge_strictest(struct mw_policy *into, const struct mw_policy *p)
{
	merge_spam(into, p);
	if (p->virus) {
		if (!into->virus || virus_strength(p->virus_action) > virus_strength(into->virus_action))
			into->virus_action = p->virus_action;
		into->virus = true;
	}
	if (p->spf_fail_action > into->spf_fail_action)
		into->spf_fail_action = p->spf_fail_action;
	if (p->tls_warn > into->tls_warn)
		into->tls_warn = p->tls_warn;
}

/* --- configuration ------------------------------------------------------------ */

static int
parse_netmask(const char *tok, struct mw_netmask *m)
{
	char addr[INET6_ADDRSTRLEN + 1], *end;
	const char *slash = strchr(tok, '/');
	size_t alen = slash ? (size_t)(slash - tok) : strlen(tok);
	unsigned maxbits, i;
	long bits;

	if (alen == 0 || alen >= sizeof(addr))
		return -1;
	memcpy(addr, tok, alen);
	addr[alen] = '\0';
	memset(m, 0, sizeof(*m));
	if (inet_pton(AF_INET, addr, m->addr) == 1) {
		m->family = AF_INET;
		maxbits = 32;
	} else if (inet_pton(AF_INET6, addr, m->addr) == 1) {
		m->family = AF_INET6;
		maxbits = 128;
	} else
		return -1;
	m->prefix = maxbits;
	if (slash != NULL) {
		errno = 0;
		bits = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end != '\0' || errno || bits < 0 || bits > (long)maxbits)
			return -1;
		m->prefix = (unsigned)bits;
	}
	/* Host bits must be zero, as Postfix insists for mynetworks: catches typos. */
	for (i = m->prefix; i < maxbits; i++)
		if (m->addr[i / 8] & (0x80u >> (i % 8)))
			return -2;
	return 0;
}

static int
parse_networks(struct mw_policy_config *pc, const char *list, const char *conf_path,
    struct mw_diag *diag)
{
	char *copy, *tok, *save = NULL;
	int bad = 0, r;

	if ((copy = strdup(list)) == NULL) {
		mw_diag_error(diag, conf_path, 0, "out of memory");
		return -1;
	}
	for (tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
		struct mw_netmask *nv;

		if ((nv = realloc(pc->trusted, (pc->ntrusted + 1) * sizeof(*nv))) == NULL) {
			mw_diag_error(diag, conf_path, 0, "out of memory");
			bad = -1;
			break;
		}
		pc->trusted = nv;
		if ((r = parse_netmask(tok, &pc->trusted[pc->ntrusted])) < 0) {
			mw_diag_error(diag, conf_path, 0, "trusted_networks: '%s' is %s", tok,
			    r == -2 ? "not a network address (host bits set)" :
			    "not an address or address/prefix");
			bad = -1;
			continue;
		}
		pc->ntrusted++;
	}
	free(copy);
	return bad;
}

static void
policy_from_conf(const struct mw_conf *c, struct mw_policy *p)
{
	mw_policy_builtin(p);
	p->spam_threshold = c->spam_threshold;	/* the spam rules section's option */
	p->spam_reject_threshold = c->default_spam_reject_threshold;
	p->spam_action = (enum mw_spam_action)c->default_spam_action;
	snprintf(p->subject_tag, sizeof(p->subject_tag), "%s", c->default_subject_tag);
	p->virus_action = (enum mw_virus_action)c->default_virus_action;
	p->spf_fail_action = (enum mw_spf_fail_action)c->default_spf_fail_action;
	p->tls_warn = (enum mw_tls_warn)c->default_tls_warn;
}

/* A Subject tag: UTF-8 without control characters (it goes into a header). */
static bool
tag_ok(const char *s)
{
	const char *p;

	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return mw_utf8_valid(s, (size_t)(p - s));
}

struct mw_policy_config *
mw_policy_config_build(const struct mw_conf *c, struct mw_diag *diag)
{
	struct mw_policy_config *pc;
	size_t errors_before = diag->nerrors;

	if ((pc = calloc(1, sizeof(*pc))) == NULL) {
		mw_diag_error(diag, c->path, 0, "out of memory");
		return NULL;
	}
	if (strlen(c->default_subject_tag) >= MW_SUBJECT_TAG_MAX)
		mw_diag_error(diag, c->path, 0, "default_subject_tag: longer than %d bytes",
		    MW_SUBJECT_TAG_MAX - 1);
	else if (!tag_ok(c->default_subject_tag))
		mw_diag_error(diag, c->path, 0, "default_subject_tag: control character or "
		    "invalid UTF-8");
	policy_from_conf(c, &pc->base);
	/* Opt-in: with a customers file, unmatched recipients are not filtered; without
	 * one, everybody is (a fresh install must not silently pass everything). */
	if (c->customers[0] != '\0') {
		pc->base.spam = false;
		pc->base.virus = false;
	}
	policy_from_conf(c, &pc->submission);
	pc->submission.spam = c->submission_spam;
	pc->submission.virus = c->submission_virus;
	snprintf(pc->submission.key, sizeof(pc->submission.key), "%s", MW_POLICY_KEY_AUTH);
	pc->mixed = (enum mw_mixed_policy)c->mixed_policy;
	parse_networks(pc, c->trusted_networks, c->path, diag);
	if (diag->nerrors > errors_before) {
		mw_policy_config_free(pc);
		return NULL;
	}
	return pc;
}

void
mw_policy_config_free(struct mw_policy_config *pc)
{
	if (pc == NULL)
		return;
	free(pc->trusted);
	free(pc);
}

char *
mw_policy_customers_path(const struct mw_conf *c)
{
	const char *slash;
	char *path;

	if (c->customers[0] == '/' || c->path == NULL || (slash = strrchr(c->path, '/')) == NULL)
		return strdup(c->customers);
	if (asprintf(&path, "%.*s/%s", (int)(slash - c->path), c->path, c->customers) < 0)
		return NULL;
	return path;
}

bool
mw_policy_trusted(const struct mw_policy_config *pc, const char *addr)
{
	unsigned char a[16];
	int family;
	size_t i;

	if (pc == NULL || addr == NULL || pc->ntrusted == 0)
		return false;
	if (inet_pton(AF_INET, addr, a) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, addr, a) == 1) {
		family = AF_INET6;
		/* An IPv4-mapped address (::ffff:a.b.c.d) is that IPv4 client. */
		if (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
			memmove(a, a + 12, 4);
			family = AF_INET;
		}
	} else
		return false;
	for (i = 0; i < pc->ntrusted; i++) {
		const struct mw_netmask *m = &pc->trusted[i];
		unsigned full = m->prefix / 8, rest = m->prefix % 8;

		if (m->family != family || memcmp(a, m->addr, full) != 0)
			continue;
		if (rest == 0 || ((a[full] ^ m->addr[full]) & (0xffu << (8 - rest)) & 0xffu) == 0)
			return true;
	}
	return false;
}

/* --- lookups and decisions ---------------------------------------------------- */

/* The submission policy applies to the whole message, whoever the recipients are. */
static const struct mw_policy *
submission_policy(const struct mw_policy_config *pc, const struct mw_envelope *env,
    struct mw_policy *tmp)
{
	if (env != NULL && env->auth_authen != NULL && env->auth_authen[0] != '\0')
		return &pc->submission;
	if (env != NULL && mw_policy_trusted(pc, env->client_addr)) {
		*tmp = pc->submission;
		snprintf(tmp->key, sizeof(tmp->key), "%s", MW_POLICY_KEY_TRUSTED);
		return tmp;
	}
	return NULL;
}

int
mw_policy_lookup(const struct mw_generation *g, const struct mw_envelope *env,
    const char *rcpt, struct mw_policy *out)
{
	const struct mw_policy *sub;
	struct mw_policy tmp;

	if (g == NULL || g->policy == NULL) {
		mw_policy_builtin(out);
		return -1;
	}
	if ((sub = submission_policy(g->policy, env, &tmp)) != NULL) {
		*out = *sub;
		return 0;
	}
	mw_customers_lookup(g->customers, rcpt, &g->policy->base, out);
	return 0;
}

void
mw_rcpt_state_init(struct mw_rcpt_state *st)
{
	memset(st, 0, sizeof(*st));
}

enum mw_rcpt_decision
mw_policy_rcpt(const struct mw_generation *g, const struct mw_envelope *env,
    const char *rcpt, struct mw_rcpt_state *st)
{
	struct mw_policy p;

	if (mw_policy_lookup(g, env, rcpt, &p) < 0)
		return MW_RCPT_TEMPFAIL;
	if (!st->have_first) {
		st->effective = p;
		st->have_first = true;
	} else if (g->policy->mixed == MW_MIXED_STRICTEST) {
		mw_policy_merge_strictest(&st->effective, &p);
	} else if (!mw_policy_same_filtering(&st->effective, &p)) {
		st->deferred++;
		return MW_RCPT_DEFER;
	}
	st->accepted++;
	return MW_RCPT_ACCEPT;
}

int
mw_policy_effective(const struct mw_generation *g, const struct mw_envelope *env,
    struct mw_policy *out, bool *mixed)
{
	struct mw_policy p;
	size_t i;

	*mixed = false;
	if (mw_policy_lookup(g, env, env->nrcpts ? env->rcpts[0] : NULL, out) < 0)
		return -1;
	for (i = 1; i < env->nrcpts; i++) {
		if (mw_policy_lookup(g, env, env->rcpts[i], &p) < 0)
			return -1;
		if (!mw_policy_same_filtering(out, &p))
			*mixed = true;
		mw_policy_merge_strictest(out, &p);
	}
	return 0;
}

/* --- live reload -------------------------------------------------------------- */

bool
mw_customers_changed(const struct mw_generation *g)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct timespec last_mtime;
	static off_t last_size;
	static ino_t last_ino;
	static bool have_last;
	struct stat st;
	bool changed, report;

	if (g == NULL || g->customers == NULL || !mw_customers_file_changed(g->customers))
		return false;
	/* Report a given state of the file once: if its reload fails, wait for the next
	 * edit instead of retrying (and logging the same errors) on every poll. */
	if (stat(mw_customers_path(g->customers), &st) < 0)
		memset(&st, 0, sizeof(st));
	pthread_mutex_lock(&lock);
	changed = !have_last || st.st_ino != last_ino || st.st_size != last_size ||
	    st.st_mtim.tv_sec != last_mtime.tv_sec || st.st_mtim.tv_nsec != last_mtime.tv_nsec;
	report = changed;
	last_ino = st.st_ino;
	last_size = st.st_size;
	last_mtime = st.st_mtim;
	have_last = true;
	pthread_mutex_unlock(&lock);
	return report;
}
