/*
 * logaddr - full, domain-only or keyed-hash addresses for log records.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "conf.h"
#include "envelope.h"
#include "logaddr.h"

int
mw_logaddr_hash(const char *key, size_t keylen, const char *addr, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE], stackbuf[512], *lower = stackbuf;
	unsigned int mdlen = 0;
	size_t i, n = strlen(addr);
	int rc = 0;

	/* Lower-case so that Alice@Example.COM and alice@example.com are one token:
	 * postmasters search by what a user tells them, not by the exact spelling. */
	if (n > sizeof(stackbuf) && (lower = malloc(n)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)addr[i];
		lower[i] = (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
	}
	if (HMAC(EVP_sha256(), key, (int)keylen, lower, n, md, &mdlen) == NULL ||
	    mdlen < MW_LOGADDR_HEX / 2)
		rc = -1;
	else {
		for (i = 0; i < MW_LOGADDR_HEX / 2; i++) {
			hex[2 * i] = digits[md[i] >> 4];
			hex[2 * i + 1] = digits[md[i] & 15];
		}
		hex[MW_LOGADDR_HEX] = '\0';
	}
	if (lower != stackbuf)
		free(lower);
	return rc;
}

int
mw_logaddr_put(struct mw_buf *b, int mode, const char *key, const char *addr)
{
	const char *dom;
	char hex[MW_LOGADDR_HEX + 1];

	if (addr == NULL)
		return mw_buf_putc(b, '-');
	if (addr[0] == '\0')
		return mw_buf_puts(b, "<>");
	dom = strrchr(addr, '@') ? mw_addr_domain(addr) : NULL;
	switch (mode) {
	case MW_LOG_ADDR_DOMAIN:
		if (mw_buf_putc(b, '@') < 0)
			return -1;
		return mw_buf_log_value(b, dom, dom ? strlen(dom) : 0);
	case MW_LOG_ADDR_HASH:
		if (key == NULL)
			key = "";
		if (mw_logaddr_hash(key, strlen(key), addr, hex) < 0)
			return mw_buf_puts(b, "h:error");
		if (mw_buf_printf(b, "h:%s", hex) < 0)
			return -1;
		if (dom == NULL)
			return 0;
		if (mw_buf_putc(b, '@') < 0)
			return -1;
		return mw_buf_log_value(b, dom, strlen(dom));
	default:
		return mw_buf_log_value(b, addr, strlen(addr));
	}
}
