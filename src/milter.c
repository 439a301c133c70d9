/*
 * milter - libmilter callbacks.
 *
 * Two context levels, as OpenDKIM does it: a connection context (generation
 * reference, envelope connection facts) that owns at most one message context
 * (envelope transaction, spool).  The callbacks only collect; the decision is
 * mw_scan()'s, the translation to libmilter is milter_apply.c's.  Every path that
 * can end a message (eom, abort, close, a new MAIL FROM) frees the message state,
 * so an MTA that hangs up at any stage leaks nothing.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmilter/mfapi.h>

#include "buf.h"
#include "envelope.h"
#include "generation.h"
#include "log.h"
#include "milter.h"
#include "milter_apply.h"
#include "output.h"
#include "policy.h"
#include "scan.h"
#include "spool.h"
#include "verdict.h"

struct msgctx {
	struct mw_spool	 spool;
	struct mw_rcpt_state rcpt_state;
	bool		 failed;	/* latched: spool write failed -> tempfail at EOM */
	bool		 decided_keep;
	bool		 keep;		/* false: nobody opted in, the content is not kept */
	int		 failed_errno;
};

struct connctx {
	struct mw_generation *gen;	/* held for the whole connection */
	struct mw_envelope env;
	struct msgctx	*msg;
	bool		 leadspc;	/* MTA sends header values with leading space */
	unsigned long	 nmessages;
};

static const char *spool_dir;

void
mw_milter_set_spool_dir(const char *dir)
{
	spool_dir = dir;
}

