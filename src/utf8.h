/*
 * utf8 - validation helpers shared by the JSON writer, the message model and the
 * rule engine (PCRE2's JIT matcher skips UTF checks, so text is validated first).
 */
#ifndef MW_UTF8_H
#define MW_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the one well-formed UTF-8 sequence at s (1..4), or 0 when it is not one. */
size_t	mw_utf8_valid_prefix(const char *s, size_t n);
bool	mw_utf8_valid(const char *s, size_t n);
/* Copy s into a new NUL-terminated string, replacing each invalid byte by U+FFFD. */
char	*mw_utf8_sanitize(const char *s, size_t n, size_t *outlen);

#endif
