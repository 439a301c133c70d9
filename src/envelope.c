/*
 * envelope - the transaction's envelope and connection facts.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "envelope.h"

void
mw_envelope_init(struct mw_envelope *e)
{
	memset(e, 0, sizeof(*e));
}

int
mw_envelope_set(char **slot, const char *value)
{
	char *dup = NULL;

	if (value != NULL && (dup = strdup(value)) == NULL)
		return -1;
	free(*slot);
	*slot = dup;
	return 0;
}

int
mw_envelope_set_path(char **slot, const char *arg)
{
	const char *s = arg, *e;
	char *dup;

	if (arg == NULL)
		return mw_envelope_set(slot, NULL);
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e > s && *s == '<') {
		s++;
		if (e > s && e[-1] == '>')
			e--;
	}
	if ((dup = strndup(s, (size_t)(e - s))) == NULL)
		return -1;
	free(*slot);
	*slot = dup;
	return 0;
}

int
mw_envelope_add_rcpt(struct mw_envelope *e, const char *arg)
{
	char *r = NULL;

	if (e->nrcpts == e->rcpts_cap) {
		size_t ncap = e->rcpts_cap ? e->rcpts_cap * 2 : 4;
		char **nv = realloc(e->rcpts, ncap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		e->rcpts = nv;
		e->rcpts_cap = ncap;
	}
	if (mw_envelope_set_path(&r, arg) < 0)
		return -1;
	e->rcpts[e->nrcpts++] = r;
	return 0;
}

void
mw_envelope_clear_tls(struct mw_envelope *e)
{
	free(e->tls.version);
	free(e->tls.cipher);
	free(e->tls.cert_subject);
	free(e->tls.cert_issuer);
	free(e->tls.verify);
	memset(&e->tls, 0, sizeof(e->tls));
}

void
mw_envelope_clear_transaction(struct mw_envelope *e)
{
	size_t i;

	for (i = 0; i < e->nrcpts; i++)
		free(e->rcpts[i]);
	free(e->rcpts);
	e->rcpts = NULL;
	e->nrcpts = e->rcpts_cap = 0;
	free(e->queue_id);
	e->queue_id = NULL;
	free(e->mail_from);
	e->mail_from = NULL;
}

void
mw_envelope_clear(struct mw_envelope *e)
{
	mw_envelope_clear_transaction(e);
	mw_envelope_clear_tls(e);
	free(e->mta_host);
	free(e->daemon_name);
	free(e->client_addr);
	free(e->client_name);
	free(e->helo);
	free(e->auth_authen);
	mw_envelope_init(e);
}

const char *
mw_addr_domain(const char *addr)
{
	const char *at;

	if (addr == NULL || (at = strrchr(addr, '@')) == NULL)
		return "";
	return at + 1;
}