static struct connctx *
conn_get(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

static void
msg_free(struct connctx *cc)
{
	if (cc->msg == NULL)
		return;
	mw_spool_free(&cc->msg->spool);
	free(cc->msg);
	cc->msg = NULL;
	mw_envelope_clear_transaction(&cc->env);
}

/* A connection context holding a reference to the current generation. */
static struct connctx *
conn_new(void)
{
	struct connctx *cc;

	if ((cc = calloc(1, sizeof(*cc))) == NULL)
		return NULL;
	mw_envelope_init(&cc->env);
	if ((cc->gen = mw_current_acquire()) == NULL) {
		free(cc);
		return NULL;
	}
	return cc;
}

static void
conn_free(SMFICTX *ctx)
{
	struct connctx *cc = conn_get(ctx);

	if (cc == NULL)
		return;
	msg_free(cc);
	mw_envelope_clear(&cc->env);
	mw_generation_unref(cc->gen);
	free(cc);
	smfi_setpriv(ctx, NULL);
}

/* Copy a macro into the envelope; an absent macro clears the slot. */
static int
macro(SMFICTX *ctx, const char *name, char **slot)
{
	const char *v = smfi_getsymval(ctx, (char *)name);

	return mw_envelope_set(slot, v && *v ? v : NULL);
}

/* TLS facts of this hop.  Re-read at HELO and at MAIL FROM: after STARTTLS the
 * client says EHLO again and the state at MAIL FROM is the one that counts. */
static int
read_tls_macros(SMFICTX *ctx, struct mw_envelope *e)
{
	const char *bits;

	mw_envelope_clear_tls(e);
	if (macro(ctx, "{tls_version}", &e->tls.version) < 0 ||
	    macro(ctx, "{cipher}", &e->tls.cipher) < 0 ||
	    macro(ctx, "{cert_subject}", &e->tls.cert_subject) < 0 ||
	    macro(ctx, "{cert_issuer}", &e->tls.cert_issuer) < 0 ||
	    macro(ctx, "{verify}", &e->tls.verify) < 0)
		return -1;
	bits = smfi_getsymval(ctx, "{cipher_bits}");
	e->tls.bits = bits ? atoi(bits) : 0;
	return 0;
}

static sfsistat
tempfail(SMFICTX *ctx, const char *what)
{
	mw_err("%s: out of memory or internal error, answering tempfail", what);
	mw_milter_reply(ctx, 451, "4.3.0", "Temporary failure in content filter, try again later");
	return SMFIS_TEMPFAIL;
}

static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
    unsigned long *pf3)
{
	const unsigned long want_actions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE |
	    SMFIF_SETSYMLIST;
	unsigned long steps = SMFIP_NOUNKNOWN | SMFIP_NODATA;
	struct connctx *cc;

	(void)f2;
	(void)f3;
	if ((f0 & want_actions) != want_actions) {
		mw_err("MTA does not offer the milter actions mailwarden needs "
		    "(offered 0x%lx, need 0x%lx): refusing the connection", f0, want_actions);
		return SMFIS_REJECT;
	}
	if ((cc = conn_new()) == NULL)
		return SMFIS_TEMPFAIL;
	if (f1 & SMFIP_HDR_LEADSPC) {
		steps |= SMFIP_HDR_LEADSPC;
		cc->leadspc = true;
	}
	smfi_setpriv(ctx, cc);

	/* Ask for exactly the macros we use, at the stages where they are valid. */
	if (smfi_setsymlist(ctx, SMFIM_CONNECT, "j {daemon_name}") != MI_SUCCESS ||
	    smfi_setsymlist(ctx, SMFIM_HELO,
	    "{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer} {verify}") !=
	    MI_SUCCESS ||
	    smfi_setsymlist(ctx, SMFIM_ENVFROM,
	    "i {auth_authen} {auth_type} {tls_version} {cipher} {cipher_bits} "
	    "{cert_subject} {cert_issuer} {verify}") != MI_SUCCESS ||
	    smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i") != MI_SUCCESS ||
	    smfi_setsymlist(ctx, SMFIM_EOM, "i") != MI_SUCCESS)
		mw_warn("smfi_setsymlist failed: relying on the MTA's default macro lists");

	*pf0 = want_actions;
	*pf1 = steps & f1;
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct connctx *cc = conn_get(ctx);
	char addr[INET6_ADDRSTRLEN] = "";

	if (cc == NULL) {
		/* Negotiation did not run (old MTA protocol): set up here. */
		if ((cc = conn_new()) == NULL)
			return SMFIS_TEMPFAIL;
		smfi_setpriv(ctx, cc);
	}
	if (hostaddr != NULL && hostaddr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)hostaddr)->sin_addr,
		    addr, sizeof(addr));
	else if (hostaddr != NULL && hostaddr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)hostaddr)->sin6_addr,
		    addr, sizeof(addr));
	if (mw_envelope_set(&cc->env.client_addr, addr[0] ? addr : NULL) < 0 ||
	    mw_envelope_set(&cc->env.client_name, hostname) < 0 ||
	    macro(ctx, "j", &cc->env.mta_host) < 0 ||
	    macro(ctx, "{daemon_name}", &cc->env.daemon_name) < 0)
		return tempfail(ctx, "connect");
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_helo(SMFICTX *ctx, char *helo)
{
	struct connctx *cc = conn_get(ctx);

	if (cc == NULL)
		return SMFIS_TEMPFAIL;
	if (mw_envelope_set(&cc->env.helo, helo) < 0 || read_tls_macros(ctx, &cc->env) < 0)
		return tempfail(ctx, "helo");
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct connctx *cc = conn_get(ctx);
	const struct mw_conf *conf;

	if (cc == NULL)
		return SMFIS_TEMPFAIL;
	msg_free(cc);	/* a missed abort must not leak into this transaction */
	conf = cc->gen->conf;
	if ((cc->msg = calloc(1, sizeof(*cc->msg))) == NULL)
		return tempfail(ctx, "envfrom");
	mw_rcpt_state_init(&cc->msg->rcpt_state);
	/* Keep one byte more than the limit, so "over the limit" is visible. */
	mw_spool_init(&cc->msg->spool, spool_dir, (size_t)conf->memory_body_limit,
	    (size_t)conf->max_message_size + 1);
	if (mw_envelope_set_path(&cc->env.mail_from, argv[0]) < 0 ||
	    macro(ctx, "i", &cc->env.queue_id) < 0 ||
	    macro(ctx, "{auth_authen}", &cc->env.auth_authen) < 0 ||
	    read_tls_macros(ctx, &cc->env) < 0)
		return tempfail(ctx, "envfrom");
	cc->nmessages++;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct connctx *cc = conn_get(ctx);
	char *rcpt = NULL;

	if (cc == NULL || cc->msg == NULL)
		return SMFIS_TEMPFAIL;
	if (mw_envelope_set_path(&rcpt, argv[0]) < 0)
		return tempfail(ctx, "envrcpt");
	switch (mw_policy_rcpt(cc->gen, &cc->env, rcpt, &cc->msg->rcpt_state)) {
	case MW_RCPT_ACCEPT:
		break;
	case MW_RCPT_DEFER:
		/* Different filtering choices cannot share one transaction after DATA. */
		free(rcpt);
		mw_milter_reply(ctx, atoi(MW_POLICY_DEFER_CODE), MW_POLICY_DEFER_XCODE,
		    MW_POLICY_DEFER_TEXT);
		return SMFIS_TEMPFAIL;
	default:
		free(rcpt);
		mw_milter_reply(ctx, atoi(MW_POLICY_TEMPFAIL_CODE), MW_POLICY_TEMPFAIL_XCODE,
		    MW_POLICY_TEMPFAIL_TEXT);
		return SMFIS_TEMPFAIL;
	}
	if (mw_envelope_add_rcpt(&cc->env, rcpt) < 0) {
		free(rcpt);
		return tempfail(ctx, "envrcpt");
	}
	free(rcpt);
	return SMFIS_CONTINUE;
}

