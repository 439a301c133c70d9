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

/* --- beyond the contract: what the postmaster's dump and later eval tests read --- */

enum mw_part_flag {
	MW_PART_TRUNCATED	= 1u << 0,	/* decoded text cut at max_part_decoded */
	MW_PART_BAD_BASE64	= 1u << 1,	/* characters outside the base64 alphabet */
	MW_PART_CHARSET_SNIFFED	= 1u << 2,	/* no charset declared: guessed */
	MW_PART_CHARSET_UNKNOWN	= 1u << 3,	/* declared charset unknown to iconv */
	MW_PART_CHARSET_MISMATCH = 1u << 4,	/* declared charset wrong (text was UTF-8) */
	MW_PART_CHARSET_REPLACED = 1u << 5,	/* bytes replaced by U+FFFD */
	MW_PART_NOT_DECODED	= 1u << 6,	/* text part skipped: a limit was reached */
	MW_PART_EMPTY		= 1u << 7,	/* no content at all */
	MW_PART_EPILOGUE	= 1u << 8,	/* multipart: text after the closing
						 * boundary (other than white space and
						 * dots, as SpamAssassin tests it) */
};
const char *mw_mime_part_flag_name(unsigned bit);

/* One header field of a MIME part (SpamAssassin's mimeheader rules read them). */
struct mw_mime_hdr {
	char	*name;
	char	*value;			/* unfolded, RFC 2047-decoded, UTF-8 */
	char	*raw;			/* as written: folds kept, no leading space */
};

struct mw_mime_part {
	char	*id;			/* "1", "1.2", "1.2.1": IMAP-style part number */
	unsigned depth;			/* 0 = the message's top-level entity */
	char	*type;			/* "text/plain", lower-case */
	char	*charset;		/* declared, or NULL */
	char	*charset_used;		/* what the text was converted from, or NULL */
	char	*encoding;		/* transfer encoding ("base64", ...), or NULL */
	char	*disposition;		/* "inline" / "attachment", or NULL */
	char	*filename;		/* decoded, or NULL */
	size_t	 raw_size;		/* bytes of (encoded) content in the message */
	const char *raw;		/* that content in the message's bytes (leaves;
					 * NULL when not known); raw_size bytes */
	size_t	 decoded_size;		/* bytes after transfer decoding (kept ones) */
	size_t	 text_size;		/* UTF-8 bytes given to the views */
	unsigned flags;			/* enum mw_part_flag */
	bool	 is_multipart;
	bool	 is_message;		/* message/rfc822 (its content is the next parts) */
	/* This part's own header fields (at most MW_MIME_PART_HDRS; for part "1",
	 * the top level, the message's header block is the header: hdrs is empty and
	 * mw_mime_part_header() answers from the message). */
	struct mw_mime_hdr *hdrs;
	size_t	 nhdrs;
	/* Where this text/plain or text/html leaf's rendered text lies in the
	 * message's rendered text (mw_mime_part_rendered); rendered = it has some. */
	size_t	 text_off, text_len;
	bool	 rendered;
	int	 html_index;		/* its place among the HTML parts rendered
					 * (mw_html_facts.sa_part), -1 if not HTML */
};

#define MW_MIME_PART_HDRS 64

/* The first field `name` of part i (0 = the message itself), decoded or raw; NULL
 * when the part has none (SpamAssassin's get_header / raw_header on a part). */
const char *mw_mime_part_header(const struct mw_message *m, size_t i, const char *name,
	    bool raw);

/* The rendered text (UTF-8; HTML as a reader sees it) of text leaf i, as the body
 * view was made from it; NULL when the part was not rendered.  Owned by the model. */
const char *mw_mime_part_rendered(const struct mw_message *m, size_t i, size_t *len);

struct mw_mime_address {
	char	*name;			/* display name, decoded UTF-8, or NULL */
	char	*addr;			/* local@domain as written, or "" */
};

/* All parts in document order; *n receives the count. */
const struct mw_mime_part *mw_mime_parts(const struct mw_message *m, size_t *n);
/* Addresses of all occurrences of an address header (From, To, Cc, Bcc, Reply-To,
 * Sender, Resent-From, Resent-To, Resent-Cc, Return-Path, Errors-To...), or NULL. */
const struct mw_mime_address *mw_mime_addresses(const struct mw_message *m, const char *name,
	    size_t *n);
/* HTML structure facts summed over the HTML parts (see html.h), never NULL once
 * built. */
struct mw_html_facts;
const struct mw_html_facts *mw_mime_html(const struct mw_message *m);
/* Details of each URI in views->uri (same order): host, flags (see uri.h). */
struct mw_uri;
const struct mw_uri *mw_mime_uri_details(const struct mw_message *m, size_t *n);
/* GMime parser warnings seen (bit 1u << code, GMimeParserWarning codes). */
unsigned mw_mime_parser_warnings(const struct mw_message *m);

/* The model as a JSON object (the `mailwarden --dump-parts` output, doc/FORMATS.md). */
struct mw_buf;
int	mw_mime_dump_json(const struct mw_message *m, struct mw_buf *out);

#endif
