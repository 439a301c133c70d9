/*
 * mime - the message as a reader sees it (issue 3): MIME tree, decoded headers and
 * SpamAssassin's body views.  Built once per message on top of struct mw_message,
 * bounded by mw_mime_limits; never fails on hostile input (it flags
 * MW_MSG_MIME_MALFORMED / MW_MSG_MIME_TRUNCATED on the message and goes on).
 *
 * INTERFACE CONTRACT (the rule engine, issue 4, codes against this):
 *   - views->body:    rendered text paragraphs, UTF-8, Subject first (SA "body")
 *   - views->rawbody: transfer-decoded text part lines, not rendered (SA "rawbody")
 *   - views->uri:     normalised URIs (SA "uri")
 *   - full view:      msg->data / msg->len
 *   - mw_mime_header_decoded(): RFC 2047-decoded, unfolded UTF-8 header value
 */
#ifndef MW_MIME_H
#define MW_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "message.h"

struct mw_textv {
	const char *s;		/* UTF-8 (valid: invalid bytes were replaced) */
	size_t	 len;
};

struct mw_views {
	struct mw_textv *body;
	size_t	 nbody;
	struct mw_textv *rawbody;
	size_t	 nrawbody;
	struct mw_textv *uri;
	size_t	 nuri;
};

struct mw_mime_limits {
	size_t	 max_depth;		/* nesting of multiparts / message/rfc822 */
	size_t	 max_parts;
	size_t	 max_part_decoded;	/* decoded bytes kept per part */
	size_t	 max_text;		/* total decoded text fed to the rules */
	size_t	 max_uris;
};

void	mw_mime_limits_default(struct mw_mime_limits *lim);

/* Build the model (m->mime).  Returns -1 only on ENOMEM. */
int	mw_mime_build(struct mw_message *m, const struct mw_mime_limits *lim);
void	mw_mime_free(struct mw_message *m);

const struct mw_views *mw_mime_views(const struct mw_message *m);
/* Decoded (RFC 2047, UTF-8) value of the nth field `name`, or NULL. Owned by the model. */
const char *mw_mime_header_decoded(const struct mw_message *m, const char *name, size_t nth);

#endif