static void
spool_put(struct connctx *cc, const void *p, size_t n)
{
	struct msgctx *m = cc->msg;

	if (!m->decided_keep) {
		/* All recipients are known once the content starts.  When none of them
		 * asked for any filtering the core will not read the message: do not
		 * keep a copy of it at all, only count its size. */
		m->keep = mw_policy_filters_anything(&m->rcpt_state.effective) ||
		    !m->rcpt_state.have_first;
		m->decided_keep = true;
	}
	if (!m->keep) {
		m->spool.total += n;
		return;
	}
	if (m->failed)
		return;
	if (mw_spool_write(&cc->msg->spool, p, n) < 0) {
		cc->msg->failed = true;
		cc->msg->failed_errno = errno;
	}
}

static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct connctx *cc = conn_get(ctx);

	if (cc == NULL || cc->msg == NULL)
		return SMFIS_TEMPFAIL;
	/* Rebuild the header block as the sender wrote it: with HDR_LEADSPC the value
	 * keeps its leading white space; without it, one space is the best guess. */
	spool_put(cc, name, strlen(name));
	spool_put(cc, cc->leadspc ? ":" : ": ", cc->leadspc ? 1 : 2);
	spool_put(cc, value, strlen(value));
	spool_put(cc, "\r\n", 2);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_eoh(SMFICTX *ctx)
{
	struct connctx *cc = conn_get(ctx);

	if (cc == NULL || cc->msg == NULL)
		return SMFIS_TEMPFAIL;
	spool_put(cc, "\r\n", 2);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct connctx *cc = conn_get(ctx);

	if (cc == NULL || cc->msg == NULL)
		return SMFIS_TEMPFAIL;
	spool_put(cc, chunk, len);
	return SMFIS_CONTINUE;
}

static void
log_verdict(const struct connctx *cc, const struct mw_verdict *v)
{
	struct mw_buf b;

	size_t i;

	mw_buf_init(&b, 65536);
	mw_output_log_record(cc->gen, &cc->env, v, &b);
	mw_info("%s", b.data ? b.data : "");
	/* With several recipients, one line each: "what happened to mail for X". */
	for (i = 0; cc->env.nrcpts > 1 && i < cc->env.nrcpts; i++) {
		mw_buf_reset(&b);
		mw_output_rcpt_records(cc->gen, &cc->env, v, i, &b);
		mw_info("%s", b.data ? b.data : "");
	}
	mw_buf_free(&b);
}

static sfsistat
mlfi_eom(SMFICTX *ctx)
{
	struct connctx *cc = conn_get(ctx);
	struct mw_verdict v;
	const char *data, *failed;
	size_t len;
	sfsistat rc;

	if (cc == NULL || cc->msg == NULL)
		return SMFIS_TEMPFAIL;
	/* The queue id is certain only now with some MTAs (Sendmail assigns it late). */
	if (macro(ctx, "i", &cc->env.queue_id) < 0)
		return tempfail(ctx, "eom");
	mw_verdict_init(&v);

	if (cc->msg->failed || mw_spool_view(&cc->msg->spool, &data, &len) < 0) {
		int e = cc->msg->failed ? cc->msg->failed_errno : errno;
		mw_err("queue_id=%s spool failure: %s; answering tempfail",
		    cc->env.queue_id ? cc->env.queue_id : "-", strerror(e));
		mw_milter_reply(ctx, 451, "4.3.0",
		    "Temporary failure in content filter, try again later");
		msg_free(cc);
		return SMFIS_TEMPFAIL;
	}
	mw_scan(cc->gen, &cc->env, data, len, cc->msg->spool.total, &v);
	rc = mw_milter_apply(ctx, &v, cc->leadspc, &failed);
	if (failed != NULL) {
		mw_err("queue_id=%s %s failed: answering tempfail so the message is not lost "
		    "or passed unfiltered", cc->env.queue_id ? cc->env.queue_id : "-", failed);
		v.action = MW_ACTION_TEMPFAIL;
		v.decided_by = "milter";
	}
	log_verdict(cc, &v);
	mw_verdict_free(&v);
	msg_free(cc);
	return rc;
}

static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	struct connctx *cc = conn_get(ctx);

	if (cc != NULL)
		msg_free(cc);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_close(SMFICTX *ctx)
{
	conn_free(ctx);
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
	.xxfi_name = "mailwarden",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST,
	.xxfi_connect = mlfi_connect,
	.xxfi_helo = mlfi_helo,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_envrcpt = mlfi_envrcpt,
	.xxfi_header = mlfi_header,
	.xxfi_eoh = mlfi_eoh,
	.xxfi_body = mlfi_body,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
	.xxfi_unknown = NULL,
	.xxfi_data = NULL,
	.xxfi_negotiate = mlfi_negotiate,
};

struct smfiDesc *
mw_milter_desc(void)
{
	return &desc;
}
