/*
 * verdict - action ordering and header edits.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verdict.h"

/* Strength order for proposals; independent of the enum's numeric values. */
static int
strength(enum mw_action a)
{
	switch (a) {
	case MW_ACTION_ACCEPT:	 return 0;
	case MW_ACTION_TAG:	 return 1;
	case MW_ACTION_TEMPFAIL: return 2;
	case MW_ACTION_HOLD:	 return 3;
	case MW_ACTION_DISCARD:	 return 4;
	case MW_ACTION_REJECT:	 return 5;
	}
	return 0;
}

const char *
mw_action_name(enum mw_action a)
{
	switch (a) {
	case MW_ACTION_ACCEPT:	 return "accept";
	case MW_ACTION_TAG:	 return "tag";
	case MW_ACTION_TEMPFAIL: return "tempfail";
	case MW_ACTION_HOLD:	 return "hold";
	case MW_ACTION_DISCARD:	 return "discard";
	case MW_ACTION_REJECT:	 return "reject";
	}
	return "accept";
}

void
mw_verdict_init(struct mw_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->action = MW_ACTION_ACCEPT;
}

void
mw_verdict_free(struct mw_verdict *v)
{
	size_t i;

	for (i = 0; i < v->nedits; i++) {
		free(v->edits[i].name);
		free(v->edits[i].value);
	}
	free(v->edits);
	for (i = 0; i < v->spam.nrules; i++)
		free(v->spam.rules[i]);
	free(v->spam.rules);
	mw_verdict_init(v);
}

void
mw_verdict_propose(struct mw_verdict *v, enum mw_action a, const char *stage, int code,
    const char *xcode, const char *text)
{
	if (strength(a) <= strength(v->action) && v->decided_by != NULL)
		return;
	if (strength(a) < strength(v->action))
		return;
	v->action = a;
	v->decided_by = stage;
	memset(&v->reply, 0, sizeof(v->reply));
	if (code) {
		v->reply.code = code;
		snprintf(v->reply.xcode, sizeof(v->reply.xcode), "%s", xcode ? xcode : "");
		snprintf(v->reply.text, sizeof(v->reply.text), "%s", text ? text : "");
	}
}

static int
add_edit(struct mw_verdict *v, enum mw_hdr_op op, const char *name, unsigned index,
    const char *value)
{
	struct mw_header_edit *e;

	if (v->nedits == v->edits_cap) {
		size_t ncap = v->edits_cap ? v->edits_cap * 2 : 8;
		struct mw_header_edit *nv = realloc(v->edits, ncap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		v->edits = nv;
		v->edits_cap = ncap;
	}
	e = &v->edits[v->nedits];
	memset(e, 0, sizeof(*e));
	e->op = op;
	e->index = index;
	if ((e->name = strdup(name)) == NULL)
		return -1;
	if (value != NULL && (e->value = strdup(value)) == NULL) {
		free(e->name);
		return -1;
	}
	v->nedits++;
	return 0;
}

int
mw_verdict_add_header(struct mw_verdict *v, const char *name, const char *value)
{
	return add_edit(v, MW_HDR_ADD, name, 0, value);
}

int
mw_verdict_delete_header(struct mw_verdict *v, const char *name, unsigned index)
{
	return add_edit(v, MW_HDR_DELETE, name, index, NULL);
}

int
mw_verdict_change_header(struct mw_verdict *v, const char *name, unsigned index,
    const char *value)
{
	return add_edit(v, MW_HDR_CHANGE, name, index, value);
}
