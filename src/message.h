/*
 * message - the raw message and its parsed header block, robust against anything a
 * sender can put there.  The raw bytes are not owned: they live in the milter's
 * buffer or spool mapping, or in the file --scan read.
 *
 * Parsing never fails on bad input: problems are latched as flags (MW_MSG_*) and the
 * parser goes on with a best-effort view.  It fails (-1, errno) only on ENOMEM.
 * The MIME model (issue 3) hangs off `mime` and is built by mw_mime_build().
 */
#ifndef MW_MESSAGE_H
#define MW_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

enum mw_msg_flag {
	MW_MSG_MALFORMED_HEADER	= 1u << 0,	/* header line without a colon, bad field name */
	MW_MSG_NUL_BYTES	= 1u << 1,	/* NUL in the header block */
	MW_MSG_HEADER_TRUNCATED	= 1u << 2,	/* a field longer than max_header_size */
	MW_MSG_TOO_MANY_HEADERS	= 1u << 3,	/* more than max_header_count fields */
	MW_MSG_NO_BODY		= 1u << 4,	/* the header block never ended */
	MW_MSG_8BIT_HEADER	= 1u << 5,	/* raw 8-bit bytes in a header */
	MW_MSG_MIME_MALFORMED	= 1u << 8,	/* set by the MIME model */
	MW_MSG_MIME_TRUNCATED	= 1u << 9,	/* a MIME limit was reached */
};

struct mw_header {
	char	*name;		/* field name as written, NUL-terminated */
	char	*value;		/* unfolded value: leading white space and line breaks
				 * removed, NUL bytes replaced by spaces */
	size_t	 value_len;
	const char *raw;	/* the whole field in the raw data, with folds */
	size_t	 raw_len;	/* excluding the final line ending */
	unsigned index;		/* 1-based among fields of the same name (smfi_chgheader) */
};

struct mw_limits {
	size_t	 max_header_count;
	size_t	 max_header_size;
};

struct mw_mime;			/* issue 3: MIME tree, body views */

struct mw_message {
	const char *data;	/* the whole message, header block first */
	size_t	 len;
	size_t	 header_len;	/* bytes up to and including the empty line */
	const char *body;
	size_t	 body_len;
	struct mw_header *headers;
	size_t	 nheaders;
	size_t	 headers_cap;
	unsigned flags;		/* enum mw_msg_flag */
	bool	 crlf;		/* lines end in CRLF (milter input) rather than LF */
	struct mw_mime *mime;
};

void	mw_message_init(struct mw_message *m);
int	mw_message_parse(struct mw_message *m, const char *data, size_t len,
	    const struct mw_limits *lim);
void	mw_message_free(struct mw_message *m);

/* The nth (0-based) field called name (case-insensitive), or NULL. */
const struct mw_header *mw_message_header(const struct mw_message *m, const char *name,
	    size_t nth);
size_t	mw_message_header_count(const struct mw_message *m, const char *name);
/* Every value of field `name` (unfolded), each followed by sep, in one malloc'ed
 * string; NULL when there is none or on ENOMEM (errno tells). */
char	*mw_message_header_join(const struct mw_message *m, const char *name, char sep);

/* Flags as a comma-separated list of names ("malformed_header,nul_bytes"), "-" if none. */
const char *mw_message_flag_name(unsigned bit);

#endif
