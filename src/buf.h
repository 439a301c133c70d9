/*
 * buf - growable byte buffer with a hard cap, and the escaping helpers that the
 * log line and the JSON output share.
 *
 * A buffer that would grow past its cap refuses (returns -1, errno ERANGE) and sets
 * `truncated`; callers latch that instead of allocating without bound.
 */
#ifndef MW_BUF_H
#define MW_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct mw_buf {
	char	*data;		/* always NUL-terminated when len > 0 or after init */
	size_t	 len;
	size_t	 cap;		/* allocated bytes */
	size_t	 max;		/* hard limit on len; 0 = SIZE_MAX */
	bool	 truncated;	/* a write was refused by max */
};

void	mw_buf_init(struct mw_buf *b, size_t max);
void	mw_buf_free(struct mw_buf *b);
void	mw_buf_reset(struct mw_buf *b);
int	mw_buf_reserve(struct mw_buf *b, size_t extra);
int	mw_buf_append(struct mw_buf *b, const void *p, size_t n);
int	mw_buf_puts(struct mw_buf *b, const char *s);
int	mw_buf_putc(struct mw_buf *b, char c);
int	mw_buf_printf(struct mw_buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	mw_buf_vprintf(struct mw_buf *b, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
/* Hand the bytes to the caller (malloc'd, NUL-terminated); the buffer is left empty. */
char	*mw_buf_steal(struct mw_buf *b);

/* JSON string literal with quotes; invalid UTF-8 becomes U+FFFD. */
int	mw_buf_json_str(struct mw_buf *b, const char *s, size_t n);
/* A log value: printable ASCII kept, space/quote/backslash/control/8-bit escaped as \xHH,
 * so a sender can neither break the line nor fake a key=value field. Empty -> "-". */
int	mw_buf_log_value(struct mw_buf *b, const char *s, size_t n);

#endif
