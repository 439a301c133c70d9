/*
 * milter_apply - verdict -> smfi_* calls.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "milter_apply.h"

int
mw_milter_reply(SMFICTX *ctx, int code, const char *xcode, const char *text)
{
	char rcode[8], esc[1100];
	size_t i, o = 0;

	snprintf(rcode, sizeof(rcode), "%d", code);
	/* libmilter passes the text through a format; a sender-influenced '%' must not
	 * be interpreted, and CR/LF must not end the reply early. */
	for (i = 0; text[i] != '\0' && o + 3 < sizeof(esc); i++) {
		if (text[i] == '%') {
			esc[o++] = '%';
			esc[o++] = '%';
		} else if (text[i] == '\r' || text[i] == '\n')
			esc[o++] = ' ';
		else
			esc[o++] = text[i];
	}
	esc[o] = '\0';
	return smfi_setreply(ctx, rcode, (char *)(xcode && *xcode ? xcode : NULL), esc) ==
	    MI_SUCCESS ? 0 : -1;
}

/* Trace fields belong at the top (RFC 5321 4.4, RFC 7208 9.1, RFC 8601 2). */
static bool
is_trace_field(const char *name)
{
	return strcasecmp(name, "Received-SPF") == 0 ||
	    strcasecmp(name, "Authentication-Results") == 0;
}

/* With SMFIP_HDR_LEADSPC the MTA takes header values verbatim, so the space after
 * the colon is ours to write; without it the MTA inserts one. */
static int
put_header(SMFICTX *ctx, const struct mw_header_edit *e, bool leadspc, bool top)
{
	char *value = e->value, *spaced = NULL;
	int rc;

	if (leadspc && value[0] != ' ' && value[0] != '\t') {
		if (asprintf(&spaced, " %s", value) < 0)
			return MI_FAILURE;
		value = spaced;
	}
	if (e->op == MW_HDR_CHANGE)
		rc = smfi_chgheader(ctx, e->name, (int)e->index, value);
	else if (top)
		rc = smfi_insheader(ctx, 0, e->name, value);
	else
		rc = smfi_addheader(ctx, e->name, value);
	free(spaced);
	return rc;
}

sfsistat
mw_milter_apply(SMFICTX *ctx, const struct mw_verdict *v, bool leadspc, const char **failed)
{
	size_t i;

	*failed = NULL;
	if (v->action == MW_ACTION_REJECT || v->action == MW_ACTION_TEMPFAIL ||
	    v->action == MW_ACTION_DISCARD) {
		if (v->reply.code && mw_milter_reply(ctx, v->reply.code, v->reply.xcode,
		    v->reply.text) < 0)
			*failed = "smfi_setreply";
		return v->action == MW_ACTION_REJECT ? SMFIS_REJECT :
		    v->action == MW_ACTION_DISCARD ? SMFIS_DISCARD : SMFIS_TEMPFAIL;
	}

	/* Deletions first, in reverse: a later occurrence before an earlier one of the
	 * same name, so the indexes stay valid. */
	for (i = v->nedits; i-- > 0; ) {
		const struct mw_header_edit *e = &v->edits[i];
		if (e->op == MW_HDR_DELETE &&
		    smfi_chgheader(ctx, e->name, (int)e->index, NULL) != MI_SUCCESS) {
			*failed = "smfi_chgheader(delete)";
			goto tempfail;
		}
	}
	for (i = 0; i < v->nedits; i++) {
		const struct mw_header_edit *e = &v->edits[i];
		int rc = MI_SUCCESS;

		if (e->op != MW_HDR_DELETE)
			rc = put_header(ctx, e, leadspc, is_trace_field(e->name));
		if (rc != MI_SUCCESS) {
			*failed = e->op == MW_HDR_CHANGE ? "smfi_chgheader" : "smfi_addheader";
			goto tempfail;
		}
	}
	if (v->action == MW_ACTION_HOLD &&
	    smfi_quarantine(ctx, (char *)(v->hold_reason[0] ? v->hold_reason : "held by mailwarden"))
	    != MI_SUCCESS) {
		*failed = "smfi_quarantine";
		goto tempfail;
	}
	return SMFIS_ACCEPT;

tempfail:
	/* The MTA did not let us do what the verdict needs: never pass it on unfiltered. */
	mw_milter_reply(ctx, 451, "4.3.0", "Temporary failure in content filter, try again later");
	return SMFIS_TEMPFAIL;
}
