/*
 * charset - bytes in a declared (or undeclared, or wrong) charset -> valid UTF-8.
 *
 * Every charset glibc's iconv knows is accepted, plus the aliases mail software
 * writes that iconv does not know (ks_c_5601-1987, x-sjis, ...).  Undeclared text
 * is sniffed (BOM, UTF-8 validity, ISO-2022-JP escapes, else windows-1252, which
 * maps every byte); a declared charset that fails badly on text that is valid
 * UTF-8 is treated as mislabelled UTF-8.  Bytes that do not convert become U+FFFD:
 * the output is always valid UTF-8.  No I/O, no logging.
 */
#ifndef MW_CHARSET_H
#define MW_CHARSET_H

#include <stddef.h>

#include "buf.h"

enum mw_charset_flag {
	MW_CHARSET_SNIFFED	= 1u << 0,	/* none declared: guessed from the bytes */
	MW_CHARSET_UNKNOWN	= 1u << 1,	/* declared, but iconv does not know it */
	MW_CHARSET_MISMATCH	= 1u << 2,	/* declared one failed; the text was UTF-8 */
	MW_CHARSET_REPLACED	= 1u << 3,	/* some bytes did not convert (U+FFFD) */
	MW_CHARSET_TRUNCATED	= 1u << 4,	/* the output buffer's cap was reached */
};

struct mw_charset_result {
	char	 used[48];	/* charset actually converted from (iconv name) */
	unsigned flags;		/* enum mw_charset_flag */
	size_t	 replaced;	/* input bytes replaced by U+FFFD */
};

/*
 * Append the UTF-8 form of in[0..n) to out.  charset may be NULL or "" (undeclared).
 * out's cap (mw_buf max) bounds the output; reaching it sets MW_CHARSET_TRUNCATED.
 * Returns 0, or -1 on ENOMEM.
 */
int	mw_charset_to_utf8(const char *charset, const char *in, size_t n, struct mw_buf *out,
	    struct mw_charset_result *res);

/* The charset named by an HTML <meta> tag in the first bytes of html, copied to
 * out (lower-case); 0 when found, -1 when not. */
int	mw_charset_from_html_meta(const char *html, size_t n, char *out, size_t outsz);

/* iconv name for a charset label as written in mail (aliases resolved, lower-case
 * trimmed); returns out. */
const char *mw_charset_canonical(const char *label, char *out, size_t outsz);

#endif
