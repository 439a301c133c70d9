/*
 * verdict - action ordering and header edits.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "message.h"
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
	v->parse_ms = v->tls_ms = v->mime_ms = v->spf_ms = v->spam_ms = -1;
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

/* --- Subject prefix, shared by the TLS (issue 9) and spam stages --------------- */

/* The tag as it may stand in an unstructured header: printable ASCII without "=?"
 * as it is, otherwise RFC 2047 Q encoded-words of at most 75 characters, split only
 * between UTF-8 characters. */
static int
encode_subject_tag(const char *tag, struct mw_buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)tag;
	size_t i, word_len = 0;
	bool plain = strstr(tag, "=?") == NULL;

	for (i = 0; plain && p[i]; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			plain = false;
	if (plain)
		return mw_buf_puts(out, tag);
	for (i = 0; p[i]; ) {
		size_t clen = 1, need, k;

		if (p[i] >= 0xc0)	/* keep a UTF-8 sequence in one encoded-word */
			while (p[i + clen] >= 0x80 && p[i + clen] < 0xc0 && clen < 4)
				clen++;
		need = 0;
		for (k = 0; k < clen; k++)
			need += (isalnum(p[i + k]) || strchr("!*+-/", p[i + k]) ||
			    p[i + k] == ' ') ? 1 : 3;
		if (word_len > 0 && word_len + need + 2 > 75) {
			if (mw_buf_puts(out, "?= ") < 0)
				return -1;
			word_len = 0;
		}
		if (word_len == 0) {
			if (mw_buf_puts(out, "=?UTF-8?Q?") < 0)
				return -1;
			word_len = 10;
		}
		for (k = 0; k < clen; k++, i++) {
			unsigned char c = p[i];
			int rc;

			if (c == ' ')
				rc = mw_buf_putc(out, '_');
			else if (isalnum(c) || strchr("!*+-/", c))
				rc = mw_buf_putc(out, (char)c);
			else
				rc = mw_buf_printf(out, "=%c%c", hex[c >> 4], hex[c & 15]);
			if (rc < 0)
				return -1;
		}
		word_len += need;
	}
	return mw_buf_puts(out, "?=");
}

int
mw_verdict_prefix_subject(struct mw_verdict *v, const struct mw_message *m, const char *tag)
{
	struct mw_header_edit *edit = NULL;
	const struct mw_header *h = NULL;
	struct mw_buf enc, val;
	const char *cur = NULL;
	size_t i, elen;
	int rc = -1;

	if (tag == NULL || *tag == '\0')
		return 0;
	for (i = 0; i < v->nedits; i++)
		if (v->edits[i].op != MW_HDR_DELETE && strcasecmp(v->edits[i].name, "Subject") == 0)
			edit = &v->edits[i];
	if (edit != NULL)
		cur = edit->value;
	else if ((h = mw_message_header(m, "Subject", 0)) != NULL)
		cur = h->value;

	mw_buf_init(&enc, 0);
	mw_buf_init(&val, 0);
	if (encode_subject_tag(tag, &enc) < 0)
		goto out;
	elen = enc.len;
	/* Already tagged (a message that passed us before, or a reply): do not stack. */
	if (cur != NULL && strncmp(cur, enc.data, elen) == 0 &&
	    (cur[elen] == '\0' || cur[elen] == ' ')) {
		rc = 0;
		goto out;
	}
	if (mw_buf_append(&val, enc.data, elen) < 0 ||
	    (cur != NULL && *cur != '\0' &&
	    (mw_buf_putc(&val, ' ') < 0 || mw_buf_puts(&val, cur) < 0)))
		goto out;
	if (edit != NULL) {
		free(edit->value);
		edit->value = mw_buf_steal(&val);
		rc = edit->value != NULL ? 0 : -1;
	} else if (h != NULL)
		rc = mw_verdict_change_header(v, "Subject", 1, val.data);
	else
		rc = mw_verdict_add_header(v, "Subject", val.data);
out:
	mw_buf_free(&enc);
	mw_buf_free(&val);
	return rc;
}
